"""One run per stack at a time: a lock AWS holds (an SSM parameter), taken by apply and
destroy, released at the end; the run that meets it stops naming the holder; a crashed
holder's lock is broken explicitly; --json output stays JSON in every outcome."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from support.engine import put_tiny_image, run_plan, session_for, stack_config

from bluegreen.engine import lock
from bluegreen.engine.stack import Stack
from bluegreen.errors import Failed
from bluegreen.model.configfile import dump_text
from tui.cli import main


def test_two_applies_of_one_stack_one_completes_the_other_stops_naming_it(sandbox) -> None:  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    put_tiny_image(session)
    config = stack_config("locked")
    outcomes: dict[str, Any] = {}
    start = threading.Barrier(2)

    def run(name: str) -> None:
        start.wait()
        try:
            outcomes[name] = asyncio.run(Stack(session_for(sandbox), config).apply())
        except Failed as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    failed = [o for o in outcomes.values() if isinstance(o, Failed)]
    applied = [o for o in outcomes.values() if not isinstance(o, Failed)]
    assert len(failed) == 1 and len(applied) == 1, outcomes
    assert applied[0].ok
    assert "stack locked is locked: apply by " in failed[0].message and "pid" in failed[0].message
    assert "bluegreen unlock" in failed[0].fix
    assert lock.current(session, config) is None  # released at the end
    assert {row.action for row in run_plan(session, config)} == {"in_sync"}


def test_a_stale_lock_stops_apply_until_unlock_breaks_it(sandbox, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    put_tiny_image(session)
    config = stack_config("stale")
    crashed = lock.Holder("ci@elsewhere", 4242, "destroy", "2026-01-01T00:00:00+00:00")
    session.client("ssm").put_parameter(Name=lock.parameter_name(config), Type="String",
                                        Value=json.dumps(crashed.__dict__))
    path = tmp_path / "bluegreen.yaml"
    path.write_text(dump_text(config))
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)
    runner = CliRunner()

    refused = runner.invoke(main, ["apply", "-f", str(path), "--sandbox", "--yes", "--json"])
    assert refused.exit_code == 1
    answer = json.loads(refused.stdout)  # --json: JSON even when the run stops
    assert "destroy by ci@elsewhere (pid 4242) since 2026-01-01" in answer["error"]

    unlocked = runner.invoke(main, ["unlock", "-f", str(path), "--sandbox", "--yes"])
    assert unlocked.exit_code == 0, unlocked.output
    assert "removed the lock of stack stale (destroy by ci@elsewhere" in unlocked.output
    assert runner.invoke(main, ["unlock", "-f", str(path), "--sandbox", "--yes"]).output.strip().endswith(
        "stack stale is not locked")

    applied = runner.invoke(main, ["apply", "-f", str(path), "--sandbox", "--yes", "--json"])
    assert applied.exit_code == 0, applied.output
    assert lock.current(session, config) is None


def test_a_second_apply_changes_nothing_but_taking_and_giving_back_the_lock(sandbox) -> None:  # type: ignore[no-untyped-def]
    from support.engine import counted

    session = session_for(sandbox)
    put_tiny_image(session)
    config = stack_config("relocked")
    assert asyncio.run(Stack(session, config).apply()).ok
    fresh, counter = counted(session)
    assert asyncio.run(Stack(fresh, config).apply()).ok
    assert counter.mutating == ["ssm.PutParameter", "ssm.DeleteParameter"]
