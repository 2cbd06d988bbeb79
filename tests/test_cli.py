"""The CLI as a user runs it: whole processes, exit codes, messages, files written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "seed.yaml"


def bluegreen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from tui.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd or ROOT, timeout=120,
    )


def test_version() -> None:
    result = bluegreen("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("bluegreen, version ")


def test_help_lists_only_working_commands() -> None:
    result = bluegreen("--help")
    assert result.returncode == 0
    for command in ("init", "render", "validate"):
        assert command in result.stdout


def test_validate_accepts_the_seed() -> None:
    result = bluegreen("validate", "-f", str(SEED))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_validate_refuses_a_broken_file_with_one_message_and_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(SEED.read_text().replace("memory: 512", "memory: 600"))
    result = bluegreen("validate", "-f", str(broken))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {broken}: task.memory: with cpu 256, Fargate memory must be")
    assert "Fix: set memory to 512" in line


def test_validate_of_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    result = bluegreen("validate", "-f", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "bluegreen init" in result.stderr


def test_unknown_flag_is_bad_input() -> None:
    result = bluegreen("render", "--colour")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_render_writes_every_artifact(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = bluegreen("render", "-f", str(SEED), "-o", str(out))
    assert result.returncode == 0, result.stderr
    for name in ("taskdef.json", "appspec.yaml", "create-service.json", "deployment-group.json",
                 "pipeline.json", "cloudformation.yaml", "events/image-push.rule.json",
                 "iam/pipeline-policy.json", "network/load-balancer.json", "README.md"):
        assert (out / name).is_file(), name
    assert "<ACCOUNT_ID>" in result.stdout or "ACCOUNT_ID" in result.stdout


def test_render_of_a_bad_config_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: ecs-demo\nloadBalancer: {testPort: 80}\n")
    out = tmp_path / "out"
    result = bluegreen("render", "-f", str(broken), "-o", str(out))
    assert result.returncode == 2
    assert "loadBalancer.testPort" in result.stderr
    assert not out.exists()


def test_init_writes_a_starter_that_validates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "bluegreen.yaml"
    assert bluegreen("init", "-o", str(target)).returncode == 0
    assert bluegreen("validate", "-f", str(target)).returncode == 0
    again = bluegreen("init", "-o", str(target))
    assert again.returncode == 2
    assert "already exists" in again.stderr and "--force" in again.stderr
    assert bluegreen("init", "-o", str(target), "--force").returncode == 0


@pytest.mark.parametrize("command", [["--help"], ["render", "-f", str(SEED), "-o", "{out}"]])
def test_fast_paths_import_no_aws_or_docker_or_textual(command: list[str], tmp_path: Path) -> None:
    args = [a.replace("{out}", str(tmp_path / "o")) for a in command]
    probe = (
        "import sys\n"
        "from tui.cli import main\n"
        "try:\n    main(%r)\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 'moto', 'docker', 'textual'})\n"
        "assert not heavy, heavy\n" % (args,)
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr


def test_progress_as_plain_lines_and_as_the_live_tree() -> None:
    """apply/destroy/push progress: one line per event without a terminal; the live tree
    draws the rows of bluegreen.engine.progress (its rules are tested in test_progress_rows)."""
    import io

    from rich.console import Console

    from bluegreen.events import (
        BuildLog,
        BuildStep,
        NodeDone,
        NodeFailed,
        NodeSkipped,
        NodeStarted,
        PushDone,
        PushProgress,
        RunFinished,
    )
    from tui.progress import LiveTree

    out = io.StringIO()
    with LiveTree("Applying stack demo (us-east-1)", plain=True) as show:
        show.console = Console(file=out, width=200)
        for event in (NodeStarted("ecr.image", "Image demo:latest", "create"),
                      BuildStep(1, 1, "FROM scratch", node="ecr.image"),
                      BuildLog("Step 1/1 : FROM scratch", node="ecr.image"),
                      PushProgress("l1", "Pushing", 5, 10, node="ecr.image"),
                      PushDone("1.dkr.ecr/demo", "latest", "sha256:" + "a" * 64, 10, False, node="ecr.image"),
                      NodeDone("ecr.image", "created", "demo:latest", 1.5),
                      NodeStarted("iam.role.pipeline", "IAM role demo-pipeline", "create"),
                      NodeFailed("iam.role.pipeline", "EntityAlreadyExists", "role belongs to stack other",
                                 "rename this stack", 0.4),
                      NodeSkipped("codepipeline.pipeline", "needs IAM role demo-pipeline, which failed"),
                      RunFinished(False, 1, 1, 1, 2.0)):
            show(event)
    assert out.getvalue().splitlines() == [
        "… Image demo:latest: create",
        "  build step 1/1: FROM scratch",
        "  pushed: 1.dkr.ecr/demo:latest sha256:aaaaaaaaaaaa",
        "✚ Image demo:latest: created (1.5s)",
        "… IAM role demo-pipeline: create",
        "✗ role belongs to stack other [EntityAlreadyExists]",
        "    fix: rename this stack",
        "↷ codepipeline.pipeline: skipped, needs IAM role demo-pipeline, which failed",
        "Stopped in 2.0s: 1 finished, 1 failed, 1 skipped",
    ]

    drawn = Console(file=io.StringIO(), width=200, record=True)
    drawn.print(show._render())
    lines = [line.rstrip() for line in drawn.export_text().splitlines()]
    assert lines == [
        "Applying stack demo (us-east-1)",
        "├── ✚ Image demo:latest    1.5s  demo:latest",
        "├── ✗ IAM role demo-pipeline    0.4s  EntityAlreadyExists",
        "└── ↷ codepipeline.pipeline  needs IAM role demo-pipeline, which failed",  # never ran: no timer
        "✗ role belongs to stack other [EntityAlreadyExists]",
        "  fix: rename this stack",
        "Stopped in 2.0s: 1 finished, 1 failed, 1 skipped",
    ]


@pytest.mark.parametrize("args", [["init", "-o", "/proc/bluegreen-test/x.yaml"],
                                  ["render", "-f", "examples/seed.yaml", "-o", "/proc/bluegreen-test"]])
def test_a_path_that_cannot_be_written_is_one_line_with_a_fix(args: list[str]) -> None:
    from click.testing import CliRunner

    from tui.cli import main

    args = [str(SEED) if a == "examples/seed.yaml" else a for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: /proc/bluegreen-test") and "Fix: check that the folder exists" in line
    assert ".tmp" not in line
