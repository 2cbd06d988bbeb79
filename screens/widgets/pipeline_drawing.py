"""The pipeline's two stages as a small drawing, derived from the draft config:

    ┌─ Source ─────────────────┐     ┌─ Deploy ─────────────────┐
    │ CodeCommit my-app@main   │     │ CodeDeployToECS          │
    │ + ECR my-app:latest      │ ──▶ │ my-app / my-app          │
    └──────────────────────────┘     └──────────────────────────┘
"""

from __future__ import annotations

from textual.widgets import Static

from bluegreen.model.config import Config

MAX_INNER = 42  # two boxes and the arrow fit beside the step list at 120 columns


def source_text(config: Config) -> str:
    source = config.source
    if source.type == "s3":
        return f"S3 {source.bucket}/{source.key}"
    return f"CodeCommit {source.repository}@{source.branch}"


def image_text(config: Config) -> str:
    return f"ECR {config.image.repository}:{config.image.tag}"


def deploy_text(config: Config) -> str:
    return f"{config.code_deploy.application}/{config.code_deploy.deployment_group}"


def stage_line(config: Config) -> str:
    """The stages on one line (for narrow places and for the review)."""
    return (f"Source: {source_text(config)} + {image_text(config)}  →  "
            f"Deploy: CodeDeployToECS ({deploy_text(config)})")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _box(title: str, rows: list[str], inner: int) -> list[str]:
    top = f"┌─ {title} " + "─" * (inner - len(title) - 3) + "┐"
    body = [f"│ {_fit(row, inner - 2).ljust(inner - 2)} │" for row in rows]
    return [top, *body, "└" + "─" * inner + "┘"]


def stage_boxes(config: Config) -> str:
    source = [source_text(config), "+ " + image_text(config)]
    deploy = ["CodeDeployToECS", deploy_text(config)]
    inner = min(MAX_INNER, max(len(r) for r in source + deploy) + 2)
    inner = max(inner, 20)
    left, right = _box("Source", source, inner), _box("Deploy", deploy, inner)
    arrows = ["     ", "     ", " ──▶ ", "     "]
    return "\n".join(f"{a}{arrow}{b}" for a, arrow, b in zip(left, arrows, right, strict=True))


def triggers_text(config: Config) -> str:
    source = config.source
    change = (f"a commit to {source.branch} of {source.repository}" if source.type == "codecommit"
              else f"a new s3://{source.bucket}/{source.key}")
    return f"Runs on {change}, or a push of {config.image.repository}:{config.image.tag} to ECR."


class PipelineDrawing(Static):
    DEFAULT_CSS = """
    PipelineDrawing { height: auto; margin: 0 0 1 0; }
    """

    def show(self, config: Config) -> None:
        from rich.markup import escape

        self.update(f"{escape(stage_boxes(config))}\n[dim]{escape(triggers_text(config))}[/dim]")
