"""CodeCommit, owned outright by the sandbox: the API (:mod:`.api`) over a git object store
(:mod:`.gitobjects`)."""

from .api import CodeCommit

__all__ = ["CodeCommit"]
