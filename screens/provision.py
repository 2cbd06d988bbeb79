"""Step 10: the stack is created, live, then checked the way the seed procedure ends.

The engine's apply runs in an async worker (its boto3 calls go to threads inside it);
its events reach the resource tree as messages, from whichever thread emitted them (the
image build runs in one). A failure shows its fix and offers Retry, which simply applies
again: apply resumes, finding what exists by name and tag. When all is done, the load
balancer URL gets an HTTP GET and the screen ends on a summary with a Watch button, which
opens the live monitor of the stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static
from textual.worker import get_current_worker

from bluegreen.aws.probe import probe
from bluegreen.engine.runner import RunResult
from bluegreen.engine.stack import Outputs
from bluegreen.errors import Failed
from screens.base import StepScreen
from screens.widgets.resource_tree import ResourceTree


class ApplyFinished(Message):
    """`result` is the engine's RunResult (with the stack's outputs when it succeeded), or None
    with `error` set when apply crashed."""

    def __init__(self, result: RunResult | None, outputs: Outputs | None, error: str = "") -> None:
        super().__init__()
        self.result, self.outputs, self.error = result, outputs, error


class LbChecked(Message):
    def __init__(self, url: str, ok: bool, text: str) -> None:
        super().__init__()
        self.url, self.ok, self.text = url, ok, text


class ProvisionScreen(StepScreen):
    TITLE_TEXT = "Provisioning"
    INTRO = "Creating the stack. A failure shows its fix; Retry then resumes where it stopped."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Watch", priority=True),
        Binding("ctrl+r", "retry", "Retry"),
    ]

    DEFAULT_CSS = """
    ProvisionScreen #body { overflow-y: hidden; }
    ProvisionScreen #status { height: 1; }
    ProvisionScreen #summary { height: auto; display: none; border-top: solid $primary-background;
                               padding: 0 0 0 0; }
    ProvisionScreen.-summary #summary { display: block; }
    ProvisionScreen.-summary ResourceTree { height: auto; }
    ProvisionScreen.-summary ResourceTree Tree { height: auto; max-height: 12; }
    ProvisionScreen #summary-lines { height: auto; }
    ProvisionScreen #summary-buttons { height: auto; }
    ProvisionScreen #summary-buttons Button { margin: 0 2 0 0; }
    ProvisionScreen #retry { display: none; }
    ProvisionScreen.-failed #retry { display: block; }
    """

    def __init__(self, context: Any, clock: Any = None, autostart: bool = True) -> None:
        super().__init__(context)
        self.clock = clock  # injectable for snapshots; None: the real monotonic clock
        self.autostart = autostart  # False: tests feed events themselves
        self.running = False
        self.result: Any = None
        self.lb_url = ""
        self.created: set[str] = set()  # across retries: a retry sees its earlier creations as in place
        self.check: tuple[bool, str] | None = None
        self.summary_rows: list[tuple[str, str]] = []  # what the summary says, as (label, value)

    def body(self) -> ComposeResult:
        yield Static("", id="status")
        kwargs = {"clock": self.clock} if self.clock is not None else {}
        yield ResourceTree(f"Stack {self.draft.config.name}", id="tree", **kwargs)
        with Vertical(id="summary"):
            yield Static("", id="summary-lines")
            with Horizontal(id="summary-buttons"):
                yield Button("Check the URL again", id="recheck", compact=True)
                yield Button("Export the config", id="export", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        nav = self.query_one("#nav")
        nav.mount(Button("Retry", id="retry", variant="warning"), before="#next")
        done = self.query_one("#next", Button)
        done.label = "Watch"
        done.disabled = True
        self.query_one("#tree Tree").focus()
        rows = self.context.plan.rows if self.context.plan is not None else ()
        self.query_one(ResourceTree).expect((row.node, row.title, row.action) for row in rows)
        if self.context.session is None:
            self.status("[red]No AWS target yet: go back to step 0 (Target) and connect.[/red]")
            return
        if self.autostart:
            self.start()

    # -- apply ---------------------------------------------------------------------

    def where(self) -> str:
        connection = self.context.connection
        if connection is not None and connection.is_sandbox:
            return "the local sandbox"
        return f"AWS {self.draft.config.region}"

    def status(self, markup: str) -> None:
        self.query_one("#status", Static).update(markup)

    def start(self) -> None:
        self.show_running()
        self.run_apply()

    def show_running(self) -> None:
        self.running, self.result, self.check = True, None, None
        self.set_class(False, "-failed")
        self.refresh_bindings()
        self.set_class(False, "-summary")
        self.query_one("#back", Button).disabled = True
        config = self.draft.config
        self.status(f"[yellow]Applying stack [b]{config.name}[/b] on {self.where()}…[/yellow]")

    @work(exclusive=True, group="apply")
    async def run_apply(self) -> None:
        from bluegreen.engine.stack import Stack

        session = self.context.session
        assert session is not None  # on_mount checked it
        tree = self.query_one(ResourceTree)
        stack = Stack(session, self.draft.config, base_dir=self.context.base_dir)
        try:
            # The tree's listener posts a message: safe from the image build's thread too.
            applied = await stack.apply(tree.listener)
        except Exception as exc:  # not a node's failure (those are events): a crash of the run
            if not get_current_worker().is_cancelled:
                # a Failed (the stack is locked by another run...) says what and the fix itself
                why = str(exc) if isinstance(exc, Failed) else f"{type(exc).__name__}: {exc}"
                self.post_message(ApplyFinished(None, None, why))
            return
        # Posted to the tree, after every event of the run: handled once the tree has them all.
        tree.post_message(ApplyFinished(applied.run, applied.outputs))

    def on_apply_finished(self, message: ApplyFinished) -> None:
        message.stop()
        self.running = False
        self.query_one("#back", Button).disabled = False
        self.note_created()
        if message.result is None or not message.result.ok:
            self.result = message.result
            self.set_class(True, "-failed")
            self.refresh_bindings()
            why = message.error or (f"{len(message.result.failed)} failed, "
                                    f"{len(message.result.skipped)} skipped")
            self.status(f"[red]Stopped: {escape(why)}. Fix the cause shown below, then Retry (ctrl+r).[/red]")
            self.query_one("#retry", Button).focus()
            return
        self.show_done(message.result, message.outputs)

    def note_created(self) -> None:
        """Remember what this screen created: on a retry those show as already in place."""
        tree = self.query_one(ResourceTree)
        self.created |= {r.node for r in tree.rows.values() if r.status == "created"}

    def can_retry(self) -> bool:
        return not self.running and self.context.session is not None and self.has_class("-failed")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.can_retry()  # the footer shows ctrl+r only when there is something to retry
        return True

    def action_retry(self) -> None:
        if not self.can_retry():
            return
        self.query_one(ResourceTree).restart()
        self.start()

    # -- the end: check the URL, then the summary ----------------------------------

    def show_done(self, result: RunResult, outputs: Outputs | None) -> None:
        """Success: the summary, and the load balancer check in a thread."""
        self.result = result
        self.note_created()
        self.lb_url = outputs.production_url if outputs is not None else ""
        self.status(f"[green]✓ Stack [b]{self.draft.config.name}[/b] is in place on {self.where()} "
                    f"({result.seconds:.1f}s).[/green]")
        done = self.query_one("#next", Button)
        done.disabled = False
        self.set_class(True, "-summary")
        sandbox = self.context.connection is not None and self.context.connection.is_sandbox
        self.query_one("#recheck", Button).display = not sandbox  # its made-up name is never asked
        self.paint_summary()
        done.focus()
        self.recheck()

    @on(Button.Pressed, "#recheck")
    def recheck(self, event: Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        if not self.lb_url:
            return
        self.check = None
        self.paint_summary()
        connection = self.context.connection
        self.check_lb(self.lb_url, connection is not None and connection.is_sandbox)

    @work(thread=True, exclusive=True, group="lb-check")
    def check_lb(self, url: str, sandbox: bool) -> None:
        answer = probe(url, sandbox)
        self.post_message(LbChecked(url, answer.ok, answer.text))

    def on_lb_checked(self, message: LbChecked) -> None:
        if message.url == self.lb_url:
            self.check = (message.ok, message.text)
            self.paint_summary()

    def paint_summary(self) -> None:
        from rich.table import Table

        config = self.draft.config
        tree = self.query_one(ResourceTree)
        in_sync = {n for n, r in tree.rows.items() if r.status == "in_sync"} - self.created
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=13, style="bold")
        grid.add_column(ratio=1)

        self.summary_rows = []

        def line(label: str, value: str, style: str = "") -> None:
            self.summary_rows.append((label, value))
            grid.add_row(label, Text(value, style=style))

        line("Resources", f"{len(self.created)} created, {tree.count('updated')} updated, "
                          f"{len(in_sync)} already in place")
        line("Service", f"ECS service {config.ecs.service} on cluster {config.ecs.cluster}; CodeDeploy "
                        f"{config.code_deploy.application} / {config.code_deploy.deployment_group}")
        lb = config.load_balancer
        line("Load balancer", f"{self.lb_url}  (test listener :{lb.test_port})" if self.lb_url else "(no DNS name)")
        if self.check is None:
            line("HTTP check", "⠿ GET in progress…" if self.lb_url else "skipped", "yellow")
        else:
            ok, text = self.check
            line("HTTP check", f"{'✓' if ok else '✗'} {text}", "green" if ok else "yellow")
        line("Pipeline", f"{config.pipeline.name}: runs on a push of {config.image.repository}:"
                         f"{config.image.tag} to ECR, or a commit to the source")
        connection = self.context.connection
        sandbox = connection is not None and connection.is_sandbox
        file = self.draft.path or Path("bluegreen.yaml")
        command = f"bluegreen push -f {file}"
        push = "push an image to deploy: " + (connection.command_hint(command) if connection else command)
        if self.draft.path is None or self.draft.dirty:
            push += " (export the config first: ctrl+e)"
        line("Next", "Watch (ctrl+n) opens the live monitor: executions, lifecycle, traffic shifts", "bold cyan")
        line("", push, "cyan")
        if sandbox:
            line("", "This sandbox lives inside the wizard and stops when you leave; "
                     "'bluegreen sandbox' runs one that stays.", "dim")
        self.query_one("#summary-lines", Static).update(grid)

    @on(Button.Pressed, "#retry")
    def retry_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_retry()

    @on(Button.Pressed, "#export")
    async def export(self, event: Button.Pressed) -> None:
        event.stop()
        await self.run_action("app.export")

    # -- navigation ----------------------------------------------------------------

    def problems(self) -> list[str]:
        if self.running:
            return ["provisioning is still running"]
        if self.result is None or not self.result.ok:
            return ["the stack is not complete: fix the failure and Retry"]
        return []

    def action_back(self) -> None:
        if self.running:
            self.notify("Provisioning is running; Back is possible once it has finished or stopped.",
                        severity="warning")
            return
        super().action_back()
