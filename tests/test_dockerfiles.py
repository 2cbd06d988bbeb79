"""Finding Dockerfiles and reading their EXPOSE ports, without a Docker engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluegreen.images.dockerfiles import (
    Dockerfile,
    ExposedPort,
    exposed_ports,
    find_dockerfiles,
    is_dockerfile_name,
    parse_exposed_ports,
)

ROOT = Path(__file__).resolve().parents[1]


def ports(text: str) -> list[str]:
    found, _ = parse_exposed_ports(text)
    return [str(p) for p in found]


def unresolved(text: str) -> list[str]:
    return list(parse_exposed_ports(text)[1])


@pytest.mark.parametrize(("text", "expected"), [
    ("FROM nginx\nEXPOSE 80\n", ["80/tcp"]),
    ("FROM nginx\nexpose 80/tcp\n", ["80/tcp"]),
    ("FROM nginx\nEXPOSE 80 443/tcp 53/udp 53/UDP\n", ["80/tcp", "443/tcp", "53/udp"]),
    ("FROM nginx\nEXPOSE 80\nEXPOSE 8080\nEXPOSE 80\n", ["80/tcp", "8080/tcp"]),
    ("FROM nginx\nEXPOSE 8000-8002\n", ["8000/tcp", "8001/tcp", "8002/tcp"]),
    ("FROM nginx\nEXPOSE 80 \\\n       443 \\\n       8443/tcp\n", ["80/tcp", "443/tcp", "8443/tcp"]),
    ("FROM nginx\nEXPOSE 80 \\\n# a comment inside the continuation\n  443\n", ["80/tcp", "443/tcp"]),
    ("FROM nginx\n# EXPOSE 9999\n  # EXPOSE 9998\nEXPOSE 80\n", ["80/tcp"]),
    ("FROM nginx\nEXPOSE 80 # the web port\n", ["80/tcp"]),
    ('FROM nginx\nEXPOSE "8080"\n', ["8080/tcp"]),
    ("FROM nginx\n\n\n   EXPOSE   3000   \n", ["3000/tcp"]),
    ("FROM nginx\n", []),
    ("", []),
    ("EXPOSE 80\n", []),  # no FROM: not a Dockerfile stage
])
def test_expose_forms(text: str, expected: list[str]) -> None:
    assert ports(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("FROM node\nARG PORT=3000\nEXPOSE $PORT\n", ["3000/tcp"]),
    ("FROM node\nARG PORT=3000\nEXPOSE ${PORT}/udp\n", ["3000/udp"]),
    ("FROM node\nARG PORT\nEXPOSE ${PORT:-8080}\n", ["8080/tcp"]),
    ("FROM node\nEXPOSE ${PORT:-8080}\n", ["8080/tcp"]),
    ("FROM node\nARG PORT=\nEXPOSE ${PORT:-8080}\n", ["8080/tcp"]),  # empty counts as unset for :-
    ("FROM node\nARG PORT=9000\nEXPOSE ${PORT:-8080}\n", ["9000/tcp"]),
    ("FROM node\nENV PORT=5000\nEXPOSE $PORT\n", ["5000/tcp"]),
    ("FROM node\nENV PORT 5001\nEXPOSE $PORT\n", ["5001/tcp"]),  # legacy ENV form
    ("FROM node\nARG PORT=3000\nENV PORT=4000\nEXPOSE $PORT\n", ["4000/tcp"]),  # ENV wins over ARG
    ("FROM node\nENV APP_PORT=7000 DEBUG=1\nEXPOSE ${APP_PORT}\n", ["7000/tcp"]),
    ("FROM node\nARG BASE=8000\nARG PORT=${BASE}\nEXPOSE $PORT\n", ["8000/tcp"]),
    ("FROM node\nARG TLS=1\nEXPOSE 80 ${TLS:+443}\n", ["80/tcp", "443/tcp"]),
    ("FROM node\nEXPOSE 80 ${TLS:+443}\n", ["80/tcp"]),
    ("FROM node\nENV PORTS=\"80 443\"\nEXPOSE $PORTS\n", ["80/tcp", "443/tcp"]),
    # a global ARG is visible in a stage only when re-declared there
    ("ARG PORT=3000\nFROM node\nARG PORT\nEXPOSE $PORT\n", ["3000/tcp"]),
    ("ARG PORT=3000\nFROM node\nEXPOSE ${PORT:-80}\n", ["80/tcp"]),
])
def test_arg_and_env_substitution(text: str, expected: list[str]) -> None:
    assert ports(text) == expected


def test_values_that_cannot_be_resolved_offline_are_reported_not_guessed() -> None:
    text = "FROM node\nARG PORT\nEXPOSE $PORT 80 ${OTHER} 99999 abc 80/quic 1-1000\n"
    assert ports(text) == ["80/tcp"]
    assert unresolved(text) == ["$PORT", "${OTHER}", "99999", "abc", "80/quic", "1-1000"]


def test_multi_stage_builds_use_the_final_stage_and_what_it_inherits() -> None:
    text = (
        "FROM golang:1.22 AS build\nEXPOSE 6060\nRUN go build\n"
        "FROM alpine AS base\nENV PORT=8080\nEXPOSE 9100\n"
        "FROM base\nEXPOSE $PORT\n"
    )
    assert ports(text) == ["9100/tcp", "8080/tcp"]  # not the builder's 6060
    assert ports("FROM golang AS build\nEXPOSE 6060\nFROM scratch\nCOPY --from=build /app /app\n") == []
    assert ports("FROM alpine\nEXPOSE 1\nFROM 0\nEXPOSE 2\n") == ["1/tcp", "2/tcp"]  # FROM by stage index


def test_heredocs_and_escape_directive() -> None:
    text = (
        "FROM alpine\n"
        "RUN <<EOF\n"
        "echo hi\n"
        "EXPOSE 1111\n"
        "EOF\n"
        "COPY <<-'CONF' /etc/app.conf\n"
        "\tEXPOSE 2222\n"
        "\tCONF\n"
        "EXPOSE 80\n"
    )
    assert ports(text) == ["80/tcp"]
    windows = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nEXPOSE 80 `\n   8080\nRUN dir C:\\\n"
    assert ports(windows) == ["80/tcp", "8080/tcp"]


def test_dockerfile_names() -> None:
    for name in ("Dockerfile", "dockerfile", "Dockerfile.prod", "api.Dockerfile", "web.dockerfile",
                 "Containerfile"):
        assert is_dockerfile_name(name), name
    for name in ("Dockerfile.dockerignore", ".dockerignore", "Dockerfile~", "Dockerfile.swp", "Dockerfile.",
                 "docker-compose.yml", "Dockerfiles", "README.md"):
        assert not is_dockerfile_name(name), name


def test_find_dockerfiles_walks_a_few_levels_and_skips_noise(tmp_path: Path) -> None:
    def write(rel: str, text: str = "FROM scratch\nEXPOSE 80\n") -> None:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    write("Dockerfile", "FROM scratch\nEXPOSE 8080\n")
    write("Dockerfile.dev")
    write("services/api/api.Dockerfile", "FROM scratch\nEXPOSE 3000 9229\n")
    write("a/b/c/Dockerfile")  # depth 3: found
    write("a/b/c/d/Dockerfile")  # depth 4: too deep
    write("node_modules/pkg/Dockerfile")
    write(".git/Dockerfile")
    write("__pycache__/Dockerfile")
    write(".venv/Dockerfile")
    write("myenv/pyvenv.cfg", "home = /usr\n")
    write("myenv/Dockerfile")  # a virtualenv by another name
    write("Dockerfile.dockerignore", "node_modules\n")
    write("src/app.py", "print('hi')\n")
    found = find_dockerfiles(tmp_path)
    assert [d.path.relative_to(tmp_path).as_posix() for d in found] == [
        "Dockerfile", "Dockerfile.dev", "services/api/api.Dockerfile", "a/b/c/Dockerfile"]  # shallowest first
    assert found[0].ports == (ExposedPort(8080),) and found[0].port == 8080
    assert found[2].port == 3000 and [p.port for p in found[2].ports] == [3000, 9229]
    assert [d.path.name for d in find_dockerfiles(tmp_path, max_depth=0)] == ["Dockerfile", "Dockerfile.dev"]
    assert find_dockerfiles(tmp_path / "missing") == []


def test_find_dockerfiles_does_not_follow_directory_symlinks(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM scratch\nEXPOSE 80\n")
    (tmp_path / "app" / "loop").symlink_to(tmp_path)
    assert [d.path.relative_to(tmp_path).as_posix() for d in find_dockerfiles(tmp_path)] == ["app/Dockerfile"]


def test_exposed_ports_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:3.11-slim\nARG PORT=8000\nEXPOSE ${PORT:-80}/tcp\nCMD [\"python\"]\n")
    assert exposed_ports(path) == Dockerfile(path, (ExposedPort(8000, "tcp"),))
    udp_only = tmp_path / "dns.Dockerfile"
    udp_only.write_text("FROM alpine\nEXPOSE 53/udp\n")
    assert exposed_ports(udp_only).port is None  # no TCP port for a load balancer
    missing = exposed_ports(tmp_path / "nope")
    assert missing.ports == () and "cannot read" in missing.error
    binary = tmp_path / "Dockerfile.bin"
    binary.write_bytes(b"FROM alpine\nEXPOSE 81\n\xff\xfe\x00garbage\n")
    assert exposed_ports(binary).port == 81


def test_the_sample_website_dockerfile() -> None:
    found = find_dockerfiles(ROOT / "examples")
    sample = [d for d in found if d.path.parent.name == "sample-website"]
    assert len(sample) == 1 and sample[0].port is not None


def test_linked_folders_are_followed_once_without_looping(tmp_path: Path) -> None:
    (tmp_path / "real" / "app").mkdir(parents=True)
    (tmp_path / "real" / "app" / "Dockerfile").write_text("FROM scratch\nEXPOSE 8080\n")
    (tmp_path / "linked").symlink_to(tmp_path / "real" / "app")
    (tmp_path / "real" / "app" / "up").symlink_to(tmp_path)  # a loop back to the root
    found = [d.path.relative_to(tmp_path).as_posix() for d in find_dockerfiles(tmp_path)]
    assert found == ["linked/Dockerfile"] or found == ["real/app/Dockerfile"]
