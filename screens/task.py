"""Step 2: the ECS task definition: family, container, port, Fargate size and execution role,
beside a live preview of the taskdef.json the pipeline deploys.

Only valid Fargate sizes can be picked: the memory list holds the sizes the chosen cpu allows,
and changing the cpu moves an unfit memory to the nearest size that fits (and says so). The port
starts from the EXPOSE line of the Dockerfile chosen in step 1 unless the user set one.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll

from bluegreen.model.rules import FARGATE_MEMORY, fargate_memory_that_fits
from screens.base import StepScreen
from screens.discover import Discovered, fetch
from screens.lookups import Key, Kind
from screens.widgets.build_progress import BuildStatusLine
from screens.widgets.field import ChoiceField, ConfigField, FieldChanged, as_int
from screens.widgets.notes import revalidate, set_help
from screens.widgets.preview import CodePreview

ROLES = Key(Kind.ROLES)
DEFAULT_PORT = 80
MEMORY_HELP = "the sizes Fargate allows with this cpu"


def cpu_label(cpu: int) -> str:
    vcpu = cpu / 1024
    return f"{cpu} ({vcpu:g} vCPU)".replace("(0.", "(.")


def memory_label(mib: int) -> str:
    return f"{mib} MiB" if mib < 1024 else f"{mib // 1024} GiB"


def memory_options(cpu: int, current: int | None = None) -> list[tuple[str, int]]:
    """The sizes `cpu` allows; plus `current` when it does not fit (a refused value the draft still
    holds), so that the step shows it with its rule instead of silently replacing it."""
    options = [(memory_label(m), m) for m in FARGATE_MEMORY.get(cpu, ())]
    if current is not None and current not in FARGATE_MEMORY.get(cpu, ()):
        options.append((f"{memory_label(current)} (does not fit)", current))
    return options


def list_roles(session: Any) -> list[Any]:
    from bluegreen.aws.discovery import roles

    return roles(session)


def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


ARCHITECTURES = [("x86_64 (Intel/AMD)", "X86_64"), ("ARM64 (Graviton)", "ARM64")]


class TaskScreen(StepScreen):
    TITLE_TEXT = "Task definition"
    INTRO = ("What ECS runs: one container from your image, on Fargate. On the right, the taskdef.json "
             "the pipeline registers on every deployment.")
    PATHS = ("task.",)

    DEFAULT_CSS = """
    TaskScreen #columns { height: 1fr; }
    TaskScreen #form { width: 42; height: 1fr; padding: 0 1 0 0; }
    TaskScreen #form ConfigField Input, TaskScreen #form ConfigField Select { width: 40; }
    TaskScreen #preview { width: 1fr; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.port_note = ""
        self.port_at_mount: Any = None
        self.role_problem = ""  # why no existing role is offered, when discovery says

    def body(self) -> ComposeResult:
        self.prefill_port()
        self.port_at_mount = self.draft.value("task.containerPort")  # a change from it is the user's
        with Horizontal(id="columns"):
            with VerticalScroll(id="form"):
                yield ConfigField(self.draft, "task.family", "Task definition family")
                yield ConfigField(self.draft, "task.containerName", "Container name")
                yield ConfigField(self.draft, "task.containerPort", "Container port", self.port_note or
                                  "the port your app listens on", convert=as_int)
                yield ChoiceField(self.draft, "task.cpu", "CPU", [(cpu_label(c), c) for c in FARGATE_MEMORY])
                yield ChoiceField(self.draft, "task.memory", "Memory", help=MEMORY_HELP, options=memory_options(
                    self.draft.value("task.cpu"), self.draft.value("task.memory")))
                yield ChoiceField(self.draft, "task.cpuArchitecture", "CPU architecture", ARCHITECTURES,
                                  help="the image is built for it (Build and push, bluegreen push)")
                yield ChoiceField(self.draft, "task.executionRoleArn", "Execution role",
                                  self.role_options([]), help="ECS pulls the image and writes logs with it")
                yield BuildStatusLine(self.context)
            yield CodePreview("taskdef.json (preview)", "json", placeholders=("<IMAGE1_NAME>",),
                              note="<IMAGE1_NAME>: filled in by the pipeline", id="preview")

    def on_mount(self) -> None:
        super().on_mount()
        if self.context.session is not None or self.context.discovered.knows(ROLES):
            fetch(self, self.context, ROLES, list_roles, self.context.session)
        self.show_role_note()
        self.refresh_preview()

    # -- port ------------------------------------------------------------------------------

    def prefill_port(self) -> None:
        """Take the port from the chosen Dockerfile's EXPOSE, unless the user chose one."""
        exposed = self.context.image.exposed_port
        if not exposed or self.port_set_by_user():
            return
        if self.draft.config.task.container_port != exposed:
            self.draft.set("task.containerPort", exposed)
        if self.draft.config.task.container_port == exposed:
            self.port_note = f"from EXPOSE {exposed} in {self.context.image.exposed_from}"

    def port_set_by_user(self) -> bool:
        if self.context.task_port_set_by_user or "task.containerPort" in self.draft.pending:
            return True
        # a config opened from a file says what it wants
        return self.draft.path is not None and self.draft.config.task.container_port != DEFAULT_PORT

    # -- cpu and memory ----------------------------------------------------------------------

    def on_field_changed(self, event: FieldChanged) -> None:
        super().on_field_changed(event)
        if event.path == "task.containerPort" and self.draft.value(event.path) != self.port_at_mount:
            self.context.task_port_set_by_user = True
        elif event.path == "task.cpu":
            self.cpu_changed()
        elif event.path == "task.executionRoleArn":
            self.show_role_note()
        revalidate(self)
        self.refresh_preview()

    def cpu_changed(self) -> None:
        cpu = self.draft.value("task.cpu")
        if cpu not in FARGATE_MEMORY:
            return
        memory = self.draft.value("task.memory")
        fits = fargate_memory_that_fits(cpu, memory)
        memory_field = self.query_one("#field-task-memory", ChoiceField)
        if fits != memory:
            self.draft.set("task.memory", fits)  # applies the waiting cpu with it
            set_help(memory_field, f"{memory_label(memory)} does not fit cpu {cpu}: now {memory_label(fits)}")
        else:
            set_help(memory_field, MEMORY_HELP)
        if not self.draft.pending:  # the cpu's own complaint (memory did not fit) is settled
            self.query_one("#field-task-cpu", ChoiceField).show("")
        memory_field.set_options(memory_options(cpu))
        self.refresh_problems()

    # -- execution role -------------------------------------------------------------------------

    def role_options(self, roles: list[Any]) -> list[tuple[str, Any]]:
        task = self.draft.config.task
        options: list[tuple[str, Any]] = [(f"create {task.execution_role_name}", None)]
        options += [(r.name, r.arn) for r in roles if r.usable_as_execution_role]
        current = task.execution_role_arn
        if current and current not in [v for _, v in options]:  # chosen earlier, or from a file
            options.append((role_name(current), current))
        return options

    def on_discovered(self, event: Discovered) -> None:
        if event.key != ROLES:
            return
        event.stop()
        roles = list(event.value or [])
        self.query_one("#field-task-executionRoleArn", ChoiceField).set_options(self.role_options(roles))
        usable = [r for r in roles if r.usable_as_execution_role]
        if event.error:
            self.role_problem = f"could not list roles ({event.error})"
        elif not usable:
            self.role_problem = "no role here trusts ecs-tasks.amazonaws.com"
        else:
            self.role_problem = ""
        self.show_role_note()

    def show_role_note(self) -> None:
        if self.draft.config.task.execution_role_arn is not None:
            text = "an existing role: ECS pulls the image and writes logs with it"
        elif self.role_problem:
            text = f"{self.role_problem}: one is created at Apply"
        else:
            text = "created at Apply; ECS pulls the image and writes logs with it"
        set_help(self.query_one("#field-task-executionRoleArn", ChoiceField), text)

    # -- preview ------------------------------------------------------------------------------

    def refresh_preview(self) -> None:
        from renderers.refs import Refs
        from renderers.requests import taskdef_json

        config = self.draft.config
        account = self.context.identity.account if self.context.identity is not None else "<ACCOUNT_ID>"
        self.query_one("#preview", CodePreview).show(taskdef_json(config, Refs.offline(config, account)))
