"""The sandbox in a child process: for front ends that must stay responsive.

In-process, the sandbox's request handling (moto, the registry hashing pushed layers)
competes with the caller for Python's GIL; the wizard's event loop then stalls for
hundreds of milliseconds during a push. A child process has its own interpreter.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .server import probe


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class SandboxProcess:
    endpoint_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    region: str

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # the command stops cleanly on SIGTERM/SIGINT
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_path.unlink(missing_ok=True)


LOG_PREFIX = "bluegreen-sandbox-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def sweep_state_dirs(directory: Path | None = None) -> None:
    """Remove the temporary state folders of sandboxes whose process is gone (a kill skips
    their own clean-up); each is named after its process's pid."""
    import shutil

    for folder in _orphans(directory, "*"):
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def sweep_logs(directory: Path | None = None) -> None:
    """Remove the logs of sandboxes whose starting process is gone (killed before it could
    stop its child and remove the log itself). A log is named after that process's pid."""
    for log in _orphans(directory, "*.log"):
        log.unlink(missing_ok=True)


def _orphans(directory: Path | None, pattern: str) -> list[Path]:
    """`bluegreen-sandbox-<pid>-<pattern>` entries of the temporary folder whose pid is gone."""
    out = []
    for path in Path(directory or tempfile.gettempdir()).glob(f"{LOG_PREFIX}*-{pattern}"):
        pid = path.name[len(LOG_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            out.append(path)
    return out


def spawn_sandbox(port: int = 4599, region: str = "us-east-1", host: str = "127.0.0.1",
                  startup_timeout: float = 60.0) -> SandboxProcess:
    """Start `bluegreen sandbox` as a child process and wait until it answers.

    Raises OSError when the port is taken, RuntimeError (with the log's tail) when the
    child dies or never answers."""
    with socket.socket() as sock:  # fail fast, as start_sandbox does, when the port is taken
        sock.bind((host, port))
    sweep_logs()
    log_path = Path(tempfile.mkstemp(prefix=f"{LOG_PREFIX}{os.getpid()}-", suffix=".log")[1])
    command = [sys.executable, "-c", "from bluegreen.sandbox.cli import sandbox_command; sandbox_command()",
               "--host", host, "--port", str(port), "--region", region, "--parent-pid", str(os.getpid())]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + startup_timeout
    while not probe(url, timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
                process.wait()
            tail = log_path.read_text(errors="replace")[-1500:]
            log_path.unlink(missing_ok=True)
            raise RuntimeError(f"the sandbox process did not start:\n{tail}")
        time.sleep(0.1)
    return SandboxProcess(url, process, log_path, region)
