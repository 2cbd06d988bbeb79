"""The sandbox's tasks and load balancers, put together: the task runtime, the load balancer data
plane, the ECS engine, and their ECS, ELBv2 and CloudWatch Logs handlers on the router.

``install`` is called by the server while it installs the services; ``stop_before_server`` moves
their stop steps after the HTTP server's in the stop list (stop steps run last first), so tasks and
proxies stop while the server still answers the calls they make.
"""

from __future__ import annotations

from typing import Any

from ..clients import MotoClients
from ..dataplane.lazy import LazyDataPlane
from ..ecs import AddressMap, EcsEngine
from ..router import Router
from ..runtime import runtime_for, token_auth
from .ecs import EcsChecks, EcsRealism
from .ecs_linked_role import EcsServiceLinkedRole
from .ecs_tasks import EcsServiceTasks
from .elbv2_dataplane import Elbv2DataPlane
from .elbv2_listeners import ListenerProxies
from .elbv2_targets import LoadBalancerTargets
from .logs import TaskLogs

_LATE = "_stop_before_server"


def install(handle: Any, registry: Any, stoppers: list[Any]) -> None:
    """``handle.services``: ``dataplane``, ``runtime``, ``ecs`` (the task-set control CodeDeploy
    uses), ``elbv2`` (``listener_address``), ``logs`` (the task log streams the Logs API reads)."""
    router: Router = handle.router
    clients: MotoClients = handle.clients
    plane = LazyDataPlane(time_scale=handle.clock.time_scale)  # starts with the first load balancer
    stoppers.append(plane.stop)
    handle.services["dataplane"] = plane

    # sweeps the containers of sandboxes that were killed; simulated when no engine answers
    runtime = runtime_for(handle.registry_host, token_auth(lambda: registry.authorization_token, handle.registry_host),
                          time_scale=handle.clock.time_scale, tasks=handle.tasks)
    stoppers.append(runtime.close)
    handle.services["runtime"] = runtime

    addresses = AddressMap()
    targets = LoadBalancerTargets(handle.account_id, plane, addresses)
    engine = EcsEngine(handle.account_id, runtime, targets, addresses, handle.clock)
    stoppers.append(engine.stop)
    handle.services["ecs"] = engine
    handle.services[_LATE] = [plane.stop, runtime.close, engine.stop]

    router.add("ecs", EcsChecks(clients))
    router.add("ecs", EcsRealism(handle.account_id, handle.region, engine))
    router.add("ecs", EcsServiceTasks(handle.account_id, handle.region, engine))
    router.add("ecs", EcsServiceLinkedRole(handle.account_id, handle.region))

    # the task log groups read from the runtime; every other group stays moto's
    handle.services["logs"] = engine.logs
    router.add("logs", TaskLogs(handle.account_id, handle.region, engine.logs))

    elbv2 = Elbv2DataPlane(handle.account_id, handle.region, ListenerProxies(plane, router.info), targets)
    handle.services["elbv2"] = elbv2
    router.add("elasticloadbalancing", elbv2)


def stop_before_server(handle: Any, stoppers: list[Any]) -> None:
    """Call right after the server's stop step is added."""
    for stop in handle.services.pop(_LATE, []):
        stoppers.remove(stop)
        stoppers.append(stop)
