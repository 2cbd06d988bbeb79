"""bluegreen's local AWS region (see :mod:`bluegreen.sandbox.server`).

Independent of the rest of bluegreen: it imports nothing else of the project (an
import-linter contract holds it) and never imports Textual.
"""

from importlib import metadata

try:
    __version__ = metadata.version("bluegreen")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0"

__all__ = ["__version__"]
