"""bluegreen's local AWS region (see :mod:`bluegreen.sandbox.server`).

Independent of the rest of bluegreen: it imports nothing else of the project (an
import-linter contract holds it) and never imports Textual.

The modules here are the infrastructure, which knows no AWS service: ``server`` (start, stop,
health), ``process`` (the sandbox as a child process), ``cli`` (``bluegreen sandbox``),
``router`` (one WSGI app: a request to its service's handlers, else to moto), ``wire`` (AWS
requests and answers in each protocol), ``forward`` (the hop to moto), ``httpserver`` (a server
that stops completely), ``clients`` (the sandbox's own boto3 clients to moto) and ``seed``
(regions seeded on first use). Everything the sandbox does for one AWS service lives in that
service's module under :mod:`bluegreen.sandbox.services`.
"""

from importlib import metadata

try:
    __version__ = metadata.version("bluegreen")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0"

__all__ = ["__version__"]
