"""The words each AWS service uses when its role falls short (sources and what is unverified:
docs/sandbox-roles.md).

A :class:`Shortfall` says what failed (the role could not be assumed, or one action on one
resource was denied and by which kind of policy); each service turns it into its own error.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass

from ..wire import AwsError
from .requests import CODEDEPLOY, CODEPIPELINE, EVENTS

ASSUME = "assume"
PERMISSION = "permission"


@dataclass(frozen=True)
class Shortfall:
    role_arn: str
    principal: str  # the service acting with the role
    kind: str  # ASSUME or PERMISSION
    action: str = ""
    resource: str = ""
    explicit: bool = False  # an explicit Deny decided (else nothing allowed it)
    boundary: bool = False  # the permissions boundary decided

    @property
    def service(self) -> str:
        return self.action.split(":", 1)[0].lower()


def session_arn(role_arn: str, session: str) -> str:
    """The assumed-role session a service acts as: ``arn:aws:sts::<acct>:assumed-role/<name>/<session>``."""
    parts = role_arn.split(":", 5)
    account = parts[4] if len(parts) == 6 else ""
    return f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/{session}"


def not_authorized(short: Shortfall, session: str) -> str:
    """IAM's access-denied text (IAM User Guide, "Troubleshoot access denied error messages")."""
    user = session_arn(short.role_arn, session)
    kind = "permissions boundary" if short.boundary else "identity-based policy"
    if short.explicit:
        why = f"with an explicit deny in {'a' if short.boundary else 'an'} {kind}"
    else:
        why = f"because no {kind} allows the {short.action} action"
    return f"User: {user} is not authorized to perform: {short.action} on resource: {short.resource} {why}"


# --- CodePipeline: the action fails with errorDetails.message -------------------------------------


def pipeline_session() -> str:
    # CodePipeline's sessions are named by a millisecond timestamp (seen in a user's report:
    # ".../assumed-role/<role>/1564844186052")
    return str(int(time.time() * 1000))


def codepipeline(short: Shortfall) -> AwsError:
    if short.kind == ASSUME:
        return AwsError(
            "AccessDeniedException", f"CodePipeline is not authorized to perform AssumeRole on role {short.role_arn}"
        )
    if short.service == "codecommit":
        repo = short.resource.rsplit(":", 1)[-1]
        return AwsError(
            "AccessDeniedException",
            # AWS writes a typographic apostrophe here
            f"The service role or action role doesn’t have the permissions required to access the AWS CodeCommit "  # noqa: RUF001
            f"repository named {repo}. Update the IAM role permissions, and then try again. "
            f"Error: {not_authorized(short, pipeline_session())}",
        )
    if short.service == "s3":
        return AwsError(
            "AccessDeniedException",
            "The provided role does not have permissions to perform this action. Underlying error: Access Denied "
            f"(Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: {_request_id()}; "
            f"S3 Extended Request ID: {_extended_id()})",
        )
    # The deploy action reports any shortfall of its own calls (CodeDeploy's, and ECS's
    # RegisterTaskDefinition and iam:PassRole it makes first) as "access CodeDeploy".
    service = "CodeDeploy" if short.service in ("codedeploy", "ecs", "iam") else _display(short.service)
    return AwsError(
        "AccessDeniedException", f"The provided role does not have sufficient permissions to access {service}"
    )


def _display(prefix: str) -> str:
    return {"ecr": "ECR", "codebuild": "CodeBuild", "lambda": "Lambda"}.get(prefix, prefix)


def _request_id() -> str:
    return "".join(secrets.choice("0123456789ABCDEF") for _ in range(16))


def _extended_id() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(76)) + "="


# --- EventBridge: nothing is shown to anyone, the invocation counts as failed ----------------------


def events(short: Shortfall) -> AwsError:
    if short.kind == ASSUME:
        return AwsError("AccessDeniedException", f"EventBridge cannot assume the role {short.role_arn}")
    return AwsError("AccessDeniedException", not_authorized(short, "events-invocation"))


# --- CodeDeploy: the deployment fails with errorInformation {code, message} -------------------------

# The service names CodeDeploy writes are AWS SDK client names; verified: AWSLambda,
# AmazonElasticLoadBalancingV2, AmazonEC2, AmazonAutoScaling; the rest follow the same naming.
CODEDEPLOY_SERVICES = {
    "ecs": "AmazonECS",
    "iam": "AmazonECS",  # iam:PassRole is checked by ECS, in the CreateTaskSet CodeDeploy calls
    "elasticloadbalancing": "AmazonElasticLoadBalancingV2",
    "lambda": "AWSLambda",
    "cloudwatch": "AmazonCloudWatch",
    "sns": "AmazonSNS",
    "s3": "AmazonS3",
    "ec2": "AmazonEC2",
    "autoscaling": "AmazonAutoScaling",
}


def codedeploy(short: Shortfall) -> AwsError:
    if short.kind == ASSUME:
        return AwsError(
            "IAM_ROLE_MISSING",
            f"AWS CodeDeploy does not have the permissions required to assume the role {short.role_arn}.",
        )
    service = CODEDEPLOY_SERVICES.get(short.service, short.service)
    return AwsError(
        "IAM_ROLE_PERMISSIONS",
        f"The IAM role {short.role_arn} does not give you permission to perform operations in the following AWS "
        f"service: {service}. Contact your AWS administrator if you need help. If you are an AWS administrator, you "
        "can grant permissions to your users or groups by creating IAM policies.",
    )


def for_principal(short: Shortfall) -> AwsError:
    if short.principal == CODEPIPELINE:
        return codepipeline(short)
    if short.principal == CODEDEPLOY:
        return codedeploy(short)
    if short.principal == EVENTS:
        return events(short)
    if short.kind == ASSUME:
        return AwsError("AccessDeniedException", f"{short.principal} cannot assume the role {short.role_arn}")
    return AwsError("AccessDeniedException", not_authorized(short, "sandbox"))
