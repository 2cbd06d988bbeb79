"""`bluegreen sandbox` in the foreground (its own process), and the AWS CLI against it."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def launch(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """``python -m bluegreen.sandbox.cli ARGS`` until its banner is out; stopped with Ctrl-C afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bluegreen.sandbox.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        endpoint = None
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"export AWS_ENDPOINT_URL=(\S+)", line)
            if m:
                endpoint = m.group(1)
            if "Ctrl-C" in line:
                break
        assert endpoint, "".join(lines) + (
            proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
        )
        yield proc, endpoint, lines
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def cli_sandbox(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    with launch(
        "--port",
        "0",
        "--state-dir",
        str(tmp_path / "state"),
        "--account-id",
        "111122223333",
        "--region",
        "eu-central-1",
    ) as running:
        yield running


def test_foreground_command_prints_exports_and_stops_on_ctrl_c(cli_sandbox) -> None:
    import boto3

    proc, endpoint, lines = cli_sandbox
    text = "".join(lines)
    assert "export AWS_ACCESS_KEY_ID=" in text and "export AWS_SECRET_ACCESS_KEY=" in text
    assert "export AWS_DEFAULT_REGION=eu-central-1" in text
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="eu-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert sts.get_caller_identity()["Account"] == "111122223333"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == 0
    assert "sandbox stopped" in (proc.stderr.read() if proc.stderr else "")


@pytest.mark.skipif(
    importlib.util.find_spec("awscli") is None, reason="the AWS CLI (awscli) is not installed"
)
def test_aws_cli_codecommit_get_file(cli_sandbox, tmp_path: Path) -> None:
    _, endpoint, _ = cli_sandbox
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    aws = [sys.executable, "-m", "awscli"]

    def run(*args: str) -> str:
        done = subprocess.run(
            [*aws, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("codecommit", "create-repository", "--repository-name", "cli-repo")
    (tmp_path / "appspec.yaml").write_text("version: 0.0\n")
    run(
        "codecommit",
        "put-file",
        "--repository-name",
        "cli-repo",
        "--branch-name",
        "main",
        "--file-path",
        "appspec.yaml",
        "--file-content",
        f"fileb://{tmp_path / 'appspec.yaml'}",
    )
    import base64
    import json

    out = json.loads(
        run("codecommit", "get-file", "--repository-name", "cli-repo", "--file-path", "appspec.yaml")
    )
    assert base64.b64decode(out["fileContent"]) == b"version: 0.0\n"


def test_default_port_is_4599_and_the_help_says_so() -> None:
    from click.testing import CliRunner

    from bluegreen.sandbox.cli import sandbox_command
    from bluegreen.sandbox.server import DEFAULT_PORT

    assert DEFAULT_PORT == 4599
    port = next(p for p in sandbox_command.params if p.name == "port")
    assert port.default == 4599
    help_text = CliRunner().invoke(sandbox_command, ["--help"]).output
    assert "4599" in help_text and "--throttle-rate" in help_text


def test_throttle_rate_option_and_a_second_sandbox_on_the_same_port(tmp_path: Path) -> None:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    from bluegreen.sandbox.server import probe

    with launch("--port", "0", "--throttle-rate", "1", "--region", "eu-north-1") as (_, endpoint, lines):
        assert "throttle:  100%" in "".join(lines)
        assert probe(endpoint)
        sts = boto3.client(
            "sts",
            endpoint_url=endpoint,
            region_name="eu-north-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )
        with pytest.raises(ClientError) as info:
            sts.get_caller_identity()
        assert info.value.response["Error"]["Code"] == "Throttling"
        port = endpoint.rsplit(":", 1)[1]
        second = subprocess.run(
            [sys.executable, "-m", "bluegreen.sandbox.cli", "--port", port],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert f"a bluegreen sandbox is already running at {endpoint}" in second.stderr
