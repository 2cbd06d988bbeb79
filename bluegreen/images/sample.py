"""Build context for the offline sample web site (shipped with the package, in ``sample_site/``).

The image is ``FROM scratch`` plus a static busybox binary, so it builds with no registry access.
The busybox binary is not committed: it is copied from the host (Debian package
``busybox-static``) into the build context on demand.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_site"
"""The sample web site sources (Dockerfile, index.html, README.md), installed with the package."""

BUSYBOX_NAME = "busybox"
_HOST_BUSYBOX = Path("/bin/busybox")
_PT_INTERP = 3


def is_static_elf(path: Path) -> bool:
    """True if ``path`` is an ELF executable with no program interpreter (statically linked)."""
    try:
        with path.open("rb") as f:
            ident = f.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return False
            is64 = ident[4] == 2
            order = "<" if ident[5] == 1 else ">"
            if is64:
                f.seek(0x20)
                (phoff,) = struct.unpack(order + "Q", f.read(8))
                f.seek(0x36)
            else:
                f.seek(0x1C)
                (phoff,) = struct.unpack(order + "I", f.read(4))
                f.seek(0x2A)
            phentsize, phnum = struct.unpack(order + "HH", f.read(4))
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                (p_type,) = struct.unpack(order + "I", f.read(4))
                if p_type == _PT_INTERP:
                    return False
            return True
    except (OSError, struct.error):
        return False


def find_static_busybox() -> Path:
    """The host's static busybox binary, or a ``RuntimeError`` saying how to install one."""
    candidates: list[Path] = [_HOST_BUSYBOX]
    found = shutil.which(BUSYBOX_NAME)
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and is_static_elf(candidate):
            return candidate
    seen = [str(c) for c in candidates if c.is_file()]
    detail = f" (found only dynamically linked: {', '.join(seen)})" if seen else ""
    raise RuntimeError(
        "the sample website needs a statically linked busybox binary at /bin/busybox"
        f"{detail}; install it with `apt-get install busybox-static` (Debian/Ubuntu package "
        "busybox-static), or copy a static busybox into the sample's build context"
    )


def _copy_atomically(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` (mode kept) so that no reader ever sees a partial file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copy2(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _ensure_busybox(directory: Path) -> None:
    target = directory / BUSYBOX_NAME
    if target.is_file() and is_static_elf(target) and os.access(target, os.X_OK):
        return
    _copy_atomically(find_static_busybox(), target)


def prepare_sample_context(dest: str | os.PathLike[str] | None = None) -> Path:
    """Return a Docker build-context directory for the sample web site.

    The sample files and a static busybox are copied into ``dest`` (created if needed), which
    is returned. With ``dest=None`` a per-user folder in the temporary directory is used: the
    package's own folder may be read-only once installed.
    """
    if not (SAMPLE_DIR / "Dockerfile").is_file():
        raise RuntimeError(f"sample website sources not found at {SAMPLE_DIR}; reinstall bluegreen")
    if dest is None:
        dest = Path(tempfile.gettempdir()) / f"bluegreen-sample-{os.getuid()}"
    context = Path(dest)
    context.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        SAMPLE_DIR,
        context,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(BUSYBOX_NAME, f".{BUSYBOX_NAME}.*"),
    )
    source = SAMPLE_DIR / BUSYBOX_NAME
    if source.is_file() and is_static_elf(source):
        _copy_atomically(source, context / BUSYBOX_NAME)
    else:
        _ensure_busybox(context)
    return context


SAMPLE_FILES = ("Dockerfile", "index.html", "README.md")


def write_sample_site(dest: Path) -> bool:
    """Write the sample site's sources into ``dest`` (created if needed), with a static
    busybox beside them when the host has one, so that ``docker build dest`` works anywhere.
    Returns whether the busybox is there (without it, the build fails until one is copied in)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_FILES:
        _copy_atomically(SAMPLE_DIR / name, dest / name)
    try:
        _ensure_busybox(dest)
    except RuntimeError:
        return False
    return True
