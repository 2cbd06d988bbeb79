"""cloudformation.yaml: the whole stack as one template.

Three configs are rendered, linted together in one cfn-lint run, parsed, and checked for the
facts that matter (CODE_DEPLOY controller, CodeDeployToECS action, listeners, tags). The
"mirror" tests resolve the template's Ref/GetAtt/Sub against the names and offline ARNs
and compare it with the very requests the engine sends (`renderers.requests`), so the
template can't drift from what `bluegreen apply` creates.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bluegreen.model.config import Config
from bluegreen.model.configfile import load_text
from renderers import iam, requests
from renderers.cloudformation import render_cloudformation
from renderers.refs import Arns, Refs

TAG = {"Key": "bluegreen:stack"}

SEED = """\
apiVersion: bluegreen/v1
kind: BlueGreenStack
name: ecs-demo
region: us-east-2
image: {repository: nginx, tag: latest}
task: {family: ecs-demo, containerName: sample-website, containerPort: 80, cpu: 256, memory: 512}
network: {vpc: default, assignPublicIp: true}
loadBalancer: {productionPort: 80, testPort: 8080}
codeDeploy: {deploymentConfig: CodeDeployDefault.ECSAllAtOnce, readyAction: CONTINUE_DEPLOYMENT}
source: {type: codecommit, branch: main}
"""

CUSTOM = """\
apiVersion: bluegreen/v1
kind: BlueGreenStack
name: shop-api
region: eu-west-1
image: {repository: shop/api, tag: v1.2.3}
task:
  containerPort: 8080
  cpu: 512
  memory: 1024
  executionRoleArn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
  taskRoleArn: arn:aws:iam::123456789012:role/shop-api-task
  environment: {APP_MODE: prod, LOG_LEVEL: info}
  healthCheck:
    command: [CMD-SHELL, "wget -q -O- http://localhost:8080/health || exit 1"]
    startPeriod: 10
network:
  vpc: vpc-0a1b2c3d
  subnets:
    - {id: subnet-0556b778, az: eu-west-1a}
    - {id: subnet-0a1b2c3d4e5f67890, az: eu-west-1b}
  assignPublicIp: false
  albSecurityGroups: [sg-c07de9b2]
  taskSecurityGroups: [sg-0123abcd]
loadBalancer:
  scheme: internal
  productionPort: 443
  testPort: 9443
  healthCheckPath: /health
  healthCheckMatcher: "200-299"
codeDeploy:
  deploymentConfig: {type: linear, percent: 20, intervalMinutes: 2}
  readyAction: STOP_DEPLOYMENT
  readyWaitMinutes: 30
  terminationWaitMinutes: 15
  autoRollbackEvents: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM]
  alarms: [shop-api-5xx]
source: {type: s3, key: deploy/source.zip}
"""

V1 = """\
apiVersion: bluegreen/v1
kind: BlueGreenStack
name: legacy
pipeline: {type: V1, executionMode: SUPERSEDED}
codeDeploy:
  deploymentConfig: {type: canary, percent: 10, intervalMinutes: 5}
  autoRollbackEvents: []
"""

# Every feature the IAM evaluation turns on (task role, hooks of any name, alarms, S3 source,
# linear shift, STOP_DEPLOYMENT), on an ARM64 task.
EVERY_FEATURE = """\
name: shop
region: eu-west-1
task:
  taskRoleArn: arn:aws:iam::944163165741:role/shop-task
  cpuArchitecture: ARM64
codeDeploy:
  deploymentConfig: {type: linear, percent: 20, intervalMinutes: 2}
  readyAction: STOP_DEPLOYMENT
  readyWaitMinutes: 30
  alarms: [shop-5xx, shop-latency]
  autoRollbackEvents: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM]
  hooks: {AfterAllowTraffic: CodeDeployHook_last, BeforeInstall: smoke-test}
source: {type: s3}
"""

CASES = {"seed": SEED, "custom": CUSTOM, "v1": V1, "every-feature": EVERY_FEATURE}


@pytest.fixture(scope="module")
def configs() -> dict[str, Config]:
    return {case: load_text(text) for case, text in CASES.items()}


@pytest.fixture(scope="module")
def texts(configs: dict[str, Config]) -> dict[str, str]:
    return {case: render_cloudformation(config) for case, config in configs.items()}


@pytest.fixture(scope="module")
def templates(texts: dict[str, str]) -> dict[str, dict[str, Any]]:
    # The safe loader refuses unknown tags: the template uses only the JSON forms of
    # intrinsic functions, so any YAML parser reads it.
    return {case: YAML(typ="safe", pure=True).load(io.StringIO(text)) for case, text in texts.items()}


def _cfn_lint() -> list[str]:
    beside = Path(sys.executable).with_name("cfn-lint")
    found = str(beside) if beside.exists() else shutil.which("cfn-lint")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]


def test_cfn_lint_finds_no_errors(texts: dict[str, str], tmp_path: Path) -> None:
    files = []
    for case, text in texts.items():
        path = tmp_path / f"{case}.yaml"
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        [*_cfn_lint(), "--format", "parseable", "--", *files],
        capture_output=True, text=True, timeout=120, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode & 2 == 0, f"cfn-lint found errors:\n{output}"
    # Only the warning (4) and informational (8) bits may be set; 1 means cfn-lint failed.
    assert result.returncode & ~(4 | 8) == 0, f"cfn-lint exit {result.returncode}:\n{output}"


# -- facts -------------------------------------------------------------------------------------


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_header_explains_image_push_and_source_files(texts: dict[str, str]) -> None:
    for case, text in texts.items():
        header = text[: text.index("AWSTemplateFormatVersion")]
        assert all(line.startswith("#") for line in header.splitlines()), case
        assert "CloudFormation template" in header
        assert "push the image" in header and "before the service can stabilize" in header
        assert "taskdef.json and appspec.yaml" in header
    assert "committed to the CodeCommit repository ecs-demo" in texts["seed"]
    assert "s3://bluegreen-shop-api-eu-west-1-source/deploy/source.zip" in texts["custom"]


def test_service_is_fargate_under_the_code_deploy_controller(
    templates: dict[str, dict[str, Any]], configs: dict[str, Config]
) -> None:
    for case, template in templates.items():
        config = configs[case]
        service = template["Resources"]["Service"]
        props = service["Properties"]
        assert props["DeploymentController"] == {"Type": "CODE_DEPLOY"}
        assert props["LaunchType"] == "FARGATE"
        assert props["LoadBalancers"] == [{
            "TargetGroupArn": {"Ref": "BlueTargetGroup"},
            "ContainerName": config.task.container_name,
            "ContainerPort": config.task.container_port,
        }]
        assert sorted(service["DependsOn"]) == ["ProductionListener", "TestListener"]
        vpc = props["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert vpc["Subnets"] == {"Ref": "SubnetIds"}
        assert vpc["AssignPublicIp"] == ("ENABLED" if config.network.assign_public_ip else "DISABLED")
    seed = templates["seed"]["Resources"]
    container = seed["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert container["Name"] == "sample-website"
    assert container["PortMappings"][0]["ContainerPort"] == 80
    assert seed["TaskDefinition"]["Properties"]["Cpu"] == "256"
    assert seed["TaskDefinition"]["Properties"]["Memory"] == "512"
    assert seed["TaskDefinition"]["Properties"]["ExecutionRoleArn"] == {
        "Fn::GetAtt": ["ExecutionRole", "Arn"]}


def test_deploy_action_is_code_deploy_to_ecs_with_the_image_placeholder(
    templates: dict[str, dict[str, Any]],
) -> None:
    for template in templates.values():
        pipeline = template["Resources"]["Pipeline"]["Properties"]
        deploy = next(s for s in pipeline["Stages"] if s["Name"] == "Deploy")["Actions"][0]
        assert deploy["ActionTypeId"]["Provider"] == "CodeDeployToECS"
        assert deploy["Configuration"]["Image1ContainerName"] == "IMAGE1_NAME"
        assert deploy["Configuration"]["TaskDefinitionTemplatePath"] == "taskdef.json"
        assert deploy["Configuration"]["AppSpecTemplatePath"] == "appspec.yaml"
        source = next(s for s in pipeline["Stages"] if s["Name"] == "Source")["Actions"]
        providers = {a["ActionTypeId"]["Provider"] for a in source}
        assert "ECR" in providers
        for action in source:
            for value in action["Configuration"].values():
                assert not isinstance(value, bool | int), "configuration values are strings"
    assert templates["v1"]["Resources"]["Pipeline"]["Properties"]["PipelineType"] == "V1"
    assert templates["v1"]["Resources"]["Pipeline"]["Properties"]["ExecutionMode"] == "SUPERSEDED"
    assert templates["seed"]["Resources"]["Pipeline"]["Properties"]["PipelineType"] == "V2"


def test_both_listeners_sit_on_the_load_balancer_with_the_configured_ports(
    templates: dict[str, dict[str, Any]], configs: dict[str, Config]
) -> None:
    for case, template in templates.items():
        lb = configs[case].load_balancer
        listeners = _resources(template, "AWS::ElasticLoadBalancingV2::Listener")
        ports = {name: r["Properties"]["Port"] for name, r in listeners.items()}
        assert ports == {"ProductionListener": lb.production_port, "TestListener": lb.test_port}
        for listener in listeners.values():
            assert listener["Properties"]["LoadBalancerArn"] == {"Ref": "LoadBalancer"}
            assert listener["Properties"]["DefaultActions"] == [
                {"Type": "forward", "TargetGroupArn": {"Ref": "BlueTargetGroup"}}]
        assert template["Resources"]["LoadBalancer"]["Properties"]["Scheme"] == lb.scheme


def test_every_taggable_resource_carries_the_stack_tag(
    templates: dict[str, dict[str, Any]], configs: dict[str, Config]
) -> None:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # type: ignore[import-untyped]

    for case, template in templates.items():
        tag = {**TAG, "Value": configs[case].name}
        tagged = 0
        for name, resource in template["Resources"].items():
            schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"])
            if "Tags" not in schema.schema["properties"]:
                continue
            assert tag in resource["Properties"].get("Tags", []), f"{case}: {name} lacks {tag}"
            tagged += 1
        assert tagged >= 15, case


def test_optional_resources_follow_the_config(templates: dict[str, dict[str, Any]]) -> None:
    seed = templates["seed"]
    assert {"SourceRepository", "ExecutionRole", "AlbSecurityGroup", "TaskSecurityGroup"} <= set(
        seed["Resources"])
    assert not {"SourceBucket", "DeploymentConfig"} & set(seed["Resources"])
    assert "Default" not in seed["Parameters"]["VpcId"]
    assert "Default" not in seed["Parameters"]["SubnetIds"]
    alb_sg = seed["Resources"]["AlbSecurityGroup"]["Properties"]
    assert {(r["FromPort"], r["CidrIp"]) for r in alb_sg["SecurityGroupIngress"]} == {
        (80, "0.0.0.0/0"), (8080, "0.0.0.0/0")}
    task_sg = seed["Resources"]["TaskSecurityGroup"]["Properties"]
    assert task_sg["SecurityGroupIngress"] == [{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
        "SourceSecurityGroupId": {"Ref": "AlbSecurityGroup"}, "Description": "from the load balancer"}]

    custom = templates["custom"]
    res = custom["Resources"]
    assert not {"SourceRepository", "ExecutionRole", "AlbSecurityGroup", "TaskSecurityGroup"} & set(res)
    assert custom["Parameters"]["VpcId"]["Default"] == "vpc-0a1b2c3d"
    assert custom["Parameters"]["SubnetIds"]["Default"] == "subnet-0556b778,subnet-0a1b2c3d4e5f67890"
    assert res["SourceBucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert res["DeploymentConfig"]["Properties"]["TrafficRoutingConfig"] == {
        "Type": "TimeBasedLinear", "TimeBasedLinear": {"LinearPercentage": 20, "LinearInterval": 2}}
    assert res["DeploymentGroup"]["Properties"]["DeploymentConfigName"] == {"Ref": "DeploymentConfig"}
    assert res["LoadBalancer"]["Properties"]["SecurityGroups"] == ["sg-c07de9b2"]
    service_vpc = res["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert service_vpc["SecurityGroups"] == ["sg-0123abcd"]
    task = res["TaskDefinition"]["Properties"]
    assert task["ExecutionRoleArn"] == "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
    assert '["ExecutionRole"' not in json.dumps(res)  # no GetAtt of a role that isn't created

    canary = templates["v1"]["Resources"]["DeploymentConfig"]["Properties"]["TrafficRoutingConfig"]
    assert canary == {"Type": "TimeBasedCanary",
                      "TimeBasedCanary": {"CanaryPercentage": 10, "CanaryInterval": 5}}
    rollback = templates["v1"]["Resources"]["DeploymentGroup"]["Properties"]["AutoRollbackConfiguration"]
    assert rollback == {"Enabled": False, "Events": []}


def test_image_uri_defaults_to_the_stack_repository(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["custom"]
    assert template["Parameters"]["ImageUri"]["Default"] == ""
    image = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]
    assert image == {"Fn::If": ["UseRepositoryImage",
                                {"Fn::Sub": "${ImageRepository.RepositoryUri}:v1.2.3"},
                                {"Ref": "ImageUri"}]}


def test_outputs_name_the_urls_and_the_pipeline(templates: dict[str, dict[str, Any]]) -> None:
    seed = templates["seed"]["Outputs"]
    assert seed["LoadBalancerUrl"]["Value"] == {"Fn::Sub": "http://${LoadBalancer.DNSName}"}
    assert seed["TestListenerUrl"]["Value"] == {"Fn::Sub": "http://${LoadBalancer.DNSName}:8080"}
    assert seed["PipelineName"]["Value"] == {"Ref": "Pipeline"}
    custom = templates["custom"]["Outputs"]
    assert custom["LoadBalancerUrl"]["Value"] == {"Fn::Sub": "http://${LoadBalancer.DNSName}:443"}


# -- mirror: the template resolves to the engine's own requests --------------------------------


def _names(config: Config, refs: Refs) -> dict[str, Any]:
    """What each Ref / GetAtt / ${...} in the template stands for, offline."""
    arns = Arns(config, refs)
    lb, cd = config.load_balancer, config.code_deploy
    return {
        "AWS::Partition": "aws", "AWS::Region": config.region, "AWS::AccountId": refs.account_id,
        "VpcId": refs.vpc_id, "SubnetIds": list(refs.subnet_ids), "ImageUri": "",
        "AlbSecurityGroup": refs.alb_security_group_ids[0],
        "TaskSecurityGroup": refs.task_security_group_ids[0],
        "ExecutionRole.Arn": arns.execution_role, "CodeDeployRole.Arn": arns.codedeploy_role,
        "PipelineRole.Arn": arns.pipeline_role, "EventsRole.Arn": arns.events_role,
        "ArtifactBucket": config.pipeline.artifact_bucket, "SourceBucket": config.source.bucket,
        "ImageRepository": config.image.repository,
        "ImageRepository.RepositoryUri": refs.image_uri.rsplit(":", 1)[0],
        "SourceRepository.Name": config.source.repository,
        "SourceRepository.Arn": arns.codecommit_repository,
        "LogGroup": config.task.log_group,
        "LoadBalancer": refs.load_balancer_arn,
        "BlueTargetGroup": refs.blue_target_group_arn, "GreenTargetGroup": refs.green_target_group_arn,
        "BlueTargetGroup.TargetGroupName": lb.blue_target_group,
        "GreenTargetGroup.TargetGroupName": lb.green_target_group,
        "ProductionListener": refs.production_listener_arn, "TestListener": refs.test_listener_arn,
        "Cluster": config.ecs.cluster, "Service.Name": config.ecs.service,
        "TaskDefinition": config.task.family,
        "Application": cd.application, "DeploymentGroup": cd.deployment_group,
        "DeploymentConfig": config.deployment_config_name, "Pipeline": config.pipeline.name,
    }


def _resolve(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return names[arg]
            if key == "Fn::GetAtt":
                return names[".".join(arg)]
            if key == "Fn::Sub":
                text = re.sub(r"\$\{(?!!)([^}]+)\}", lambda m: str(names[m.group(1)]), arg)
                return text.replace("${!", "${")
            if key == "Fn::If":  # the only condition: UseRepositoryImage, true by default
                return _resolve(arg[1], names)
        return {k: _resolve(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, names) for v in value]
    return value


# Map-valued keys whose own keys are data, not property names.
_DATA_MAPS = {"options", "configuration", "dockerLabels"}
_RENAMES = {"EcsServices": "ECSServices"}


def _pascal(value: Any) -> Any:
    """A boto3 request in CloudFormation's spelling: camelCase keys become PascalCase."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            new = _RENAMES.get(key[:1].upper() + key[1:], key[:1].upper() + key[1:])
            out[new] = item if key in _DATA_MAPS else _pascal(item)
        return out
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value


@pytest.fixture(scope="module")
def resolved(
    templates: dict[str, dict[str, Any]], configs: dict[str, Config]
) -> dict[str, dict[str, Any]]:
    out = {}
    for case, template in templates.items():
        config = configs[case]
        out[case] = _resolve(template["Resources"], _names(config, Refs.offline(config)))
    return out


CASE_IDS = list(CASES)


@pytest.mark.parametrize("case", CASE_IDS)
def test_iam_documents_are_the_iam_module_documents(
    case: str, resolved: dict[str, dict[str, Any]], configs: dict[str, Config]
) -> None:
    config = configs[case]
    specs = iam.roles(config, Refs.offline(config))
    roles = {r["Properties"]["RoleName"]: r["Properties"] for r in resolved[case].values()
             if r["Type"] == "AWS::IAM::Role"}
    assert set(roles) == {spec.name for spec in specs}
    for spec in specs:
        props = roles[spec.name]
        assert props["AssumeRolePolicyDocument"] == spec.trust_policy
        assert props.get("ManagedPolicyArns", []) == list(spec.managed_policies)
        policies = props.get("Policies", [])
        if spec.inline_policy is None:
            assert policies == []
        else:
            assert policies == [{"PolicyName": spec.inline_policy_name,
                                 "PolicyDocument": spec.inline_policy}]


@pytest.mark.parametrize("case", CASE_IDS)
def test_task_definition_and_service_mirror_the_engine_requests(
    case: str, resolved: dict[str, dict[str, Any]], configs: dict[str, Config]
) -> None:
    config = configs[case]
    refs = Refs.offline(config)
    res = resolved[case]
    taskdef = _pascal(requests.register_task_definition(config, refs, refs.image_uri))
    assert res["TaskDefinition"]["Properties"] == taskdef
    service = _pascal(requests.create_service(config, refs))
    assert res["Service"]["Properties"] == service


@pytest.mark.parametrize("case", CASE_IDS)
def test_deployment_resources_mirror_the_engine_requests(
    case: str, resolved: dict[str, dict[str, Any]], configs: dict[str, Config]
) -> None:
    config = configs[case]
    refs = Refs.offline(config)
    res = resolved[case]
    assert res["DeploymentGroup"]["Properties"] == _pascal(requests.create_deployment_group(config, refs))
    custom = requests.create_deployment_config(config)
    if custom is None:
        assert "DeploymentConfig" not in res
    else:
        assert res["DeploymentConfig"]["Properties"] == _pascal(custom)
    pipeline = requests.create_pipeline(config, refs)["pipeline"]
    props = res["Pipeline"]["Properties"]
    assert props["Stages"] == _pascal(pipeline["stages"])
    assert props["RoleArn"] == pipeline["roleArn"]
    assert props["ArtifactStore"] == _pascal(pipeline["artifactStore"])
    assert (props["PipelineType"], props["ExecutionMode"]) == (
        pipeline["pipelineType"], pipeline["executionMode"])


@pytest.mark.parametrize("case", CASE_IDS)
def test_event_rules_mirror_the_engine_requests(
    case: str, resolved: dict[str, dict[str, Any]], configs: dict[str, Config]
) -> None:
    config = configs[case]
    refs = Refs.offline(config)
    rules = {r["Properties"]["Name"]: r["Properties"] for r in resolved[case].values()
             if r["Type"] == "AWS::Events::Rule"}
    expected = requests.event_rules(config, refs)
    assert set(rules) == {rule["Name"] for _, rule, _ in expected}
    for _, rule, targets in expected:
        props = rules[rule["Name"]]
        assert props["EventPattern"] == json.loads(rule["EventPattern"])
        assert props["Description"] == rule["Description"]
        assert props["State"] == rule["State"]
        assert props["Targets"] == targets["Targets"]
        assert props["Tags"] == rule["Tags"]
