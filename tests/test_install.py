"""Installed as users install it: a built wheel in a fresh virtual environment, used from
outside the repository, must give a working tool (the package list, the package data and
the dependencies are all part of that)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = {"bluegreen", "tui", "screens", "renderers"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # built from a copy: a build writes build/ and *.egg-info beside the sources
    source = tmp_path_factory.mktemp("source") / "bluegreen"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", ".*_cache", "tests", "bench", "busybox"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(source)], check=True, capture_output=True, timeout=300)
    (built,) = out.glob("bluegreen-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding the wheel. It sees this interpreter's packages for the
    dependencies (no download), but bluegreen itself only from the wheel: the tests check
    that every module is loaded from the venv, never from the checkout."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(home)], check=True, timeout=120)
    subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                    "--disable-pip-version-check", str(wheel)], check=True, capture_output=True, timeout=300)
    yield home


def run(venv: Path, *args: str, cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BLUEGREEN_SANDBOX_URL")}
    return subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**clean, **env})


def test_the_wheel_holds_exactly_the_installed_import_names_and_the_package_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.startswith("bluegreen-")} == TOP_LEVEL
    for data in ("renderers/templates/taskdef.json.j2", "renderers/templates/appspec.yaml.j2",
                 "renderers/templates/cloudformation.yaml.j2", "tui/app.tcss",
                 "bluegreen/images/sample_site/Dockerfile", "bluegreen/images/sample_site/index.html"):
        assert data in names
    assert "bluegreen/images/sample_site/busybox" not in names  # copied from the host, never shipped


def test_every_third_party_import_is_a_declared_dependency() -> None:
    """moto's server (werkzeug, flask...) is part of a plain install: the sandbox is the default."""
    declared = {Requirement(r).name.lower() for r in importlib.metadata.requires("bluegreen") or []
                if "extra ==" not in r}
    assert "moto" in declared
    extras = [r for r in importlib.metadata.requires("bluegreen") or [] if r.startswith("moto")]
    assert any("server" in r and "extra ==" not in r for r in extras)
    reachable = set(declared)
    pending = list(declared)
    while pending:  # what the declared distributions bring along (moto[server] -> werkzeug, ...)
        name = pending.pop()
        for req in importlib.metadata.requires(name) or []:
            parsed = Requirement(req)
            marker_ok = parsed.marker is None or parsed.marker.evaluate({"extra": "server"})
            if marker_ok and parsed.name.lower() not in reachable:
                reachable.add(parsed.name.lower())
                pending.append(parsed.name.lower())
    distributions = importlib.metadata.packages_distributions()
    stdlib = sys.stdlib_module_names
    missing = {}
    import ast

    for package in TOP_LEVEL:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                for module in modules:
                    root = module.split(".")[0]
                    if root in stdlib or root in TOP_LEVEL:
                        continue
                    dists = {d.lower() for d in distributions.get(root, [])}
                    if not dists & reachable:
                        missing[root] = str(path.relative_to(ROOT))
    assert not missing, f"imported but not a (transitive) dependency: {missing}"


def test_installed_tool_works_outside_the_repository(venv: Path, tmp_path: Path) -> None:
    where = run(venv, "python", "-c", "import json, bluegreen, tui, screens, renderers;"
                "print(json.dumps([m.__file__ for m in (bluegreen, tui, screens, renderers)]))", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert all(f.startswith(str(venv)) for f in json.loads(where.stdout)), where.stdout

    assert run(venv, "bluegreen", "--help", cwd=tmp_path).returncode == 0
    made = run(venv, "bluegreen", "init", "--sample", "site", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "site" / "Dockerfile").is_file() and (tmp_path / "bluegreen.yaml").is_file()
    rendered = run(venv, "bluegreen", "render", "-f", "bluegreen.yaml", "-o", "out", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert "<IMAGE1_NAME>" in (tmp_path / "out" / "taskdef.json").read_text()

    # the sandbox, from the installed package only: started inside the command
    free = run(venv, "python", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0));"
               "print(s.getsockname()[1])", cwd=tmp_path).stdout.strip()
    planned = run(venv, "bluegreen", "plan", "-f", "bluegreen.yaml", "--sandbox", "--json", cwd=tmp_path,
                  timeout=180, BLUEGREEN_SANDBOX_URL=f"http://127.0.0.1:{free}")
    assert planned.returncode == 0, planned.stderr
    rows = json.loads(planned.stdout)
    assert {r["action"] for r in rows} <= {"create", "in_sync"} and len(rows) > 20


def test_every_installed_module_imports_and_the_wizard_shows_its_first_screen(venv: Path, tmp_path: Path) -> None:
    probe = r'''
import asyncio, importlib, pkgutil, sys
import bluegreen, tui, screens, renderers
names = []
for package in (bluegreen, tui, screens, renderers):
    names.append(package.__name__)
    names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    module = importlib.import_module(name)
    assert module.__file__.startswith(sys.prefix), (name, module.__file__)
print(len(names), "modules")

from tui.app import BlueGreenApp
from screens.target import TargetScreen

async def main():
    app = BlueGreenApp(sandbox=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):
            if isinstance(app.screen, TargetScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, TargetScreen), app.screen
        print("first screen:", type(app.screen).__name__)
        await app.action_quit()

asyncio.run(main())
'''
    result = run(venv, "python", "-c", probe, cwd=tmp_path, timeout=180, AWS_CONFIG_FILE="/dev/null",
                 AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "first screen: TargetScreen" in result.stdout
