"""The wizard's draft: every change is judged by the Config model, refused values wait for
the change that makes them fit, and a new stack name carries the derived names along."""

from __future__ import annotations

from bluegreen.model.draft import Draft, concerns


def test_a_valid_change_is_applied_and_marks_the_draft_dirty() -> None:
    draft = Draft.new("shop")
    assert draft.set("task.containerPort", 8080) == []
    assert draft.config.task.container_port == 8080
    assert draft.dirty


def test_a_refused_value_names_the_field_rule_and_fix_and_keeps_the_config() -> None:
    draft = Draft.new("shop")
    problems = draft.set("loadBalancer.testPort", 80)
    assert problems and concerns(problems[0], "loadBalancer.testPort")
    assert "must differ" in problems[0].rule and problems[0].fix
    assert draft.config.load_balancer.test_port == 8080
    assert draft.value("loadBalancer.testPort") == 80  # what the user typed stays on screen


def test_cpu_waits_for_a_memory_that_fits_it() -> None:
    draft = Draft.new("shop")
    problems = draft.set("task.cpu", 1024)
    assert [p.path for p in problems] == ["task.memory"]
    assert draft.config.task.cpu == 256
    assert draft.set("task.memory", 2048) == []
    assert (draft.config.task.cpu, draft.config.task.memory) == (1024, 2048)
    assert draft.problems == []


def test_renaming_the_stack_renames_derived_names_only() -> None:
    draft = Draft.new("shop")
    draft.set("ecs.cluster", "shared")
    assert draft.set("name", "store") == []
    assert draft.config.load_balancer.name == "store-alb"
    assert draft.config.ecs.cluster == "shared"


def test_a_bad_stack_name_is_refused_without_touching_anything() -> None:
    draft = Draft.new("shop")
    problems = draft.set("name", "Bad Name")
    assert problems and problems[0].path == "name"
    assert draft.config.name == "shop" and draft.config.ecs.service == "shop"


def test_save_writes_yaml_that_loads_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bluegreen.model.configfile import load

    draft = Draft.new("shop")
    draft.set("codeDeploy.deploymentConfig", {"type": "canary", "percent": 20, "intervalMinutes": 5})
    draft.save(tmp_path / "bluegreen.yaml")
    assert not draft.dirty
    assert load(tmp_path / "bluegreen.yaml") == draft.config


def test_replace_starts_over_from_an_opened_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bluegreen.model.config import Config

    draft = Draft.new("shop")
    draft.set("task.memory", 1024 * 64)  # refused: waits
    assert draft.pending and draft.dirty is False
    draft.set("name", "store")
    opened = Config(name="other")
    draft.replace(opened, tmp_path / "other.yaml")
    assert draft.config == opened and draft.path == tmp_path / "other.yaml"
    assert not draft.pending and not draft.dirty and draft.problems == []


def test_forget_drops_one_refused_value() -> None:
    draft = Draft.new("shop")
    draft.set("source.bucket", "Bad Bucket")
    assert draft.forget("source.bucket") and not draft.pending
    assert not draft.forget("source.bucket")  # nothing waits any more
    assert draft.set("source.key", "other.zip") == []
