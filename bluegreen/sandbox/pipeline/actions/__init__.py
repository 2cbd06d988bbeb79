"""The action types the engine runs, by (category, owner, provider).

Anything else (CodeBuild, manual approval, Lambda, ...) fails with a message that says the sandbox
does not run it.
"""

from __future__ import annotations

from . import codecommit, codedeploy_ecs, ecr, s3
from .base import ActionCancelled, ActionContext, ActionFailed, ActionOutcome, Provider

PROVIDERS: dict[tuple[str, str, str], Provider] = {
    ("Source", "AWS", "CodeCommit"): codecommit.run,
    ("Source", "AWS", "ECR"): ecr.run,
    ("Source", "AWS", "S3"): s3.run,
    ("Deploy", "AWS", "CodeDeployToECS"): codedeploy_ecs.run,
}

# Which source action a revision type of StartPipelineExecution's sourceRevisions belongs to.
REVISION_TYPES: dict[str, tuple[str, ...]] = {
    "CodeCommit": ("COMMIT_ID",),
    "ECR": ("IMAGE_DIGEST",),
    "S3": ("S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY"),
}

__all__ = [
    "PROVIDERS",
    "REVISION_TYPES",
    "ActionCancelled",
    "ActionContext",
    "ActionFailed",
    "ActionOutcome",
    "Provider",
]
