"""What a killed run leaves in the temporary folder (a sample build context, a child sandbox's
log) is removed by the next run; what belongs to a live process is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bluegreen.images import build_push
from bluegreen.sandbox import process


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_sample_contexts_of_gone_processes_are_swept() -> None:
    tmp = Path(tempfile.gettempdir())
    gone = tmp / f"{build_push.CONTEXT_PREFIX}{dead_pid()}-test"
    mine = tmp / f"{build_push.CONTEXT_PREFIX}{os.getpid()}-test"
    for folder in (gone, mine):
        (folder / "context").mkdir(parents=True, exist_ok=True)
    try:
        build_push._sweep_contexts()
        assert not gone.exists() and mine.exists()
    finally:
        for folder in (gone, mine):
            subprocess.run(["rm", "-rf", str(folder)], check=False)


def test_sandbox_logs_of_gone_processes_are_swept(tmp_path: Path) -> None:
    gone = tmp_path / f"{process.LOG_PREFIX}{dead_pid()}-abc.log"
    mine = tmp_path / f"{process.LOG_PREFIX}{os.getpid()}-abc.log"
    other = tmp_path / "bluegreen-sandbox-notapid.log"
    for log in (gone, mine, other):
        log.write_text("log")
    process.sweep_logs(tmp_path)
    assert not gone.exists() and mine.exists() and other.exists()


def test_a_stopped_child_sandbox_removes_its_log() -> None:
    child = process.spawn_sandbox(port=process.free_port())
    assert child.log_path.exists()
    child.stop()
    assert not child.log_path.exists()


def test_sandbox_state_folders_of_gone_processes_are_swept(tmp_path: Path) -> None:
    gone = tmp_path / f"{process.LOG_PREFIX}{dead_pid()}-abcd1234"
    mine = tmp_path / f"{process.LOG_PREFIX}{os.getpid()}-abcd1234"
    for folder in (gone, mine):
        (folder / "registry").mkdir(parents=True)
    process.sweep_state_dirs(tmp_path)
    assert not gone.exists() and mine.exists()

