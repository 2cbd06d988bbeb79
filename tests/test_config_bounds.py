"""Config input has bounds: a regular file only, at most 1 MiB, checked in linear time, and
whatever is refused ends in one clear message and exit 2 (never a hang or a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bluegreen.model.configfile import MAX_BYTES, MAX_SHOWN, ConfigError, load, load_text


def validate(path: str | Path) -> subprocess.CompletedProcess[str]:
    # the timeout only keeps a regression from hanging the suite; speed lives in bench/
    return subprocess.run([sys.executable, "-c", "from tui.cli import main; main()", "validate", "-f", str(path)],
                          capture_output=True, text=True, timeout=60)


def test_16000_wrong_items_are_counted_not_listed() -> None:
    text = "name: shop\nnetwork:\n  subnets: [" + ", ".join(f"x{i}" for i in range(16000)) + "]\n"
    with pytest.raises(ConfigError) as refused:
        load_text(text)
    assert len(refused.value.problems) == 16000
    lines = refused.value.message().splitlines()
    assert len(lines) == 1 + MAX_SHOWN + 1 and lines[-1].endswith(f"and {16000 - MAX_SHOWN} more: fix these "
                                                                   "first, then validate again")


@pytest.mark.parametrize("where", ["/dev/zero", "fifo"])
def test_devices_and_pipes_are_refused_without_reading(where: str, tmp_path: Path) -> None:
    path = Path(where)
    if where == "fifo":
        path = tmp_path / "bluegreen.yaml"
        os.mkfifo(path)  # nothing ever writes to it: reading would block for ever
    result = validate(path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (f"error: {path}: is not a regular file (a pipe, a device or a socket). "
                                     "Fix: save the config to a file and pass that.")


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("name: shop\n# " + "x" * MAX_BYTES + "\n")
    with pytest.raises(ConfigError, match="a config is at most"):
        load(big)


def test_a_folder_and_an_unreadable_file_say_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        load(tmp_path)
    locked = tmp_path / "locked.yaml"
    locked.write_text("name: shop\n")
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything: nothing to refuse
        return
    with pytest.raises(ConfigError, match="permission denied"):
        load(locked)


def test_binary_content_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"name: shop\n\xff\xfe")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load(path)
