"""The AWS services of the sandbox, one module (or package) each.

Each holds everything the sandbox does for its service on top of moto: the operations it owns,
the checks that refuse what AWS refuses and moto accepts, and the corrections that make moto's
answers read as AWS's. :mod:`.common` holds what they share. The infrastructure that carries
requests to them (router, wire format, servers, processes) lives one level up, in
:mod:`bluegreen.sandbox`, and knows no service.
"""
