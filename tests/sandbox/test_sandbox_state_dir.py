"""A ``--state-dir`` the sandbox cannot use is one line and exit 2, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bluegreen.sandbox import statedir

ROOT = Path(__file__).resolve().parents[2]


def _file_instead_of_folder(tmp: Path) -> Path:
    (tmp / "state").write_text("x")
    return tmp / "state"


def _under_a_file(tmp: Path) -> Path:
    (tmp / "plain").write_text("x")
    return tmp / "plain" / "state"


def _repositories(content: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / "state" / "codecommit").mkdir(parents=True)
        (tmp / "state" / "codecommit" / "repositories.json").write_bytes(content)
        return tmp / "state"
    return make


def _repositories_is_a_folder(tmp: Path) -> Path:
    (tmp / "state" / "codecommit" / "repositories.json").mkdir(parents=True)
    return tmp / "state"


def _registry_is_a_file(tmp: Path) -> Path:
    (tmp / "state").mkdir()
    (tmp / "state" / "registry").write_text("x")
    return tmp / "state"


def _blobs_is_a_file(tmp: Path) -> Path:
    (tmp / "state" / "registry").mkdir(parents=True)
    (tmp / "state" / "registry" / "blobs").write_text("x")
    return tmp / "state"


CASES = {
    "a file": (_file_instead_of_folder, "is a file, not a folder"),
    "under a file": (_under_a_file, "cannot be created"),
    "repositories not JSON": (_repositories(b"{not json"), "damaged codecommit/repositories.json (not JSON)"),
    "repositories not UTF-8": (_repositories(b'{"a": "\xff"}'), "(not JSON)"),
    "repositories a list": (_repositories(b"[1, 2]"), "(not an object of repositories)"),
    "repositories of strings": (_repositories(json.dumps({"r": "x"}).encode()), "(not an object of repositories)"),
    "repositories deep": (_repositories(b"[" * 100_000 + b"]" * 100_000), "(not JSON)"),
    "repositories a folder": (_repositories_is_a_folder, "(not a regular file)"),
    "registry a file": (_registry_is_a_file, "registry, which should be a folder"),
    "blobs a file": (_blobs_is_a_file, "registry/blobs, which should be a folder"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_check_names_each_problem(tmp_path, case) -> None:
    make, expected = CASES[case]
    assert expected in (statedir.problem(make(tmp_path)) or "")


def test_good_state_folders_pass(tmp_path) -> None:
    assert statedir.problem(tmp_path / "new" / "state") is None  # created
    assert (tmp_path / "new" / "state").is_dir()
    state = _repositories(json.dumps({"repo": {"repositoryName": "repo", "branches": {}}}).encode())(tmp_path)
    assert statedir.problem(state) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes any folder")
def test_an_unreadable_folder(tmp_path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert "permissions" in (statedir.problem(locked) or "")
    finally:
        locked.chmod(0o700)


def _run(state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bluegreen.sandbox.cli", "--port", "0", "--state-dir", str(state)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("case", ["a file", "under a file", "repositories not JSON", "registry a file"])
def test_the_command_says_one_line_and_exits_2(tmp_path, case) -> None:
    make, expected = CASES[case]
    state = make(tmp_path)
    done = _run(state)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: --state-dir ") and expected in lines[0]
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("failure", [
    ValueError("Expecting value: line 1\ncolumn 1"),
    IsADirectoryError(21, "Is a directory", "/state/registry/blobs/x"),
])
def test_what_the_check_did_not_foresee_is_still_one_line(tmp_path, monkeypatch, failure) -> None:
    from click.testing import CliRunner

    from bluegreen.sandbox import cli

    def failing_start(**kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(cli, "start_sandbox", failing_start)
    result = CliRunner().invoke(cli.sandbox_command, ["--port", "0", "--state-dir", str(tmp_path / "s")])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: --state-dir "), result.output
    assert str(failure.args[0]).split()[0] in lines[0] or "Is a directory" in lines[0]


def test_a_busy_port_is_still_a_port_message(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from bluegreen.sandbox import cli

    def busy(**kwargs: object) -> None:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(cli, "start_sandbox", busy)
    result = CliRunner().invoke(cli.sandbox_command, ["--port", "1", "--state-dir", str(tmp_path / "s")])
    assert result.exit_code == 1 and "cannot listen on 127.0.0.1:1" in result.output, result.output
