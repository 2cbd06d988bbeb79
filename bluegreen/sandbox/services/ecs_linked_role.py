"""ECS makes its service-linked role itself, as AWS documents: "When you create a cluster or
create or update a service in the AWS Management Console, the AWS CLI, or the AWS API, Amazon
ECS creates the service-linked role for you" (ECS Developer Guide, "Using service-linked roles
for Amazon ECS"; the CreateCluster API reference says the same of CreateCluster).

So after a successful ``CreateCluster``, ``CreateService`` or ``UpdateService`` the account has
``AWSServiceRoleForECS`` (path ``/aws-service-role/ecs.amazonaws.com/``), made the way IAM's
``CreateServiceLinkedRole`` makes it, unless it exists already. A role deleted afterwards stays
deleted until the next such call, as on AWS. IAM's own ``CreateServiceLinkedRole`` for
``ecs.amazonaws.com`` gives the same name (moto 5.2 would name it ``AWSServiceRoleForecs``).
Not modelled: AWS skips the role when the caller may not create it (every caller may, in the
sandbox), and AWS refuses to delete the role while clusters remain (the sandbox deletes it).
"""

from __future__ import annotations

import logging

from ..wire import AwsRequest, Response
from .common import BackendHandler

log = logging.getLogger("bluegreen.sandbox.realism")

ECS_PRINCIPAL = "ecs.amazonaws.com"
ROLE_NAME = "AWSServiceRoleForECS"
_CREATING = frozenset({"CreateCluster", "CreateService", "UpdateService"})


class EcsServiceLinkedRole(BackendHandler):
    def __init__(self, account_id: str, default_region: str) -> None:
        super().__init__(account_id, default_region)
        from moto.iam import models

        # moto derives the role name from the principal ("ecs" -> "AWSServiceRoleForecs");
        # AWS's name is AWSServiceRoleForECS. moto's own table of such names takes it.
        models.SERVICE_NAME_CONVERSION.setdefault("ecs", "ECS")

    def after(self, req: AwsRequest, resp: Response) -> Response:
        if req.operation in _CREATING and resp.status == 200:
            self.ensure()
        return resp

    def ensure(self) -> None:
        iam = self.moto_backend("iam", "global")
        if any(role.name == ROLE_NAME for role in list(iam.roles.values())):
            return
        try:
            iam.create_service_linked_role(ECS_PRINCIPAL, "Role to enable Amazon ECS to manage your cluster.", "")
        except Exception:  # made meanwhile by another request: the role exists, which is all we want
            log.debug("ECS service-linked role not created", exc_info=True)
