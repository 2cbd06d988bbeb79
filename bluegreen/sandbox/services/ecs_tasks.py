"""ECS: services under the CODE_DEPLOY controller run real tasks (:mod:`bluegreen.sandbox.ecs`).

moto keeps the services' definitions; this handler hands the scheduler what moto accepted and
answers what the scheduler knows, in the ECS API's shapes:

- ``CreateService`` with the CODE_DEPLOY controller starts the service's first task set (PRIMARY,
  100%); a second service of the same name while one is ACTIVE or DRAINING is AWS's
  ``InvalidParameterException`` (moto replaced it silently);
- ``UpdateService``: ``desiredCount`` scales; a new task definition or ``forceNewDeployment`` is
  refused as ECS refuses them for this controller; ``DeleteService`` drains the service (DRAINING,
  then INACTIVE once its tasks stopped);
- ``DescribeServices``: ``taskSets``, ``runningCount``, ``pendingCount``, ``events``, ``status``;
  ``ListServices`` and ``ListClusters`` leave out what is deleted, as on AWS;
- ``ListTasks``, ``DescribeTasks``, ``StopTask`` for the service's tasks; ``DescribeTaskSets``;
- ``CreateTaskSet``, ``UpdateTaskSet``, ``DeleteTaskSet`` and ``UpdateServicePrimaryTaskSet`` on a
  CODE_DEPLOY service are refused as on AWS (CodeDeploy uses ``handle.services["ecs"]``);
- ``DeleteCluster`` of a cluster whose services or tasks are still there is refused.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..ecs import EcsEngine
from ..ecs import shapes as S
from ..ecs.model import ACTIVE, DRAINING, ServiceRecord
from ..wire import AwsError, AwsRequest, Response, json_response
from .common import BackendHandler, json_body_or_none, with_body

log = logging.getLogger("bluegreen.sandbox.ecs")

CODE_DEPLOY = "CODE_DEPLOY"
_TASK_SET_OPERATIONS = ("CreateTaskSet", "UpdateTaskSet", "DeleteTaskSet", "UpdateServicePrimaryTaskSet")
_USE_CODEDEPLOY = "Use AWS CodeDeploy to trigger a new deployment."


def _cluster(body: dict[str, Any]) -> str:
    return str(body.get("cluster") or "default").split("/")[-1]


class EcsServiceTasks(BackendHandler):
    def __init__(self, account_id: str, default_region: str, engine: EcsEngine) -> None:
        super().__init__(account_id, default_region)
        self.engine = engine

    # --- before moto -----------------------------------------------------------------------------

    def handle(self, req: AwsRequest) -> Response | None:
        body = json_body_or_none(req)
        if body is None:
            return None
        region = self.region(req)
        op = req.operation
        if op == "CreateService":
            self._refuse_second_service(region, body)
        elif op == "UpdateService":
            self._refuse_code_deploy_update(region, body)
        elif op in _TASK_SET_OPERATIONS:
            if self._controller(region, _cluster(body), str(body.get("service") or "")) == CODE_DEPLOY:
                raise AwsError("InvalidParameterException", "Amazon ECS only supports task set management on "
                               "services configured to use external deployment controllers.")
        elif op == "DescribeTaskSets":
            return self._describe_task_sets(req, region, body)
        elif op == "StopTask":
            return self._stop_task(req, region, body)
        elif op == "DeleteCluster":
            self._refuse_busy_cluster(region, body)
        return None

    def _controller(self, region: str, cluster: str, service: str) -> str | None:
        found = self.moto_backend("ecs", region).services.get(f"{cluster}:{service.split('/')[-1]}")
        if found is None or found.status != ACTIVE:
            return None
        return str((found.deployment_controller or {}).get("type", "ECS"))

    def _refuse_second_service(self, region: str, body: dict[str, Any]) -> None:
        name = body.get("serviceName")
        if not isinstance(name, str):
            return
        cluster = _cluster(body)
        existing = self.moto_backend("ecs", region).services.get(f"{cluster}:{name}")
        record = self.engine.service_record(region, cluster, name)
        if (existing is not None and existing.status == ACTIVE) or (
                record is not None and record.status in (ACTIVE, DRAINING)):
            raise AwsError("InvalidParameterException", "Creation of service was not idempotent.")

    def _refuse_code_deploy_update(self, region: str, body: dict[str, Any]) -> None:
        service = str(body.get("service") or "")
        if self._controller(region, _cluster(body), service) != CODE_DEPLOY:
            return
        if body.get("forceNewDeployment") is True:
            raise AwsError("InvalidParameterException", "Cannot force a new deployment on services with a "
                           f"CODE_DEPLOY deployment controller. {_USE_CODEDEPLOY}")
        wanted = body.get("taskDefinition")
        if isinstance(wanted, str) and wanted:
            record = self.engine.service_record(region, _cluster(body), service)
            current = record.primary.task_definition_arn if record and record.primary else None
            try:
                resolved = self.engine.moto.task_definition(region, wanted)["taskDefinitionArn"]
            except AwsError:
                resolved = wanted
            if resolved != current:
                raise AwsError("InvalidParameterException", "Unable to update task definition on services with a "
                               f"CODE_DEPLOY deployment controller. {_USE_CODEDEPLOY}")

    def _refuse_busy_cluster(self, region: str, body: dict[str, Any]) -> None:
        services, tasks = self.engine.busy(region, _cluster(body))
        if services:
            raise AwsError("ClusterContainsServicesException",
                           "The Cluster cannot be deleted while Services are active.")
        if tasks:
            raise AwsError("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")

    def _describe_task_sets(self, req: AwsRequest, region: str, body: dict[str, Any]) -> Response | None:
        record = self.engine.service_record(region, _cluster(body), str(body.get("service") or ""))
        if record is None:
            return None
        wanted = body.get("taskSets") or []
        with self.engine.scheduler.lock:
            sets = [S.task_set(ts) for ts in record.task_sets
                    if not wanted or ts.arn in wanted or ts.id in wanted]
            found = {s["taskSetArn"] for s in sets} | {s["id"] for s in sets}
        failures = [{"arn": w, "reason": "MISSING"} for w in wanted if w not in found]
        return json_response(req, {"taskSets": sets, "failures": failures})

    def _stop_task(self, req: AwsRequest, region: str, body: dict[str, Any]) -> Response | None:
        task = self.engine.find_task(region, _cluster(body), str(body.get("task") or ""))
        if task is None:
            return None
        self.engine.scheduler.stop_task(task, body.get("reason") if isinstance(body.get("reason"), str) else None)
        with self.engine.scheduler.lock:
            return json_response(req, {"task": S.task(task)})

    # --- after moto ----------------------------------------------------------------------------

    def after(self, req: AwsRequest, resp: Response) -> Response:
        if resp.status != 200 or req.operation not in _AMENDED:
            return resp
        body = json_body_or_none(req) or {}
        try:
            payload = json.loads(resp.body)
        except ValueError:
            return resp
        try:
            getattr(self, f"_after_{req.operation}")(self.region(req), body, payload)
        except AwsError:
            raise
        except Exception:
            log.exception("ECS scheduler did not follow %s", req.operation)
            return resp
        return with_body(resp, json.dumps(payload).encode())

    def _record_of(self, region: str, shape: dict[str, Any]) -> ServiceRecord | None:
        cluster = str(shape.get("clusterArn", "")).split("/")[-1]
        record = self.engine.service_record(region, cluster, str(shape.get("serviceName", "")))
        return record if record is not None and record.arn == shape.get("serviceArn") else None

    def _amend(self, region: str, shape: dict[str, Any]) -> None:
        record = self._record_of(region, shape)
        if record is not None:
            with self.engine.scheduler.lock:
                S.amend_service(shape, record)

    def _after_CreateService(self, region: str, body: dict[str, Any], payload: dict[str, Any]) -> None:
        shape = payload.get("service") or {}
        if (shape.get("deploymentController") or {}).get("type") != CODE_DEPLOY:
            return
        moto_service = self.moto_backend("ecs", region).services.get(
            f"{str(shape.get('clusterArn', '')).split('/')[-1]}:{shape.get('serviceName')}")
        if moto_service is None:
            return
        self.engine.add_service(region, moto_service)
        self._amend(region, shape)

    def _after_UpdateService(self, region: str, body: dict[str, Any], payload: dict[str, Any]) -> None:
        shape = payload.get("service") or {}
        record = self._record_of(region, shape)
        if record is None:
            return
        if isinstance(body.get("desiredCount"), int):
            self.engine.set_desired(record, body["desiredCount"])
        self._amend(region, shape)

    def _after_DeleteService(self, region: str, body: dict[str, Any], payload: dict[str, Any]) -> None:
        shape = payload.get("service") or {}
        record = self._record_of(region, shape)
        if record is None:
            return
        self.engine.delete_service(record)
        self._amend(region, shape)

    def _after_DescribeServices(self, region: str, body: dict[str, Any], payload: dict[str, Any]) -> None:
        for shape in payload.get("services") or []:
            self._amend(region, shape)

    def _after_ListServices(self, region: str, body: dict[str, Any], payload: dict[str, Any]) -> None:
        """A deleted service (DRAINING or INACTIVE) is no longer listed (DeleteService)."""
        services = self.moto_backend("ecs", region).services
        cluster = _cluster(body)
        kept = []
        for arn in payload.get("serviceArns") or []:
            name = str(arn).split("/")[-1]
            moto_service = services.get(f"{cluster}:{name}")
            record = self.engine.service_record(region, cluster, name)
            status = record.status if record is not None and record.arn == arn else (
                moto_service.status if moto_service is not None else ACTIVE)
            if status == ACTIVE:
                kept.append(arn)
        payload["serviceArns"] = kept

    def _after_ListClusters(self, region: str, body: dict[str, Any], payload: dict[str, Any]) -> None:
        """A deleted cluster (INACTIVE) is no longer listed."""
        clusters = self.moto_backend("ecs", region).clusters
        payload["clusterArns"] = [arn for arn in payload.get("clusterArns") or []
                                  if getattr(clusters.get(str(arn).split("/")[-1]), "status", "ACTIVE") != "INACTIVE"]

    def _after_ListTasks(self, region: str, body: dict[str, Any], payload: dict[str, Any]) -> None:
        cluster = _cluster(body)
        service = body.get("serviceName") if isinstance(body.get("serviceName"), str) else None
        mine = self.engine.list_tasks(
            region, cluster, service=service,
            family=body.get("family") if isinstance(body.get("family"), str) else None,
            started_by=body.get("startedBy") if isinstance(body.get("startedBy"), str) else None,
            desired_status=str(body.get("desiredStatus") or "RUNNING"),
            launch_type=body.get("launchType") if isinstance(body.get("launchType"), str) else None)
        if service is not None and self.engine.service_record(region, cluster, service) is not None:
            payload["taskArns"] = mine  # moto cannot filter by service: only the scheduler's tasks
        else:
            payload["taskArns"] = list(payload.get("taskArns") or []) + mine

    def _after_DescribeTasks(self, region: str, body: dict[str, Any], payload: dict[str, Any]) -> None:
        cluster = _cluster(body)
        tasks = list(payload.get("tasks") or [])
        known = {t.get("taskArn") for t in tasks} | {str(t.get("taskArn", "")).split("/")[-1] for t in tasks}
        failures = list(payload.get("failures") or [])
        with self.engine.scheduler.lock:
            for reference in body.get("tasks") or []:
                reference = str(reference)
                if reference in known:
                    continue
                task = self.engine.find_task(region, cluster, reference)
                if task is not None:
                    tasks.append(S.task(task))
                else:
                    arn = reference if reference.startswith("arn:") else (
                        f"arn:aws:ecs:{region}:{self.account_id}:task/{cluster}/{reference}")
                    failures.append({"arn": arn, "reason": "MISSING"})
        payload["tasks"] = tasks
        payload["failures"] = failures


_AMENDED = {"CreateService", "UpdateService", "DeleteService", "DescribeServices", "ListServices",
            "ListClusters", "ListTasks", "DescribeTasks"}
