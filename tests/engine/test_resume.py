"""Resume: the apply is killed right after each node in turn; a re-run always completes,
and no resource exists twice."""

from __future__ import annotations

import pytest
from support.engine import counted, put_tiny_image, run_apply, session_for, stack_config

from bluegreen.aws.session import AwsSession
from bluegreen.engine.graph import build_nodes

NODE_IDS = [node.id for node in build_nodes(stack_config("probe"))]


class Killed(BaseException):
    """Not an Exception: like a crash, the runner must not treat it as a node failure."""


@pytest.fixture(scope="module")
def session(sandbox) -> AwsSession:  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    put_tiny_image(session)
    return session


@pytest.mark.parametrize("index", range(len(NODE_IDS)), ids=NODE_IDS)
def test_killed_after_a_node_then_rerun_completes_without_duplicates(session: AwsSession, index: int) -> None:
    name = f"resume{index:02d}"
    config = stack_config(name)
    victim = NODE_IDS[index]

    def kill(node_id: str) -> None:
        if node_id == victim:
            raise Killed(node_id)

    session, counter = counted(session)  # a fresh session: its calls are this test's only
    try:
        result, _ = run_apply(session, config, after_node=kill)
    except Killed:
        pass
    else:
        pytest.fail(f"the apply ended before {victim} did: {result}")

    result, ctx = run_apply(session, config)
    assert result.ok, result
    # One revision from the stack, whatever the crash point: the sandbox's pipeline registers
    # its own when its first execution deploys, so the family's count would not tell.
    assert counter.mutating.count("ecs.RegisterTaskDefinition") == 1, counter.mutating

    ec2 = session.client("ec2")
    for role in ("alb", "task"):
        groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{name}-{role}"]}])
        assert len(groups["SecurityGroups"]) == 1
    listeners = session.client("elbv2").describe_listeners(LoadBalancerArn=ctx.get("lb.arn"))["Listeners"]
    assert sorted(item["Port"] for item in listeners) == [80, 8080]
    services = session.client("ecs").list_services(cluster=name)["serviceArns"]
    assert len(services) == 1
    rules = session.client("events").list_rules(NamePrefix=f"{name}-")["Rules"]
    assert len(rules) == 2
