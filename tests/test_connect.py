"""One connect() for the wizard and the CLI: the same endpoint, the same port policy, and
hints that name the endpoint actually used."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from bluegreen.aws.target import DEFAULT_SANDBOX_URL, SANDBOX_URL_ENV, connect, sandbox_url
from bluegreen.errors import BadInput
from bluegreen.sandbox.server import probe, start_sandbox


@pytest.fixture
def blocker() -> Iterator[int]:
    """A port held by something that is not a sandbox."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_the_endpoint_is_the_environment_variable_else_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SANDBOX_URL_ENV, raising=False)
    assert sandbox_url() == DEFAULT_SANDBOX_URL == "http://127.0.0.1:4599"
    monkeypatch.setenv(SANDBOX_URL_ENV, "http://127.0.0.1:5000/")
    assert sandbox_url() == "http://127.0.0.1:5000"


def test_a_running_sandbox_is_used_and_left_running(monkeypatch: pytest.MonkeyPatch) -> None:
    with start_sandbox(port=0, region="eu-west-1") as running:
        monkeypatch.setenv(SANDBOX_URL_ENV, running.endpoint_url)
        said: list[str] = []
        with connect(True, "eu-west-1", say=said.append) as made:
            assert made.endpoint_url == running.endpoint_url and not made.started_sandbox
            assert made.identity().account == "123456789012"
            assert made.command_hint("bluegreen push -f x.yaml") == "bluegreen push -f x.yaml --sandbox"
        assert probe(running.endpoint_url)  # not ours: still up
        assert said == [f"using the sandbox at {running.endpoint_url}"]


def test_a_sandbox_started_in_another_region_serves_this_one_too(monkeypatch: pytest.MonkeyPatch) -> None:
    with start_sandbox(port=0, region="eu-west-1") as running:
        monkeypatch.setenv(SANDBOX_URL_ENV, running.endpoint_url)
        with connect(True, "us-east-2") as made:
            assert made.endpoint_url == running.endpoint_url and not made.started_sandbox
            assert made.session.region == "us-east-2"
            vpcs = made.session.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])
            assert len(vpcs["Vpcs"]) == 1  # the region is seeded on its first request, as at start


@pytest.mark.parametrize("runner", ["thread", "process"])
def test_a_taken_port_moves_the_sandbox_and_every_hint_names_where(monkeypatch: pytest.MonkeyPatch,
                                                                   blocker: int, runner: str) -> None:
    monkeypatch.setenv(SANDBOX_URL_ENV, f"http://127.0.0.1:{blocker}")
    with connect(True, "us-east-1", runner=runner) as made:  # type: ignore[arg-type]
        url = made.endpoint_url
        assert url is not None and url != f"http://127.0.0.1:{blocker}" and made.started_sandbox
        assert f"port {blocker} is taken" in made.note and url.removeprefix("http://") in made.note
        assert made.command_hint("bluegreen push -f a.yaml") == (
            f"{SANDBOX_URL_ENV}={url} bluegreen push -f a.yaml --sandbox")
        assert probe(url)
    assert not probe(url)  # ours: stopped with the connection


def test_a_free_endpoint_gets_a_sandbox_there(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(SANDBOX_URL_ENV, f"http://127.0.0.1:{port}")
    with connect(True, "us-east-1") as made:
        assert made.endpoint_url == f"http://127.0.0.1:{port}" and not made.note
        assert made.command_hint("bluegreen apply -f a.yaml") == "bluegreen apply -f a.yaml --sandbox"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:1", "http://192.0.2.1:4599"])
def test_an_endpoint_off_loopback_is_bad_input_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch,
                                                                        url: str) -> None:
    sent: list[str] = []
    monkeypatch.setattr("bluegreen.sandbox.server.health", lambda u, timeout=0.5: sent.append(u))
    monkeypatch.setenv(SANDBOX_URL_ENV, url)
    with pytest.raises(BadInput, match=SANDBOX_URL_ENV):
        connect(True, "us-east-1")
    assert sent == []


def test_aws_target_hint_carries_the_profile() -> None:
    made = connect(False, "us-east-1", profile=None)
    assert made.command_hint("bluegreen push -f a.yaml") == "bluegreen push -f a.yaml"
    assert not made.is_sandbox and made.where == "AWS profile default"
