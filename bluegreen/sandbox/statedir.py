"""Is a ``--state-dir`` usable? Checked before the sandbox starts, so that a folder that is a file,
cannot be written, or holds a damaged state file is one line for the user instead of a traceback
from deep inside a service.

The sandbox keeps CodeCommit's repositories (``codecommit/repositories.json`` and the git objects
under ``codecommit/objects``) and the registry's blobs (``registry/blobs``, ``registry/uploads``)
there; see :mod:`bluegreen.sandbox.services.codecommit.api` and
:mod:`bluegreen.sandbox.services.ecr.registry`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FOLDERS = ("codecommit", "codecommit/objects", "registry", "registry/blobs", "registry/uploads")
REPOSITORIES = "codecommit/repositories.json"
MAX_STATE_FILE = 64 * 1024 * 1024  # far above any real repositories.json; more is not ours


def problem(path: Path) -> str | None:
    """What is wrong with ``path`` as a state folder (one phrase), or None when it is usable.
    Creates the folder when it does not exist yet."""
    if path.exists() and not path.is_dir():
        return "is a file, not a folder"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot be created ({exc.strerror or exc})"
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        return "cannot be read and written (check its permissions)"
    for sub in FOLDERS:
        folder = path / sub
        if folder.exists() and not folder.is_dir():
            return f"holds {sub}, which should be a folder but is not"
        if folder.is_dir() and not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
            return f"holds {sub}, which cannot be read and written (check its permissions)"
    return _repositories_problem(path / REPOSITORIES)


def _repositories_problem(file: Path) -> str | None:
    if not file.exists():
        return None
    what = f"holds a damaged {REPOSITORIES}"
    if not file.is_file():
        return f"{what} (not a regular file)"
    try:
        if file.stat().st_size > MAX_STATE_FILE:
            return f"{what} (larger than {MAX_STATE_FILE // (1024 * 1024)} MiB)"
        doc = json.loads(file.read_bytes().decode("utf-8"))
    except PermissionError:
        return f"holds {REPOSITORIES}, which cannot be read (check its permissions)"
    except OSError as exc:
        return f"{what} ({exc.strerror or exc})"
    except (ValueError, RecursionError):  # not UTF-8 JSON (UnicodeDecodeError is a ValueError)
        return f"{what} (not JSON)"
    if not isinstance(doc, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in doc.items()):
        return f"{what} (not an object of repositories)"
    return None
