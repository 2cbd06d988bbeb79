"""What the lifecycle events do to ECS and the load balancer.

- *Install*: the replacement's target group (the one the service's PRIMARY task set does not
  use) joins the production listener at weight 0, the replacement (green) task set is created on
  it at 100% scale, and the deployment waits until ECS reports it steady (its tasks running and
  healthy in the target group, which the load balancer really health checks);
- *AllowTestTraffic*: the test listener forwards everything to the replacement's target group;
- *AllowTraffic*: the production listener's weights move per the deployment configuration
  (:mod:`.traffic`); at 100% the replacement becomes the service's PRIMARY task set;
- the hook events check their Lambda functions (the sandbox does not run them);
- after the termination wait the original task set is deleted;
- a rollback moves both listeners back to the original, makes it PRIMARY again and deletes the
  replacement.

Each call is authorized first (:meth:`.context.Context.require`). Weights shown as
``trafficWeight`` are read back from the production listener after each change.
"""

from __future__ import annotations

import time

from ..wire import AwsError
from . import traffic
from .context import Context, Failure
from .model import BLUE, GREEN, Deployment, Diagnostics, TaskSetInfo
from .ports import TaskSetControl, TaskSetView

PRIMARY, ACTIVE = "PRIMARY", "ACTIVE"
STEADY_STATE = "STEADY_STATE"


def service_arn(ctx: Context, d: Deployment) -> str:
    t = d.target
    return f"arn:aws:ecs:{d.region}:{ctx.account_id}:service/{t.cluster}/{t.service}"


def control(ctx: Context) -> TaskSetControl:
    task_sets = ctx.task_sets()
    if task_sets is None:
        raise Failure(
            "INTERNAL_ERROR",
            "The bluegreen sandbox has no ECS engine to create the replacement task set with.",
        )
    return task_sets


def _ecs_error(err: AwsError) -> Failure:
    return Failure("ECS_UPDATE_ERROR", f"The ECS service cannot be updated: {err.code}: {err.message}")


def _elb_error(err: AwsError) -> Failure:
    return Failure("ELASTIC_LOAD_BALANCING_INVALID", f"The load balancer cannot be updated: {err.code}: {err.message}")


def _info(label: str, view: TaskSetView, names: dict[str, str]) -> TaskSetInfo:
    tg = view.target_group_arn or ""
    return TaskSetInfo(label, view.arn, view.id, names.get(tg, ""), tg, view.status,
                       view.computed_desired, view.pending, view.running)


def _update(info: TaskSetInfo, view: TaskSetView) -> None:
    info.status, info.desired, info.pending, info.running = (
        view.status, view.computed_desired, view.pending, view.running)


# --- Install -------------------------------------------------------------------------------------


def install(ctx: Context, d: Deployment) -> None:
    task_sets = control(ctx)
    t, region = d.target, d.region
    names = d.group.target_group_names()
    if len(names) != 2:
        raise Failure("ELASTIC_LOAD_BALANCING_INVALID", "The deployment group must name two target groups.")
    ctx.require(d, ["elasticloadbalancing:DescribeTargetGroups"], "*")
    try:
        arns = {ctx.api.target_group_arn(region, name): name for name in names}
    except AwsError as err:
        raise _elb_error(err) from None
    ctx.require(d, ["ecs:DescribeServices"], service_arn(ctx, d))
    current = task_sets.service_task_sets(region=region, cluster=t.cluster, service=t.service)
    primary = next((v for v in current if v.status == PRIMARY), None)
    blue_tg = primary.target_group_arn if primary is not None else None
    if blue_tg not in arns:
        blue_tg = _serving_group(ctx, d, list(arns))
    green_tg = next(arn for arn in arns if arn != blue_tg)
    # A task set a stopped deployment left behind (no rollback) would share the replacement's
    # target group: it goes first (docs/sandbox-deployments.md). DRAINING ones are going already.
    for leftover in (v for v in current if v.status == ACTIVE):
        ctx.require(d, ["ecs:DeleteTaskSet"], leftover.arn)
        try:
            task_sets.delete_task_set(leftover.arn)
        except AwsError as err:
            raise _ecs_error(err) from None
    # The replacement's target group joins the production listener at weight 0 first: a group no
    # listener forwards to has no associated load balancer and its targets are `unused`, never
    # health checked, so ECS would never see them healthy (docs/sandbox-deployments.md).
    _associate(ctx, d, d.group.listeners("prodTrafficRoute"), {blue_tg: 100, green_tg: 0})
    ctx.require(d, ["ecs:CreateTaskSet"], service_arn(ctx, d))
    for role in d.pass_roles:
        ctx.require(d, ["iam:PassRole"], role)
    try:
        green = task_sets.create_task_set(
            region=region, cluster=t.cluster, service=t.service,
            task_definition=d.appspec.task_definition, target_group_arn=green_tg,
            container_name=d.appspec.container_name, container_port=d.appspec.container_port,
            scale_percent=100.0,
        )
    except AwsError as err:
        raise _ecs_error(err) from None
    with ctx.lock:
        if primary is not None:
            t.task_sets[BLUE] = _info(BLUE, primary, arns)
        else:  # a service without task sets yet: blue is only its target group
            t.task_sets[BLUE] = TaskSetInfo(BLUE, "", "", arns[blue_tg], blue_tg, PRIMARY)
        t.task_sets[GREEN] = _info(GREEN, green, arns)
        t.last_updated = ctx.now()
    read_weights(ctx, d)
    _wait_healthy(ctx, d, task_sets, green.arn)


def _serving_group(ctx: Context, d: Deployment, arns: list[str]) -> str:
    """The target group the production listener sends most traffic to (a service whose ECS has
    no PRIMARY task set to tell)."""
    listeners = d.group.listeners("prodTrafficRoute")
    if not listeners:
        raise Failure("ELASTIC_LOAD_BALANCING_INVALID", "The deployment group has no production listener.")
    ctx.require(d, ["elasticloadbalancing:DescribeListeners"], "*")
    try:
        weights = ctx.api.weights(d.region, listeners[0])
    except AwsError as err:
        raise _elb_error(err) from None
    return max(arns, key=lambda arn: weights.get(arn, -1))


def _wait_healthy(ctx: Context, d: Deployment, task_sets: TaskSetControl, arn: str) -> None:
    """Until ECS reports the replacement steady: every task running and healthy in its target
    group (ECS's STEADY_STATE). CodeDeploy learns it from ECS (DescribeServices): its service
    role's policy grants no DescribeTargetHealth (docs/sandbox-deployments.md)."""
    ctx.require(d, ["ecs:DescribeServices"], service_arn(ctx, d))

    def healthy() -> bool:
        view = task_sets.get(arn)
        if view is None:
            raise Failure("ECS_UPDATE_ERROR", "The replacement task set was deleted during the deployment.")
        with ctx.lock:
            _update(d.target.task_sets[GREEN], view)
        return (view.stability == STEADY_STATE and view.pending == 0 and view.running >= view.computed_desired
                and view.healthy_targets >= view.computed_desired)

    timeout = ctx.install_timeout()
    if not ctx.wait(d, timeout, healthy):
        minutes = f"{timeout / 60:g}"
        raise Failure(
            "TIMEOUT",
            "The deployment timed out while waiting for the replacement task set to become healthy. "
            f"This time out period is {minutes} minutes.",
        )


# --- traffic -------------------------------------------------------------------------------------


def _associate(ctx: Context, d: Deployment, listeners: list[str], weights: dict[str, int]) -> None:
    for listener in listeners:
        ctx.require(d, ["elasticloadbalancing:ModifyListener"], listener)
        try:
            ctx.api.forward(d.region, listener, weights)
        except AwsError as err:
            raise _elb_error(err) from None


def _forward(ctx: Context, d: Deployment, listeners: list[str], green_percent: float) -> None:
    blue, green = d.target.task_sets[BLUE], d.target.task_sets[GREEN]
    blue_weight, green_weight = traffic.weights(green_percent)
    _associate(ctx, d, listeners, {blue.target_group_arn: blue_weight, green.target_group_arn: green_weight})


def read_weights(ctx: Context, d: Deployment) -> None:
    """Each task set's share of production traffic, as the production listener reports it."""
    listeners = d.group.listeners("prodTrafficRoute")
    if not listeners:
        return
    ctx.require(d, ["elasticloadbalancing:DescribeListeners"], "*")
    try:
        weights = ctx.api.weights(d.region, listeners[0])
    except AwsError as err:
        raise _elb_error(err) from None
    with ctx.lock:
        infos = list(d.target.task_sets.values())
        total = sum(weights.get(i.target_group_arn, 0) for i in infos)
        for info in infos:
            info.weight = round(100.0 * weights.get(info.target_group_arn, 0) / total, 1) if total else 0.0
        d.target.last_updated = ctx.now()


def allow_test_traffic(ctx: Context, d: Deployment) -> None:
    _forward(ctx, d, d.group.listeners("testTrafficRoute"), 100)


def allow_traffic(ctx: Context, d: Deployment) -> None:
    start = time.monotonic()
    for step in traffic.schedule(d.group.routing):
        remaining = start + ctx.clock.real(step.at) - time.monotonic()
        if remaining > 0:
            ctx.wait(d, ctx.clock.aws(remaining))
        _forward(ctx, d, d.group.listeners("prodTrafficRoute"), step.percent)
        read_weights(ctx, d)
    green = d.target.task_sets[GREEN]
    ctx.require(d, ["ecs:UpdateServicePrimaryTaskSet"], service_arn(ctx, d))
    try:
        view = control(ctx).set_primary(green.arn)
    except AwsError as err:
        raise _ecs_error(err) from None
    with ctx.lock:
        _update(green, view)
        blue = d.target.task_sets[BLUE]
        if blue.arn:
            blue.status = ACTIVE


# --- hooks ---------------------------------------------------------------------------------------

NOT_RUN = ("The bluegreen sandbox does not run Lambda hooks: {function} was not invoked; "
           "the event is taken as Succeeded.")


def run_hooks(ctx: Context, d: Deployment, event: str) -> Diagnostics | None:
    """Check each hook function of ``event``: a function that does not exist fails the event;
    one that does is not run (the sandbox runs no Lambda code) and the event succeeds, saying so."""
    functions = d.appspec.hook(event) if d.appspec is not None else []
    notes = []
    for function in functions:
        arn = function if function.startswith("arn:") else (
            f"arn:aws:lambda:{d.region}:{ctx.account_id}:function:{function}")
        ctx.require(d, ["lambda:InvokeFunction"], arn)
        try:
            exists = ctx.api.function_exists(d.region, function)
        except AwsError as err:
            raise Failure("INVALID_LAMBDA_FUNCTION", f"{err.code}: {err.message}") from None
        if not exists:
            message = f"The Lambda function {function} named by the {event} hook does not exist."
            raise Failure("INVALID_LAMBDA_FUNCTION", message, Diagnostics("ScriptMissing", message, function))
        notes.append(NOT_RUN.format(function=function))
    if not notes:
        return None
    with ctx.lock:
        for note in notes:
            if note not in d.status_messages:
                d.status_messages.append(note)
    return Diagnostics("Success", " ".join(notes), ", ".join(functions))


# --- the end: original deleted, or everything moved back -----------------------------------------


def delete_original(ctx: Context, d: Deployment) -> None:
    blue = d.target.task_sets.get(BLUE)
    if blue is None or not blue.arn or blue.deleted:
        return
    ctx.require(d, ["ecs:DeleteTaskSet"], blue.arn)
    try:
        control(ctx).delete_task_set(blue.arn)
    except AwsError as err:
        raise _ecs_error(err) from None
    with ctx.lock:
        blue.deleted, blue.status, blue.weight = True, "DRAINING", 0.0
        d.target.last_updated = ctx.now()


def move_back(ctx: Context, d: Deployment) -> None:
    """A rollback: both listeners to the original, the original PRIMARY, the replacement deleted."""
    t = d.target
    _forward(ctx, d, d.group.listeners("prodTrafficRoute") + d.group.listeners("testTrafficRoute"), 0)
    read_weights(ctx, d)
    blue, green = t.task_sets[BLUE], t.task_sets[GREEN]
    task_sets = control(ctx)
    if blue.arn and not blue.deleted and blue.status != PRIMARY:
        ctx.require(d, ["ecs:UpdateServicePrimaryTaskSet"], service_arn(ctx, d))
        try:
            view = task_sets.set_primary(blue.arn)
        except AwsError as err:
            raise _ecs_error(err) from None
        with ctx.lock:
            _update(blue, view)
    if green.arn and not green.deleted:
        ctx.require(d, ["ecs:DeleteTaskSet"], green.arn)
        try:
            task_sets.delete_task_set(green.arn)
        except AwsError as err:
            raise _ecs_error(err) from None
        with ctx.lock:
            green.deleted, green.status = True, "DRAINING"
            t.last_updated = ctx.now()


def refresh(ctx: Context, d: Deployment) -> None:
    """The task sets' counts as ECS reports them now (called before a deployment is shown)."""
    task_sets = ctx.task_sets()
    if task_sets is None:
        return
    with ctx.lock:
        live = [i for i in d.target.task_sets.values() if i.arn and not i.deleted]
    views = [(info, task_sets.get(info.arn)) for info in live]
    with ctx.lock:
        for info, view in views:
            if view is not None:
                _update(info, view)
