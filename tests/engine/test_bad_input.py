"""A config naming what does not exist, or private subnets for an internet-facing load
balancer, is refused by plan (and apply) before any mutation, with the reason."""

from __future__ import annotations

import pytest
from support.engine import put_tiny_image, run_plan, session_for, stack_config

from bluegreen.engine.leftovers import leftovers
from bluegreen.model.config import Config


def private_and_public_subnets(session) -> tuple[dict[str, str], dict[str, str]]:  # type: ignore[no-untyped-def]
    from bluegreen.aws.discovery_network import default_vpc, subnets

    vpc = default_vpc(session)
    assert vpc is not None
    found = subnets(session, vpc.id)
    private = next(s for s in found if not s.public)
    public = next(s for s in found if s.public and s.az != private.az)
    return {"id": private.id, "az": private.az}, {"id": public.id, "az": public.az}


@pytest.fixture(scope="module")
def session(sandbox):  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    put_tiny_image(session)
    return session


def configs(session) -> dict[str, tuple[Config, str]]:  # type: ignore[no-untyped-def]
    private, public = private_and_public_subnets(session)
    return {
        "missing-vpc": (stack_config("bad1", network={"vpc": "vpc-0123456789abcdef0"}),
                        "network.vpc: VPC vpc-0123456789abcdef0 does not exist"),
        "missing-subnet": (stack_config("bad2", network={"subnets": ["subnet-0123456789abcdef0", public["id"]]}),
                           "network.subnets: subnet-0123456789abcdef0 not found"),
        "missing-role": (stack_config("bad3", task={
            "executionRoleArn": "arn:aws:iam::123456789012:role/nobody-home"}),
            "task.executionRoleArn: role nobody-home does not exist"),
        "private-subnet": (stack_config("bad4", network={"subnets": [private, public]}),
                           f"network.subnets: {private['id']} (bluegreen-sandbox-private) is private"),
        "missing-security-group": (stack_config("bad5", network={"albSecurityGroups": ["sg-0123456789abcdef0"]}),
                                   "network.albSecurityGroups: sg-0123456789abcdef0 not found"),
        # a rule of bluegreen.model.checks: `validate` refuses it, so plan and apply do too
        "parallel": (stack_config("bad6", pipeline={"executionMode": "PARALLEL"}),
                     "pipeline.executionMode: PARALLEL runs pipeline executions at the same time"),
    }


@pytest.mark.parametrize("case", ["missing-vpc", "missing-subnet", "missing-role", "private-subnet",
                                  "missing-security-group", "parallel"])
def test_plan_refuses_with_the_reason(session, case: str) -> None:  # type: ignore[no-untyped-def]
    config, reason = configs(session)[case]
    rows = run_plan(session, config)
    conflicts = [row for row in rows if row.action == "conflict"]
    assert conflicts, rows
    assert any(reason in row.reason for row in conflicts), [row.reason for row in conflicts]
    assert all(row.fix for row in conflicts)


@pytest.mark.parametrize("case", ["missing-vpc", "private-subnet", "parallel"])
def test_cli_apply_refuses_before_any_mutation(session, case: str, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from click.testing import CliRunner

    from bluegreen.model.configfile import dump_text
    from tui.cli import main

    config, reason = configs(session)[case]
    path = tmp_path / "bluegreen.yaml"
    path.write_text(dump_text(config))
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", session.target.endpoint_url)
    result = CliRunner().invoke(main, ["apply", "-f", str(path), "--sandbox", "--yes"])
    assert result.exit_code == 2, result.output
    assert reason in result.output.replace("\n", " ") or reason.split(":")[0] in result.output
    assert "nothing was changed" in result.output
    assert leftovers(session, config.name) == []
    rows = json.loads(CliRunner().invoke(main, ["plan", "-f", str(path), "--sandbox", "--json"]).output)
    assert any(row["action"] == "conflict" for row in rows)
