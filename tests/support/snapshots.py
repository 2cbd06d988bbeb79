"""Fixed `Snapshot` values for the monitor's tests and demo: the stack "demo" and one deployment of
v2 told moment by moment (`moment(seconds)`), a failed one with its rollback (`failed_moment`),
and the few pieces they are made of.

The deployment: an ECR push starts execution e2 at 10 s; Source ends at 20 s; the lifecycle
events pass every 10 s until AllowTraffic (80 s), which moves 25% more traffic to green every
minute (linear, CodeDeploy's ECSLinear25PercentEvery1Minutes shape); AfterAllowTraffic ends at
280 s; the termination wait keeps blue 5 minutes; the deployment succeeds at 580 s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bluegreen.watch.snapshot import (
    ActionState,
    Deployment,
    Execution,
    Health,
    LifecycleEvent,
    ListenerWeights,
    LogLine,
    ServiceEvent,
    ServiceState,
    Snapshot,
    SourceRevision,
    StageState,
    StoppedTask,
    TargetCounts,
    TaskSetState,
    Wait,
    WaitKind,
    WatchTarget,
)

T0 = datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC)
TARGET = WatchTarget(stack="demo", region="us-east-1", pipeline="demo", application="demo", deployment_group="demo",
                     cluster="demo", service="demo", load_balancer="demo-alb", blue_target_group="demo-tg-1",
                     green_target_group="demo-tg-2", production_port=80, test_port=8080, log_group="/ecs/demo",
                     container="web", watched_image="demo:latest")
EVENTS = ("BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
          "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")
OLD, NEW = "d-OLD1EXAMPLE", "d-NEW2EXAMPLE"  # the deployment of v1 (long done) and of v2
E1, E2 = "e1a2b3c4-0000-4000-8000-000000000001", "e2b3c4d5-0000-4000-8000-000000000002"
SHIFT_START, SHIFT_END, WAIT_END = 80, 280, 580
STEP_S, STEP_PERCENT = 60, 25


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def revisions(tag: str, digest: str, commit: str) -> tuple[SourceRevision, ...]:
    return (SourceRevision("TemplateSource", commit, "Deploy taskdef and appspec"),
            SourceRevision("ImageSource", f"sha256:{digest}", tag))


def execution(id: str, status: str, started: float, ended: float | None, now: float, tag: str,
              trigger: str = "CloudWatchEvent") -> Execution:
    digest = ("4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945" if tag == "v1"
              else "9b2c7e41d0aa6b1f3c5e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c")
    commit = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b" if tag == "v1" else "7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"
    return Execution(id, status, trigger, "arn:aws:events:us-east-1:123456789012:rule/demo-image-push",
                     revisions(tag, digest, commit), at(started), at(ended if ended is not None else now),
                     (ended if ended is not None else now) - started)


def green_share(now: float) -> float:
    """Linear: 25% more at the start of each minute of AllowTraffic."""
    if now < SHIFT_START:
        return 0.0
    return float(min(100, STEP_PERCENT * (1 + int((now - SHIFT_START) // STEP_S))))


def lifecycle(now: float, failed_at: str = "", diagnostic: str = "") -> tuple[LifecycleEvent, ...]:
    """Each event starts when the one before ends: 10 s each, AllowTraffic the whole shift."""
    events = []
    start = 20.0
    for name in EVENTS:
        length = SHIFT_END - SHIFT_START - 10 if name == "AllowTraffic" else 10.0
        end = start + length
        if name == failed_at:
            events.append(LifecycleEvent(name, "Failed", at(start), at(end), diagnostic))
            start = float("inf")
        elif now >= end:
            events.append(LifecycleEvent(name, "Succeeded", at(start), at(end)))
        elif now >= start:
            events.append(LifecycleEvent(name, "InProgress", at(start), None))
        else:
            events.append(LifecycleEvent(name, "Pending", None, None))
        start = end if start != float("inf") else start
    return tuple(events)


def task_sets(now: float, green: float, green_running: int = 2) -> tuple[TaskSetState, ...]:
    blue = TaskSetState("ecs-svc/1111", "Blue", "PRIMARY" if green < 100 else "ACTIVE", 2, 0, 2, 100 - green,
                        "demo:3", "demo-tg-1")
    if now < 30:
        return (blue,)
    green_set = TaskSetState("ecs-svc/2222", "Green", "ACTIVE" if green < 100 else "PRIMARY", 2,
                             2 - green_running, green_running, green, "demo:4", "demo-tg-2")
    if now >= WAIT_END:
        return (green_set,)
    return blue, green_set


def stages(now: float, deploy_status: str, deploy_error: str = "", deploy_ended: float | None = None
           ) -> tuple[StageState, ...]:
    """e2's stages: Source from 10 s to 20 s, then Deploy (until `deploy_ended`, else now)."""
    source_done = now >= 20
    source = StageState("Source", "Succeeded" if source_done else "InProgress", (
        ActionState("Source", "TemplateSource", "CodeCommit", 1, "Succeeded" if source_done else "InProgress",
                    at(10), at(18 if source_done else now), "Deploy taskdef and appspec"),
        ActionState("Source", "ImageSource", "ECR", 1, "Succeeded" if source_done else "InProgress",
                    at(10), at(19 if source_done else now), "v2"),
    ))
    deploy = StageState("Deploy", deploy_status if source_done else "", (
        ActionState("Deploy", "Deploy", "CodeDeployToECS", 1, deploy_status if source_done else "",
                    at(20) if source_done else None, at(deploy_ended or now) if source_done else None,
                    error=deploy_error, external_id=NEW if source_done else ""),
    ), retryable=deploy_status == "Failed")
    return source, deploy


def old_stages() -> tuple[StageState, ...]:
    """e1's stages, long done: v1 deployed by OLD."""
    return (StageState("Source", "Succeeded", (
                ActionState("Source", "TemplateSource", "CodeCommit", 1, "Succeeded", at(-3620), at(-3612),
                            "First taskdef and appspec"),
                ActionState("Source", "ImageSource", "ECR", 1, "Succeeded", at(-3620), at(-3611), "v1"))),
            StageState("Deploy", "Succeeded", (
                ActionState("Deploy", "Deploy", "CodeDeployToECS", 1, "Succeeded", at(-3600), at(-3000),
                            external_id=OLD),)))


def service(now: float, stopped: tuple[StoppedTask, ...] = (), green_healthy: bool = True) -> ServiceState:
    events = [ServiceEvent(at(-600), "(service demo) has reached a steady state.")]
    if now >= 30:
        events.insert(0, ServiceEvent(at(30), "(service demo, taskSet ecs-svc/2222) has started 2 tasks: "
                                              "(task 5e6f7a8b) (task 6f7a8b9c)."))
    if now >= 45 and green_healthy:
        events.insert(0, ServiceEvent(at(45), "(service demo, taskSet ecs-svc/2222) registered 2 targets in "
                                              "(target-group demo-tg-2)"))
    if now >= WAIT_END:
        events.insert(0, ServiceEvent(at(WAIT_END), "(service demo, taskSet ecs-svc/1111) has stopped 2 running "
                                                    "tasks: (task 1a2b3c4d) (task 2b3c4d5e)."))
    running = 2 if now < 30 or now >= WAIT_END else 4
    return ServiceState("ACTIVE", 2, running, 0, "CODE_DEPLOY", tuple(events[:10]), stopped)


def logs(now: float) -> tuple[LogLine, ...]:
    lines = [LogLine(at(-30 + 10 * i), "web/web/1a2b3c4d5e6f", f'10.0.1.7 - - "GET / HTTP/1.1" 200 612 "v1" {i}')
             for i in range(3)]
    if now >= 40:
        lines += [LogLine(at(40), "web/web/5e6f7a8b9c0d", "nginx: ready to serve sample-website v2"),
                  LogLine(at(max(41, now - 5)), "web/web/5e6f7a8b9c0d", '10.0.1.9 - - "GET / HTTP/1.1" 200 640 "v2"')]
    return tuple(lines)


def listeners(green: float, green_group: str = "demo-tg-2", blue_group: str = "demo-tg-1") -> tuple[ListenerWeights,
                                                                                                      ...]:
    green_weight = round(green)
    return (ListenerWeights("production", 80, ((blue_group, 100 - green_weight), (green_group, green_weight))),
            ListenerWeights("test", 8080, ((green_group, 100),)))


def old_deployment() -> Deployment:
    done = tuple(LifecycleEvent(name, "Succeeded", at(-3600 + 10 * i), at(-3590 + 10 * i))
                 for i, name in enumerate(EVENTS))
    green = TaskSetState("ecs-svc/1111", "Green", "PRIMARY", 2, 0, 2, 100.0, "demo:3", "demo-tg-1")
    return Deployment(OLD, "Succeeded", "CodeDeploy", at(-3600), at(-3000), "", done, (green,), None,
                      task_definition="demo:3")


def moment(now: float, *, notices: tuple[str, ...] = (), generation: int | None = None) -> Snapshot:
    """The story at `now` seconds after T0 (see the module doc)."""
    v1 = execution(E1, "Succeeded", -3620, -3000, now, "v1")
    if now < 10:
        return Snapshot(TARGET, at(now), Health.IDLE, (v1,), E1, old_stages(), old_deployment(),
                        (ListenerWeights("production", 80, (("demo-tg-1", 100), ("demo-tg-2", 0))),),
                        (TargetCounts("demo-tg-1", healthy=2),), service(now), logs(now), notices,
                        generation=int(now) if generation is None else generation, interval_s=3.0,
                        calls_per_minute=28)
    done = now >= WAIT_END
    green = green_share(now)
    wait = None
    if SHIFT_END <= now < WAIT_END:
        wait = Wait(WaitKind.TERMINATION, at(WAIT_END), WAIT_END - now)
    status = "Succeeded" if done else "InProgress" if now >= 20 else "Created"
    deployment = Deployment(NEW, status, "CodeDeploy", at(20), at(WAIT_END) if done else None, "",
                            lifecycle(now) if now >= 20 else (), task_sets(now, green), wait,
                            task_definition="demo:4")
    e2 = execution(E2, "Succeeded" if done else "InProgress", 10, WAIT_END if done else None, now, "v2")
    targets = [TargetCounts("demo-tg-1", healthy=2)]
    if now >= 45:
        targets.append(TargetCounts("demo-tg-2", healthy=2))
    elif now >= 30:
        targets.append(TargetCounts("demo-tg-2", initial=2))
    health = Health.IDLE if done else Health.DEPLOYING
    return Snapshot(TARGET, at(now), health, (e2, v1), E2, stages(now, "Succeeded" if done else "InProgress"),
                    deployment, listeners(green), tuple(targets), service(now), logs(now), notices,
                    generation=int(now) if generation is None else generation, interval_s=3.0, calls_per_minute=28)


def failed_moment(now: float = 150) -> Snapshot:
    """v2's tasks crash at Install: the deployment fails, rolls back, the pipeline's Deploy fails."""
    message = ("ECS_UPDATE_ERROR: The ECS service cannot be updated: tasks of the replacement task set "
               "ecs-svc/2222 stopped (Essential container in task exited)")
    diagnostic = "ECS task set ecs-svc/2222 did not reach a steady state: 3 tasks stopped"
    stopped = (StoppedTask("9c0d1e2f3a4b", "demo:4", at(110),
                           "Essential container in task exited; web: exit code 1 (nginx: [emerg] unknown "
                           "directive \"servre\" in /etc/nginx/conf.d/default.conf:3)"),
               StoppedTask("8b9c0d1e2f3a", "demo:4", at(70), "Essential container in task exited; web: exit code 1"))
    events = lifecycle(now, failed_at="Install", diagnostic=diagnostic)
    blue = TaskSetState("ecs-svc/1111", "Blue", "PRIMARY", 2, 0, 2, 100.0, "demo:3", "demo-tg-1")
    green = TaskSetState("ecs-svc/2222", "Green", "DRAINING", 0, 0, 0, 0.0, "demo:4", "demo-tg-2")
    deployment = Deployment(NEW, "Failed", "CodeDeploy", at(20), at(130), message, events, (blue, green), None,
                            rolled_back_by="d-RB3EXAMPLE", task_definition="demo:4")
    e1 = execution(E1, "Succeeded", -3620, -3000, now, "v1")
    e2 = execution(E2, "Failed", 10, 132, now, "v2")
    error = f"Deployment {NEW} failed: {message}"
    return Snapshot(TARGET, at(now), Health.FAILED, (e2, e1), E2, stages(now, "Failed", error, 131), deployment,
                    listeners(0), (TargetCounts("demo-tg-1", healthy=2),
                                   TargetCounts("demo-tg-2", unhealthy=1,
                                                reasons=("Health checks failed with these codes: [502]",))),
                    service(now, stopped, green_healthy=False), logs(now), generation=int(now), interval_s=3.0,
                    calls_per_minute=26)


def story(every: float = 10.0, until: float = 600.0) -> list[Snapshot]:
    """The whole deployment, one snapshot every `every` seconds."""
    count = int(until // every) + 1
    return [moment(i * every) for i in range(count)]
