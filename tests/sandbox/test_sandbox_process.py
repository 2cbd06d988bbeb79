"""The sandbox as a child process (how the wizard runs it): answers, stops on request, and
does not outlive a parent that was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from bluegreen.sandbox.process import free_port, spawn_sandbox
from bluegreen.sandbox.server import probe

ORPHAN = """
import os, sys
sys.path.insert(0, {root!r})
from bluegreen.sandbox.process import spawn_sandbox
child = spawn_sandbox(port={port})
print(child.process.pid, flush=True)
os._exit(0)  # dies without stopping its child, as a killed wizard would
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_spawned_sandbox_answers_and_stops() -> None:
    child = spawn_sandbox(port=free_port())
    try:
        assert probe(child.endpoint_url)
    finally:
        child.stop()
    assert child.process.poll() is not None
    assert not probe(child.endpoint_url)


def test_a_sandbox_whose_parent_dies_goes_away_too() -> None:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    port = free_port()
    out = subprocess.run([sys.executable, "-c", ORPHAN.format(root=root, port=port)],
                         capture_output=True, text=True, timeout=90)
    pid = int(out.stdout.strip())
    try:
        deadline = time.monotonic() + 30
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(pid), "the orphaned sandbox is still running"
        assert not probe(f"http://127.0.0.1:{port}")
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
