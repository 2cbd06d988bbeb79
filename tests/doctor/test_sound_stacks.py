"""Sound setups give no finding from any rule: the seed procedure's stack with complete roles,
and a stack made by `bluegreen apply`. (Each broken setup: the tests of its area.)"""

from __future__ import annotations

from typing import Any

from support.doctor import diagnosed, doctor_session, found
from support.engine import put_tiny_image, run_apply, session_for, stack_config
from support.seed_stack import build_seed_stack

from bluegreen.doctor.rules import RULES


def test_every_rule_is_named_once_with_a_severity_and_an_area() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) and len(ids) >= 27
    assert {r.area for r in RULES} == {"sources", "artifacts", "ecs", "iam", "network"}
    assert {r.severity for r in RULES} <= {"error", "warning"}


def test_the_seed_stack_with_complete_roles_is_sound(sandbox: Any) -> None:
    seed = build_seed_stack(sandbox.client, app="soundseed", region="us-east-1")
    report = diagnosed(doctor_session(sandbox, "us-east-1"), seed.pipeline)
    assert found(report) == [], report
    assert report.rules_run == len(RULES)


def test_a_stack_bluegreen_applied_is_sound(sandbox: Any) -> None:
    session = session_for(sandbox)  # the engine tests' region (us-east-2): the sandbox serves every region
    put_tiny_image(session)
    config = stack_config("soundapply")
    result, _ = run_apply(session, config)
    assert result.ok, result
    report = diagnosed(session, config.pipeline.name)
    assert found(report) == [], report


def test_docs_list_every_rule_with_its_area_and_severity() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "doctor.md").read_text()
    for r in RULES:
        assert f"| {r.area} | `{r.id}` | {r.severity}" in text, r.id
