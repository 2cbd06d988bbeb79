"""Step 9: what Apply will do, before it does anything.

The plan (read calls only, run by the engine in an async worker: boto3 calls go to
threads inside it) lists every resource as create / update / in sync / conflict /
blocked / error with the reason and the fix. The files Apply sends are shown in tabs,
rendered offline from the same config. Apply stays disabled, with the reason next to
it, while the plan is loading or holds a conflict or an error: those need a change
(Back) first. Export saves the config and every artifact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button, Static, TabbedContent, TabPane

from bluegreen.engine.stack import Plan
from screens.base import StepScreen
from screens.widgets.code_view import CodeView
from screens.widgets.plan_table import PlanTable, counts

# The artifacts shown, in tab order (Export writes them all).
TABS = ("taskdef.json", "appspec.yaml", "create-service.json", "pipeline.json", "cloudformation.yaml")


def tab_id(path: str) -> str:
    return "tab-" + path.replace(".", "-")


class ReviewScreen(StepScreen):
    TITLE_TEXT = "Review"
    INTRO = "Nothing has changed yet: what Apply would do to each resource, and the files it sends."
    PATHS = ("",)  # every refused value anywhere blocks Apply: it would apply something else

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Apply", priority=True),
        Binding("ctrl+r", "replan", "Plan again"),
    ]

    DEFAULT_CSS = """
    ReviewScreen #body { overflow-y: hidden; }
    ReviewScreen #body > .section { margin: 0; }
    ReviewScreen #plan { margin: 0 0 1 0; }
    ReviewScreen #artifacts { height: 1fr; min-height: 8; }
    ReviewScreen #artifacts TabPane { padding: 0; }
    ReviewScreen #apply-why { width: 1fr; height: 3; content-align: left middle; color: $warning; }
    ReviewScreen #apply-why.-ready { color: $success; }
    """

    def __init__(self, context: Any, autoplan: bool = True) -> None:
        super().__init__(context)
        self.autoplan = autoplan  # False: tests feed rows with show_plan()
        self.planning = False
        self.plan_error = ""

    def body(self) -> ComposeResult:
        yield Static("Plan", classes="section")
        yield PlanTable(id="plan")
        yield Static("Files (Export writes these and every other request to a folder)", classes="section")
        with TabbedContent(id="artifacts"):
            for path, text in self.artifacts():
                with TabPane(path, id=tab_id(path)):
                    yield CodeView(text, "json" if path.endswith(".json") else "yaml")

    def artifacts(self) -> list[tuple[str, str]]:
        from renderers.artifacts import render_all
        from renderers.refs import Refs

        config = self.draft.config
        identity = self.context.identity
        refs = Refs.offline(config, identity.account) if identity is not None else Refs.offline(config)
        rendered = {a.path: a.text for a in render_all(config, refs)}
        return [(path, rendered[path]) for path in TABS if path in rendered]

    def on_mount(self) -> None:
        super().on_mount()
        nav = self.query_one("#nav")
        nav.mount(Static("", id="apply-why"), before=0)
        nav.mount(Button("Export", id="export"), before="#next")
        self.query_one("#next", Button).label = "Apply"
        self.query_one("#plan-rows").focus()  # arrows read the plan; ctrl+n applies
        if self.autoplan:
            self.action_replan()
        else:
            self.refresh_apply()

    # -- the plan ------------------------------------------------------------------

    def action_replan(self) -> None:
        if self.context.session is None:
            self.plan_error = "no AWS target yet: go back to step 0 (Target) and connect"
            self.query_one(PlanTable).show_message(Text(self.plan_error, style="red"))
            self.refresh_apply()
            return
        self.planning, self.plan_error = True, ""
        self.query_one(PlanTable).show_message(Text(f"⠿ asking {self.where()} what exists…", style="yellow"))
        self.refresh_apply()
        self.run_plan()

    def where(self) -> str:
        connection = self.context.connection
        if connection is not None and connection.is_sandbox:
            return "the local sandbox"
        return f"AWS ({self.draft.config.region})"

    @work(exclusive=True, group="plan")
    async def run_plan(self) -> None:
        # Async worker on the loop: the engine sends each boto3 call to a thread itself.
        from bluegreen.aws.discovery import describe_problem
        from bluegreen.engine.stack import Stack

        session = self.context.session
        assert session is not None  # action_replan checked it
        try:
            plan = await Stack(session, self.draft.config, base_dir=self.context.base_dir).plan()
        except Exception as exc:
            if self.left():
                return
            self.planning, self.plan_error = False, describe_problem(exc)
            self.query_one(PlanTable).show_message(
                Text(f"The plan failed: {self.plan_error}  (ctrl+r plans again)", style="red"))
            self.refresh_apply()
            return
        if not self.left():
            self.show_plan(plan.rows)

    def left(self) -> bool:
        """The user went Back (or on) while the plan was worked out: this screen's widgets are
        being removed, and the plan is worked out again when the step is shown next."""
        if not self.is_attached or self not in self.app.screen_stack:
            return True  # dismissed: its widgets go one by one, the table's parts among the first
        tables = self.query(PlanTable)
        return not tables or not tables.first().whole

    def show_plan(self, rows: Sequence[Any]) -> None:
        """Show plan rows (`runner.PlanRow`); tests feed fixed ones here."""
        self.planning, self.plan_error = False, ""
        self.context.plan = Plan(tuple(rows))
        self.query_one(PlanTable).show(rows)
        self.refresh_apply()

    # -- apply ---------------------------------------------------------------------

    def problems(self) -> list[str]:
        out = super().problems()
        if self.planning:
            out.append("the plan is still being worked out")
        elif self.plan_error:
            out.append(self.plan_error)
        else:
            found = counts(self.query_one(PlanTable).rows)
            stops = [f"{found[a]} {a}{'s' if found[a] > 1 else ''}" for a in ("conflict", "error") if found.get(a)]
            if stops:
                out.append(f"the plan has {' and '.join(stops)}: fix the config (Back) or the account, "
                           "then plan again (ctrl+r)")
            elif not self.query_one(PlanTable).rows:
                out.append("there is no plan yet")
        return out

    def refresh_apply(self) -> None:
        problems = self.problems()
        apply = self.query_one("#next", Button)
        apply.disabled = bool(problems)
        why = self.query_one("#apply-why", Static)
        if problems:
            why.update(self.apply_note())
        else:
            changes = sum(n for a, n in counts(self.query_one(PlanTable).rows).items() if a in ("create", "update"))
            why.update(f"Ready: {changes} change{'s' if changes != 1 else ''} on {self.where()}"
                       if changes else f"Ready: everything is in place on {self.where()}")
        why.set_class(not problems, "-ready")

    def apply_note(self) -> str:
        """Why Apply is off, short enough for the space beside the button."""
        if self.planning:
            return "Apply waits for the plan…"
        if self.plan_error or not self.query_one(PlanTable).rows:
            return "Apply is off: no plan (ctrl+r plans again)"
        if super().problems():
            return "Apply is off: a field holds a refused value (Back to fix it)"
        found = counts(self.query_one(PlanTable).rows)
        stops = [f"{found[a]} {a}{'s' if found[a] > 1 else ''}" for a in ("conflict", "error") if found.get(a)]
        return f"Apply is off: {' and '.join(stops)} in the plan. Fix (Back), then ctrl+r."

    def refresh_problems(self) -> None:
        super().refresh_problems()
        self.refresh_apply()

    @on(Button.Pressed, "#export")
    async def export(self, event: Button.Pressed) -> None:
        event.stop()
        await self.run_action("app.export")
