"""The doctor's rules of the area 'ecs' (the service, its target group pair and listeners): each on
the seed stack broken in exactly that way with plain boto3, all rules running."""

from __future__ import annotations

from typing import Any

from support.doctor import only as _only
from support.doctor import report_of as _report
from support.doctor import seeded as _stack
from support.doctor_variants import area_findings, swap_service
from support.seed_stack import SeedStack


def test_the_intact_seed_stack_has_no_ecs_finding(sandbox: Any) -> None:
    stack = _stack(sandbox, "ecsok")
    assert area_findings(_report(sandbox, stack), "ecs") == []


def test_a_service_under_the_ecs_controller(sandbox: Any) -> None:
    stack = _stack(sandbox, "ecsctl")
    name = swap_service(sandbox.client, stack, controller="ECS")
    finding = _only(_report(sandbox, stack), "service-not-code-deploy")
    assert f"Service ecsctl/{name} uses the ECS deployment controller" in finding.finding
    assert "--deployment-controller type=CODE_DEPLOY" in finding.fix


def test_a_target_group_of_another_load_balancer(sandbox: Any) -> None:
    stack = _stack(sandbox, "ecsotherlb")
    elbv2 = sandbox.client("elbv2")
    other = elbv2.create_load_balancer(Name="ecsotherlb-2", Subnets=stack.subnets, SecurityGroups=[stack.alb_sg],
                                       Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    elbv2.create_listener(LoadBalancerArn=other["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": stack.tgs["ecsotherlb-tg2"]}])
    finding = _only(_report(sandbox, stack), "target-group-other-load-balancer")
    assert finding.finding == ("Target group ecsotherlb-tg2 is attached to load balancer ecsotherlb-2, not to "
                               "ecsotherlb-alb of the production listener (port 80)")


def test_a_production_listener_forwarding_to_a_third_group(sandbox: Any) -> None:
    stack = _stack(sandbox, "ecsfwd")
    elbv2 = sandbox.client("elbv2")
    third = elbv2.create_target_group(Name="ecsfwd-other", Protocol="HTTP", Port=80, VpcId=stack.vpc,
                                      TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_listener(ListenerArn=stack.prod, DefaultActions=[{"Type": "forward", "TargetGroupArn": third}])
    finding = _only(_report(sandbox, stack), "production-listener-forwards-elsewhere")
    assert finding.finding == ("Production listener 80 forwards to ecsfwd-other, neither target group of the "
                               "deployment group (ecsfwd-tg1, ecsfwd-tg2)")
    assert f"--listener-arn {stack.prod}" in finding.fix and stack.tgs["ecsfwd-tg1"] in finding.fix


def test_a_production_listener_away_from_the_primary_task_set(sandbox: Any) -> None:
    stack = _stack(sandbox, "ecsprim")
    sandbox.client("elbv2").modify_listener(ListenerArn=stack.prod, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": stack.tgs["ecsprim-tg2"]}])
    finding = _only(_report(sandbox, stack), "production-listener-forwards-elsewhere")
    assert finding.finding == ("Production listener 80 forwards to ecsprim-tg2, not to ecsprim-tg1 where the "
                               "service's PRIMARY task set runs")


def _routes(sandbox: Any, stack: SeedStack, prod: str, test: str, groups: list[str] | None = None) -> None:
    sandbox.client("codedeploy").update_deployment_group(
        applicationName=stack.app, currentDeploymentGroupName=stack.deployment_group,
        loadBalancerInfo={"targetGroupPairInfoList": [{
            "targetGroups": [{"name": n} for n in groups or list(stack.tgs)],
            "prodTrafficRoute": {"listenerArns": [prod]}, "testTrafficRoute": {"listenerArns": [test]}}]})


def test_production_and_test_on_one_listener(sandbox: Any) -> None:
    stack = _stack(sandbox, "ecssame")
    _routes(sandbox, stack, stack.prod, stack.prod)
    finding = _only(_report(sandbox, stack), "listeners-same")
    assert finding.finding == f"Production and test traffic use the same listener {stack.prod}"


def test_production_and_test_on_two_load_balancers(sandbox: Any) -> None:
    stack = _stack(sandbox, "ecstwolb")
    elbv2 = sandbox.client("elbv2")
    other = elbv2.create_load_balancer(Name="ecstwolb-2", Subnets=stack.subnets, SecurityGroups=[stack.alb_sg],
                                       Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    test = elbv2.create_listener(LoadBalancerArn=other["LoadBalancerArn"], Protocol="HTTP", Port=8080,
                                 DefaultActions=[{"Type": "forward", "TargetGroupArn": stack.tgs["ecstwolb-tg1"]}],
                                 )["Listeners"][0]["ListenerArn"]
    _routes(sandbox, stack, stack.prod, test)
    finding = _only(_report(sandbox, stack), "listeners-same")
    assert finding.finding == "Production and test traffic use listeners of two load balancers ecstwolb-alb, ecstwolb-2"


def test_a_pair_naming_one_group_twice(sandbox: Any) -> None:
    # AWS refuses this pair ('Target group pair must have distinct target groups', users' reports);
    # the sandbox accepts it, which lets the rule (also meant for `validate --online`) be seen.
    stack = _stack(sandbox, "ecstwice")
    _routes(sandbox, stack, stack.prod, stack.test, groups=["ecstwice-tg1", "ecstwice-tg1"])
    finding = _only(_report(sandbox, stack), "target-groups-same")
    assert finding.finding == "The deployment group's target group pair names ecstwice-tg1 twice"


def test_a_target_group_of_type_instance(sandbox: Any) -> None:
    stack = _stack(sandbox, "ecsinst")
    sandbox.client("elbv2").create_target_group(Name="ecsinst-inst", Protocol="HTTP", Port=80, VpcId=stack.vpc,
                                                TargetType="instance")
    _routes(sandbox, stack, stack.prod, stack.test, groups=["ecsinst-tg1", "ecsinst-inst"])
    finding = _only(_report(sandbox, stack), "target-type-not-ip")
    assert finding.finding == ("Target group ecsinst-inst has target type instance, but the tasks use awsvpc "
                               "networking: they can only register as ip targets")
    assert "--target-type ip" in finding.fix


def test_a_production_listener_that_is_gone_is_reported_not_checked(sandbox: Any) -> None:
    stack = _stack(sandbox, "ecsgone")
    sandbox.client("elbv2").delete_listener(ListenerArn=stack.prod)
    report = _report(sandbox, stack)
    assert area_findings(report, "ecs") == [
        "not-checked:listeners-same", "not-checked:production-listener-forwards-elsewhere",
        "not-checked:target-group-other-load-balancer"]
    reasons = {n.rule: n.reason for n in report.not_checked}
    assert stack.prod in reasons["listeners-same"] or "does not exist" in reasons["listeners-same"]
    assert "production listener" in reasons["production-listener-forwards-elsewhere"]
