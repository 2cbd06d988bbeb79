"""`docker push` of the sample image to the sandbox's ECR registry, side by side with the
same push to Debian's reference registry (`docker-registry`, distribution 2.8) on loopback.

Each run pushes to a new repository name so that every layer is really uploaded.
Needs a Docker engine and `apt-get install docker-registry` (skipped, with a note, without it).
Run: python bench/registry_push.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from report import machine, write_section

from bluegreen.images.sample import prepare_sample_context
from bluegreen.sandbox.process import free_port
from bluegreen.sandbox.server import start_sandbox

REGISTRY_CONFIG = """version: 0.1
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: 127.0.0.1:{port}
"""


def start_reference(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = folder / "config.yml"
    config.write_text(REGISTRY_CONFIG.format(root=folder / "data", port=port))
    process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=0.5)  # loopback only
            return process, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("docker-registry did not start")


def push(client: object, image: object, target: str, auth: dict[str, str] | None) -> float:
    image.tag(target, tag="bench")  # type: ignore[attr-defined]
    start = time.perf_counter()
    for line in client.api.push(target, tag="bench", stream=True, decode=True, auth_config=auth):  # type: ignore[attr-defined]
        if "error" in line:
            raise RuntimeError(line["error"])
    took = time.perf_counter() - start
    client.images.remove(f"{target}:bench")  # type: ignore[attr-defined]
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("docker-registry") is None:
        print("docker-registry is not installed (apt-get install docker-registry): nothing measured")
        return
    import base64

    import docker

    client = docker.from_env()
    image, _ = client.images.build(path=str(prepare_sample_context()), tag="bluegreen-bench-push:1", rm=True)
    folder = Path(tempfile.mkdtemp(prefix="bluegreen-registry-"))
    reference, reference_host = start_reference(folder)
    times: dict[str, list[float]] = {"sandbox ECR registry": [], "docker-registry 2.8 (Debian)": []}
    try:
        with start_sandbox(port=0) as handle:
            ecr = handle.client("ecr")
            token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
            user, password = base64.b64decode(token).decode().split(":", 1)
            auth = {"username": user, "password": password}
            for run in range(args.runs):  # interleaved
                ecr.create_repository(repositoryName=f"bench{run}")
                times["sandbox ECR registry"].append(push(client, image, f"{handle.registry_host}/bench{run}", auth))
                times["docker-registry 2.8 (Debian)"].append(push(client, image, f"{reference_host}/bench{run}", None))
    finally:
        reference.kill()
        reference.wait()
        client.images.remove(image.id, force=True)
        shutil.rmtree(folder, ignore_errors=True)
    size = image.attrs["Size"]
    base = statistics.median(times["docker-registry 2.8 (Debian)"])
    rows = ["| registry | median s per push | ratio |", "|---|---|---|"]
    for name, values in times.items():
        rows.append(f"| {name} | {statistics.median(values):.2f} | {statistics.median(values) / base:.2f}x |")
    text = "\n".join(["## Registry push (`bench/registry_push.py`)", "",
                      f"{machine()}; `docker push` of the sample image ({size / 1e6:.1f} MB) to a new repository "
                      f"each time, {args.runs} interleaved runs, median.", "", *rows])
    print(text)
    write_section("registry_push", text)


if __name__ == "__main__":
    main()
