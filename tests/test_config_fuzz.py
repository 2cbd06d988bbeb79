"""Whatever the document, loading ends in a valid Config or a ConfigError, nothing else."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from bluegreen.model.config import Config
from bluegreen.model.configfile import ConfigError, dump_text, load_text

FIELDS: dict[str, list[str]] = {
    "": ["apiVersion", "kind", "name", "region"],
    "image": ["repository", "tag", "dockerfile", "context", "buildArgs"],
    "task": ["family", "containerName", "containerPort", "cpu", "memory", "executionRoleArn",
             "logGroup", "environment", "healthCheck"],
    "network": ["vpc", "subnets", "assignPublicIp", "albSecurityGroups"],
    "loadBalancer": ["name", "scheme", "productionPort", "testPort", "blueTargetGroup",
                     "healthCheckPath", "healthCheckMatcher"],
    "ecs": ["cluster", "service", "desiredCount", "platformVersion"],
    "codeDeploy": ["deploymentConfig", "readyAction", "readyWaitMinutes",
                   "terminationWaitMinutes", "autoRollbackEvents", "alarms", "hooks"],
    "source": ["type", "repository", "branch", "bucket", "key"],
    "pipeline": ["name", "type", "executionMode", "artifactBucket"],
}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True), st.text(max_size=40),
    st.sampled_from(["ecs-demo", "subnet-0556b778", "us-east-1a", "256", "512", "STOP_DEPLOYMENT",
                     "linear", "CodeDeployDefault.ECSAllAtOnce", "", "-", "internal-x"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers()), inner, max_size=4),
    ),
    max_leaves=12,
)


def _yaml_text(data: Any) -> str:
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


def _outcome(text: str) -> None:
    try:
        config = load_text(text)
    except ConfigError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path and problem.rule and problem.fix
        return
    assert isinstance(config, Config)
    # anything that loads must also save and load back to the same thing
    assert load_text(dump_text(config)) == config


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    _outcome(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_arbitrary_documents(data: Any) -> None:
    _outcome(_yaml_text(data))


@st.composite
def field_edits(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {"name": "ecs-demo"}
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        section = draw(st.sampled_from(sorted(FIELDS)))
        key = draw(st.sampled_from(FIELDS[section]))
        value = draw(values)
        if section:
            target = document.setdefault(section, {})
            if isinstance(target, dict):
                target[key] = value
        else:
            document[key] = value
    return document


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field_edits())
def test_arbitrary_values_in_real_fields(document: dict[str, Any]) -> None:
    _outcome(_yaml_text(document))
