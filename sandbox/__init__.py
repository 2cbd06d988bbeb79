"""bluegreen's local AWS region (see :mod:`sandbox.server`). Never imports Textual."""

try:
    from bluegreen import __version__
except ImportError:  # the sandbox used on its own
    __version__ = "0"

__all__ = ["__version__"]
