"""Start and stop the local AWS region.

``start_sandbox()`` starts moto's ``ThreadedMotoServer`` on an internal loopback port, the front
router on the public port (AWS APIs and the ECR registry share it), seeds the account, and returns
a :class:`SandboxHandle`. Everything runs in background threads; ``handle.stop()`` frees every port
and thread it started. :func:`probe` tells whether a bluegreen sandbox answers at an endpoint.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from .clients import TEST_ACCESS_KEY, TEST_SECRET_KEY, MotoClients
from .clock import Clock
from .connection import IDLE_TIMEOUT, READ_TIMEOUT
from .forward import InProcessMoto, MotoForwarder
from .httpserver import StoppableServer
from .router import HEALTH_PATH, Router
from .seed import RegionSeeder
from .services.ec2 import SeedResult, seed_network
from .services.iam import enable_managed_policies

log = logging.getLogger("sandbox")

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_PORT = 4599  # the foreground ``bluegreen sandbox`` command's port

# One sandbox at a time mutates moto's process-global configuration and state.
_start_lock = threading.Lock()
_live: set[int] = set()  # ids of running handles in this process


@dataclass
class SandboxHandle:
    endpoint_url: str
    registry_host: str
    account_id: str
    region: str
    moto_endpoint_url: str
    seed: SeedResult | None
    state_dir: Path
    router: Router
    clients: MotoClients
    event_log: list[Any] = field(default_factory=list)
    pipeline_starts: list[Any] = field(default_factory=list)
    services: dict[str, Any] = field(default_factory=dict)
    seeder: RegionSeeder | None = None
    clock: Clock = field(default_factory=Clock)
    tasks: str = "auto"  # how ECS tasks run: auto | docker | simulated (runtime.TASK_MODES)

    @property
    def seeds(self) -> dict[str, SeedResult]:
        """Seed results by region: the sandbox's own, and each region seeded on first use."""
        return dict(self.seeder.results) if self.seeder is not None else {}

    @property
    def events(self) -> Any:
        """The sandbox's :class:`bluegreen.sandbox.services.events.EventBus` (emitted events, matches, hook)."""
        return self.services["events"]

    _stoppers: list[Any] = field(default_factory=list, repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point the AWS CLI and boto3 at the sandbox."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def client(self, name: str, **kwargs: Any) -> Any:
        """A boto3 client for this sandbox (through the router, as any user's client)."""
        import boto3

        kwargs.setdefault("region_name", self.region)
        return boto3.client(
            name,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=TEST_ACCESS_KEY,
            aws_secret_access_key=TEST_SECRET_KEY,
            **kwargs,
        )

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for stop in reversed(self._stoppers):
            try:
                stop()
            except Exception:  # keep stopping the rest
                log.exception("sandbox stop step failed")

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    latency_ms: float = 0,
    state_dir: str | Path | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    *,
    reset: bool = True,
    seed: bool = True,
    forward: str = "inprocess",
    throttle_rate: float = 0.0,
    throttle_seed: int | None = None,
    throttle_reads_only: bool = False,
    read_timeout: float = READ_TIMEOUT,
    idle_timeout: float = IDLE_TIMEOUT,
    time_scale: float = 1.0,
    tasks: str = "auto",
) -> SandboxHandle:
    """Start the local AWS region in background threads and return its handle.

    ``reset`` clears moto's in-process state first, unless another sandbox of this process is
    running (moto's state is process-global: sandboxes side by side share it, per account);
    ``seed`` adds the internet gateway, default route and private subnet (to this region at start,
    to any other region on its first request). ``throttle_rate`` answers that fraction of AWS API
    calls with the service's throttling error (reproducibly with ``throttle_seed``; changeable at
    run time as ``handle.router.throttle_rate``); with ``throttle_reads_only`` only read calls
    (Describe*, Get*, List*, BatchGet*, Head*) are throttled (``handle.router.throttle_reads_only``
    at run time). ``forward`` chooses how
    the router reaches moto: ``"inprocess"`` calls moto's WSGI app directly (fast), ``"http"`` goes
    through ThreadedMotoServer's loopback port. ``read_timeout`` bounds how long a request's head
    may take to arrive and how long any read of its body may wait; ``idle_timeout`` how long a
    kept-alive connection may wait for its next request (seconds; see
    :mod:`bluegreen.sandbox.connection`). ``time_scale`` runs AWS's waits (CodeDeploy's minutes,
    health-check intervals) that many times faster (:mod:`bluegreen.sandbox.clock`). ``tasks``: ECS
    tasks as containers on the local Docker engine (``"docker"``), simulated (``"simulated"``), or
    containers when an engine answers (``"auto"``).
    """
    from moto.server import ThreadedMotoServer

    if not 0.0 <= throttle_rate <= 1.0:
        raise ValueError(f"throttle_rate must be between 0 and 1, not {throttle_rate}")
    stoppers: list[Any] = []

    def unwind() -> None:
        for stop in reversed(stoppers):
            try:
                stop()
            except Exception:
                log.exception("sandbox cleanup step failed")

    with _start_lock:
        try:
            if state_dir is None:
                # named after this process: the next sandbox removes it if a kill left it
                from .process import sweep_state_dirs

                sweep_state_dirs()
                tmp = tempfile.TemporaryDirectory(prefix=f"bluegreen-sandbox-{os.getpid()}-")
                stoppers.append(tmp.cleanup)
                state_path = Path(tmp.name)
            else:
                state_path = Path(state_dir)
                state_path.mkdir(parents=True, exist_ok=True)

            logging.getLogger("werkzeug").setLevel(logging.WARNING)
            enable_managed_policies()
            if reset and not _live:  # never wipe the state of another running sandbox
                from moto.moto_api._internal.models import moto_api_backend

                moto_api_backend.reset()

            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            moto.start()
            stoppers.append(moto.stop)
            moto_host, moto_port = moto.get_host_and_port()
            moto_url = f"http://{moto_host}:{moto_port}"

            clients = MotoClients(moto_url, region, account_id)
            stoppers.append(clients.close)
            forwarder: MotoForwarder | InProcessMoto
            if forward == "http":
                forwarder = MotoForwarder(moto_host, moto_port, account_id)
            else:
                forwarder = InProcessMoto(account_id, moto_host, moto_port)
            stoppers.append(forwarder.close)

            router = Router(
                forwarder, latency_ms=latency_ms, throttle_rate=throttle_rate, throttle_seed=throttle_seed,
                throttle_reads_only=throttle_reads_only,
            )
            router.info.update({"region": region, "account_id": account_id, "time_scale": time_scale})
            server = StoppableServer(
                host, port, router, name="bluegreen-sandbox",
                read_timeout=read_timeout, idle_timeout=idle_timeout,
            )
            stoppers.append(server.server_close)
            public_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
            endpoint = f"http://{public_host}:{server.bound_port}"

            handle = SandboxHandle(
                endpoint_url=endpoint,
                registry_host=f"{public_host}:{server.bound_port}",
                account_id=account_id,
                region=region,
                moto_endpoint_url=moto_url,
                seed=None,
                state_dir=state_path,
                router=router,
                clients=clients,
                clock=Clock(time_scale),
                tasks=tasks,
            )
            _install_services(handle, stoppers)
            if seed:
                handle.seed = seed_network(clients)
                seeder = RegionSeeder(lambda r: MotoClients(moto_url, r, account_id))
                stoppers.append(seeder.close)
                seeder.mark(region, handle.seed)
                handle.seeder = seeder
                router.on_region = seeder.ensure
            server.start()
            stoppers.remove(server.server_close)
            stoppers.append(server.stop)
            # tasks and proxies stop before the server (stoppers run last first)
            from .services.ecs_wiring import stop_before_server

            stop_before_server(handle, stoppers)
            # stopped before the server (stoppers run last first): its workers call the server
            stoppers.append(handle.services["pipelines"].stop)
            stoppers.append(handle.services["deployments"].stop)
        except BaseException:
            unwind()
            raise
    _live.add(id(handle))
    stoppers.insert(0, lambda: _live.discard(id(handle)))
    handle._stoppers = stoppers
    return handle


def health(endpoint_url: str, timeout: float = 0.5) -> dict[str, Any] | None:
    """What a bluegreen sandbox says of itself at ``GET /_bluegreen/health``; None for any
    other answer, a refused connection or a timeout."""
    import http.client
    import json
    import urllib.request

    url = endpoint_url.rstrip("/") + HEALTH_PATH
    if not url.startswith(("http://", "https://")):
        return None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=timeout) as resp:
            if resp.status != 200:
                return None
            payload = json.loads(resp.read(64 * 1024) or b"null")
    except (OSError, ValueError, http.client.HTTPException):  # URLError is an OSError
        return None
    if not isinstance(payload, dict) or payload.get("sandbox") != "bluegreen":
        return None
    return payload


def probe(endpoint_url: str, timeout: float = 0.5) -> bool:
    """Does a bluegreen sandbox answer at ``endpoint_url``?"""
    return health(endpoint_url, timeout) is not None


def sandbox_region(endpoint_url: str, timeout: float = 0.5) -> str | None:
    """The region a running sandbox serves (its seeds, CodeCommit and events live there), or
    None when no bluegreen sandbox answers."""
    payload = health(endpoint_url, timeout)
    region = payload.get("region") if payload else None
    return region if isinstance(region, str) else None


def sandbox_time_scale(endpoint_url: str, timeout: float = 0.5) -> float:
    """How many times faster than AWS a running sandbox runs CodeDeploy's minutes (1 when no
    sandbox answers, or an older one does not say)."""
    payload = health(endpoint_url, timeout)
    scale = payload.get("time_scale") if payload else None
    return float(scale) if isinstance(scale, (int, float)) and scale > 0 else 1.0


def _install_services(handle: SandboxHandle, stoppers: list[Any]) -> None:
    """Each service's handlers on the router, in the order they run for a request: checks before
    the service's own operations, corrections of moto's answers last."""
    from .deploy import DeploymentEngine
    from .deploy.frontdoor import FrontDoorApi
    from .pipeline import PipelineEngine
    from .roles import ActingRoles
    from .services.codecommit import CodeCommit
    from .services.codedeploy import CodeDeploy, CodeDeployChecks
    from .services.codedeploy_deployments import CodeDeployDeployments
    from .services.codepipeline import CodePipelineChecks, CodePipelineExecutions
    from .services.ec2 import Ec2Realism
    from .services.ecr import EcrHandler, MotoEcrGate, Registry
    from .services.ecs_wiring import install as install_tasks_and_load_balancers
    from .services.elbv2 import Elbv2Realism
    from .services.events import EventBus, EventsApi
    from .services.iam import IamChecks
    from .services.s3 import S3Realism
    from .services.tagging import Tagging

    router = handle.router
    bus = EventBus(handle.clients, handle.account_id, handle.region)
    handle.event_log = bus.event_log
    handle.pipeline_starts = bus.pipeline_starts
    handle.services["events"] = bus
    router.add("events", EventsApi())  # TestEventPattern with the bus's own matcher

    def on_reference(detail: dict[str, Any], region: str) -> None:
        bus.emit(
            "aws.codecommit",
            "CodeCommit Repository State Change",
            detail,
            [codecommit.arn(detail["repositoryName"], region)],
            region=region,
        )

    codecommit = CodeCommit(
        handle.account_id, handle.region, handle.state_dir, on_reference_change=on_reference
    )
    handle.services["codecommit"] = codecommit
    router.add("codecommit", codecommit)

    gate = MotoEcrGate(handle.clients, bus)
    registry = Registry(handle.state_dir / "registry", gate, handle.registry_host, handle.account_id)
    stoppers.append(registry.close)
    handle.services["registry"] = registry
    router.registry = registry
    router.add("ecr", EcrHandler(registry, handle.account_id, handle.region, gate))

    # ECS tasks as containers, behind the load balancers' data plane
    install_tasks_and_load_balancers(handle, registry, stoppers)

    codedeploy = CodeDeploy(handle.account_id, handle.region)
    handle.services["codedeploy"] = codedeploy
    router.add("codedeploy", CodeDeployChecks(handle.clients))
    router.add("codedeploy", codedeploy)
    # Deployments run in the deployment engine, on the ECS engine's task sets (looked up when a
    # deployment needs them) and the load balancer's public API; stopped before the HTTP server.
    deploy_api = FrontDoorApi(handle.endpoint_url)
    stoppers.append(deploy_api.close)
    deployments = DeploymentEngine(
        handle.account_id, deploy_api, clock=handle.clock, task_sets=lambda: handle.services.get("ecs")
    )
    handle.services["deployments"] = deployments
    codedeploy.deployments = deployments
    router.add("codedeploy", CodeDeployDeployments(handle.account_id, handle.region, codedeploy, deployments))

    # Services acting with their roles are checked against them (closed after the engines stop)
    roles = ActingRoles(handle.moto_endpoint_url, handle.endpoint_url, handle.account_id, handle.region)
    stoppers.append(roles.close)
    handle.services["roles"] = roles
    deployments.authorize = roles.authorize  # CodeDeploy acts with the group's service role

    pipelines = PipelineEngine(handle.account_id, handle.endpoint_url, time_scale=handle.clock.time_scale)
    stoppers.append(pipelines.stop)
    handle.services["pipelines"] = pipelines
    pipelines.authorize = roles.authorize
    bus.pipeline_start_hook = roles.rule_target(pipelines.on_event)
    router.add("codepipeline", CodePipelineChecks(handle.clients))
    router.add("codepipeline", CodePipelineExecutions(pipelines, handle.region))
    router.add("ec2", Ec2Realism(handle.account_id, handle.region))
    router.add("elasticloadbalancing", Elbv2Realism(handle.account_id, handle.region))
    router.add("s3", S3Realism(handle.account_id, handle.region))
    router.add("iam", IamChecks())

    tagging = Tagging(handle.account_id, handle.region)
    tagging.add_source(codedeploy.tags_by_arn)
    tagging.add_source(codecommit.tags_by_arn)
    handle.services["tagging"] = tagging
    router.add("tagging", tagging)
