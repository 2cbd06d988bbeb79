"""Images that run where the task runs (issue 9 item 4): `task.cpuArchitecture` is the task
definition's runtimePlatform, and the image is built for that platform, not the host's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bluegreen.images import build_push
from bluegreen.model.config import Config
from bluegreen.model.configfile import ConfigError, load_text
from renderers import requests
from renderers.cloudformation import render_cloudformation
from renderers.refs import Refs


def config(arch: str = "X86_64", context: Path | str = ".") -> Config:
    return Config(name="plat", task={"cpu_architecture": arch}, image={"context": str(context)})


def test_x86_64_is_the_default_and_arm64_is_accepted() -> None:
    assert Config(name="plat").task.cpu_architecture == "X86_64"
    assert load_text("name: plat\ntask: {cpuArchitecture: ARM64}\n").task.cpu_architecture == "ARM64"
    with pytest.raises(ConfigError) as caught:
        load_text("name: plat\ntask: {cpuArchitecture: arm64}\n")
    assert caught.value.problems[0].path == "task.cpuArchitecture"


def test_arm64_needs_fargate_platform_1_4_0_or_later() -> None:
    with pytest.raises(ConfigError) as caught:
        load_text("name: plat\ntask: {cpuArchitecture: ARM64}\necs: {platformVersion: 1.3.0}\n")
    assert str(caught.value.problems[0]).startswith("ecs.platformVersion: Fargate runs ARM64 tasks")
    load_text("name: plat\ntask: {cpuArchitecture: ARM64}\necs: {platformVersion: 1.4.0}\n")
    load_text("name: plat\necs: {platformVersion: 1.3.0}\n")


@pytest.mark.parametrize("arch", ["X86_64", "ARM64"])
def test_the_task_definition_and_the_template_carry_the_architecture(arch: str) -> None:
    cfg = config(arch)
    taskdef = json.loads(requests.taskdef_json(cfg, Refs.offline(cfg)))
    assert taskdef["runtimePlatform"] == {"cpuArchitecture": arch, "operatingSystemFamily": "LINUX"}
    assert f'"CpuArchitecture": "{arch}"' in render_cloudformation(cfg)


@pytest.mark.parametrize("arch, platform", [("X86_64", "linux/amd64"), ("ARM64", "linux/arm64")])
def test_the_build_asks_the_engine_for_the_task_platform(
        arch: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    calls: list[dict[str, Any]] = []

    class FakeApi:
        def build(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
            calls.append(kwargs)
            return iter([{"stream": "Step 1/1 : FROM scratch\n"}, {"aux": {"ID": "sha256:" + "a" * 64}}])

    @contextmanager
    def fake_engine() -> Iterator[FakeApi]:
        yield FakeApi()

    monkeypatch.setattr(build_push, "_engine", fake_engine)
    built = build_push.build(config(arch, tmp_path), on_event=lambda event: None)
    assert built.image_id == "sha256:" + "a" * 64
    assert [call["platform"] for call in calls] == [platform]


@pytest.mark.parametrize("arch, docker_arch", [("X86_64", "amd64"), ("ARM64", "arm64")])
def test_a_built_image_has_the_task_architecture(arch: str, docker_arch: str, tmp_path: Path,
                                                 docker_client: Any) -> None:
    # COPY only: a foreign architecture needs no emulation to build.
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY index.html /www/index.html\n")
    (tmp_path / "index.html").write_text("ok\n")
    cfg = Config(name="plat", task={"cpu_architecture": arch},
                 image={"context": str(tmp_path), "repository": "bluegreen-test-platform", "tag": docker_arch})
    built = build_push.build(cfg, on_event=lambda event: None)
    try:
        assert docker_client.api.inspect_image(built.image_id)["Architecture"] == docker_arch
    finally:
        docker_client.api.remove_image(built.image_id, force=True)
