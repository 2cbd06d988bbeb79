"""Step 1: the image to deploy, and the ECR repository the pipeline watches.

One table lists where an image can come from: Dockerfiles under the working directory (with
the port they EXPOSE), images in the local Docker engine, and images already in ECR. Choosing a
Dockerfile fills Dockerfile/Context and remembers its port for the Task step; choosing an ECR
image fills repository and tag (nothing to build). "Build and push" runs in the background
(`bluegreen.images.job`, shown by `screens.widgets.build_progress`) and keeps going while the
user moves on; it is optional, since Apply builds and pushes a missing image too.

Nothing in AWS is changed here, except that Build and push has the engine create the ECR
repository when it does not exist yet (it has to exist to receive the push); the button's
help says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Select, Static

from screens.base import StepScreen
from screens.discover import Discovered, fetch
from screens.lookups import Key, Kind
from screens.widgets.build_progress import BuildProgress, BuildUpdated, size_text, watch_job
from screens.widgets.field import ConfigField
from screens.widgets.notes import revalidate, set_help, show

DOCKERFILES = Key(Kind.DOCKERFILES)
LOCAL_IMAGES = Key(Kind.LOCAL_IMAGES)
ECR_REPOSITORIES = Key(Kind.ECR_REPOSITORIES)


def ecr_images(repository: str) -> Key:
    return Key(Kind.ECR_IMAGES, repository)


def find_here() -> list[Any]:
    from bluegreen.images.dockerfiles import find_dockerfiles

    return find_dockerfiles(Path.cwd())


def list_local_images() -> list[Any]:
    from bluegreen.aws.discovery import local_images

    return local_images()


def list_ecr_repositories(session: Any) -> list[Any]:
    from bluegreen.aws.discovery import ecr_repositories

    return ecr_repositories(session)


def list_ecr_images(session: Any, repository: str) -> list[Any]:
    from bluegreen.aws.discovery import ecr_images

    return ecr_images(session, repository)


def ports_text(ports: Any) -> str:
    """"80, 53/udp": TCP is what a load balancer can use, so it goes without saying."""
    return ", ".join(str(p.port) if p.protocol == "tcp" else str(p) for p in ports) or "—"


class ImageScreen(StepScreen):
    TITLE_TEXT = "Image"
    INTRO = ("What to deploy: a Dockerfile here (built and pushed for you), an image in your local "
             "Docker engine, or one already in ECR. Pick a row with Enter.")
    PATHS = ("image.",)

    DEFAULT_CSS = """
    ImageScreen #sources { height: auto; max-height: 8; margin: 0 0 1 0; }
    ImageScreen #sources-note { color: $text-muted; height: auto; }
    ImageScreen #choice-note { height: auto; margin: 0 0 1 0; }
    ImageScreen .row { height: auto; }
    ImageScreen .row ConfigField { width: 1fr; margin: 0 2 1 0; }
    ImageScreen .row ConfigField Input { width: 1fr; }
    ImageScreen #repo-pick { width: 36; margin: 1 0 0 0; }
    ImageScreen #build-row { height: auto; }
    ImageScreen #build-help { color: $text-muted; width: 1fr; padding: 0 0 0 2; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.job = context.image_job
        self.facts = context.image
        self.dockerfiles: list[Any] = []
        self.local: list[Any] = []
        self.repositories: list[Any] = []
        self.ecr: dict[str, list[Any]] = {}
        self.notes: dict[str, str] = {}
        self.rows: dict[str, Any] = {}  # row key -> record

    @property
    def base_dir(self) -> Path:
        """Where image.context is relative to: the config file's folder, else the working directory."""
        return self.context.base_dir

    def body(self) -> ComposeResult:
        table: DataTable[str] = DataTable(id="sources", cursor_type="row", zebra_stripes=False)
        # fixed widths that fit the 96 columns beside the step list at 120x40 (long cells are cut)
        for label, width in ((" ", 1), ("From", 10), ("Image", 34), ("Port", 14), ("Details", 27)):
            table.add_column(label, width=width)
        yield table
        yield Static("", id="sources-note")
        yield Static("", id="choice-note")
        with Horizontal(classes="row"):
            yield ConfigField(self.draft, "image.repository", "ECR repository (the pipeline watches it)",
                              "a new or an existing repository")
            yield Select([], prompt="existing repositories", id="repo-pick", compact=True)
        with Horizontal(classes="row"):
            yield ConfigField(self.draft, "image.tag", "Tag")
            yield ConfigField(self.draft, "image.dockerfile", "Dockerfile (in the context)")
            yield ConfigField(self.draft, "image.context", "Build context folder")
        with Horizontal(id="build-row"):
            yield Button("Build and push", id="build", compact=True, variant="success")
            yield Static("", id="build-help")
        yield BuildProgress(self.context, id="progress")

    def on_mount(self) -> None:
        super().on_mount()
        # the first choice is where the image comes from (after the frame focused the first field)
        self.call_after_refresh(self.query_one("#sources", DataTable).focus)
        self.unwatch = watch_job(self.job, self)
        fetch(self, self.context, DOCKERFILES, find_here)
        fetch(self, self.context, LOCAL_IMAGES, list_local_images)
        if self.context.session is not None or self.context.discovered.knows(ECR_REPOSITORIES):
            fetch(self, self.context, ECR_REPOSITORIES, list_ecr_repositories, self.context.session)
        else:
            self.notes["ecr"] = "ECR: connect a target in step 0 to list the images already pushed."
        self.show_notes()
        self.show_choice()
        self.show_build_help()
        self.refresh_after_build()

    def on_unmount(self) -> None:
        self.unwatch()

    # -- discovery -----------------------------------------------------------------------

    def on_discovered(self, event: Discovered) -> None:
        if event.key == DOCKERFILES:
            self.dockerfiles = list(event.value or [])
            self.fill_table()
            self.autopick()
            if event.error:
                self.notes["dockerfiles"] = f"Dockerfiles: could not look ({event.error})."
            elif not self.dockerfiles:
                self.notes["dockerfiles"] = (f"No Dockerfile under {Path.cwd().name}/: pick an image, "
                                             "or set the Dockerfile and context below.")
        elif event.key == LOCAL_IMAGES:
            self.local = list(event.value or [])
            if event.error:
                self.notes["local"] = ("No Docker engine reachable, so no local images are listed. That is "
                                       "fine for an image already in ECR; building needs one (start Docker).")
            else:
                self.notes.pop("local", None)
        elif event.key == ECR_REPOSITORIES:
            if event.error:
                self.notes["ecr"] = f"ECR: could not list repositories ({event.error})."
            else:
                self.notes.pop("ecr", None)
                self.repositories = list(event.value or [])
                self.update_repo_pick()
                for repo in self.repositories:
                    fetch(self, self.context, ecr_images(repo.name), list_ecr_images, self.context.session,
                          repo.name)
        elif event.key.kind is Kind.ECR_IMAGES:
            name = event.key.argument
            if event.error:
                self.notes["ecr"] = f"ECR: could not list the images of {name} ({event.error})."
            else:
                self.ecr[name] = list(event.value or [])
        else:
            return
        event.stop()
        self.fill_table()
        self.show_notes()
        self.show_choice()
        self.show_repo_note()
        self.show_build_help()

    def fill_table(self) -> None:
        table = self.query_one("#sources", DataTable)
        cursor = table.cursor_row
        choice = self.facts.choice
        table.clear()
        self.rows.clear()

        def add(key: str, record: Any, *cells: str) -> None:
            self.rows[key] = record
            table.add_row("●" if key == choice else " ", *cells, key=key)

        for df in self.dockerfiles:
            details = df.error or (f"unresolved EXPOSE {' '.join(df.unresolved)}" if df.unresolved else "")
            add(f"dockerfile:{df.path}", df, "Dockerfile", self.relative(df.path), ports_text(df.ports), details)
        for image in self.local:
            more = f" +{len(image.tags) - 1}" if len(image.tags) > 1 else ""
            created = f" · {image.created:%Y-%m-%d}" if image.created else ""
            add(f"local:{image.id}", image, "Local", image.tags[0] + more, ports_text(image.exposed_ports),
                f"{image.id.removeprefix('sha256:')[:12]}{created}")
        for name in sorted(self.ecr):
            for image in self.ecr[name]:
                tag = image.tags[0] if image.tags else "(untagged)"
                pushed = f" · pushed {image.pushed_at:%Y-%m-%d}" if image.pushed_at else ""
                add(f"ecr:{name}@{image.digest}", image, "ECR", f"{name}:{tag}", "—",
                    f"{size_text(image.size_bytes)}{pushed}")
        if self.rows:
            table.move_cursor(row=min(cursor, len(self.rows) - 1))

    def folder_of(self, dockerfile: Path) -> str:
        """The build context a Dockerfile implies, relative to base_dir (as image.context says it)."""
        return os.path.relpath(os.path.abspath(Path(dockerfile).parent), os.path.abspath(self.base_dir))

    def relative(self, path: Path) -> str:
        # As found, symlinks kept (examples/sample-website links into the package): the path
        # the user knows, not where the link points.
        try:
            return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def show_notes(self) -> None:
        text = "\n".join(self.notes[k] for k in ("dockerfiles", "local", "ecr") if k in self.notes)
        show(self.query_one("#sources-note", Static), text)

    # -- choosing a source -----------------------------------------------------------------

    @on(DataTable.RowSelected, "#sources")
    def source_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.choose(str(event.row_key.value))

    def autopick(self) -> None:
        """A first visit with the default Dockerfile settings: take the first Dockerfile found
        (the shallowest), so that accepting the defaults builds something that exists."""
        if self.facts.autopicked or self.facts.choice or self.draft.path is not None:
            return
        self.facts.autopicked = True
        image = self.draft.config.image
        if (image.context, image.dockerfile) == (".", "Dockerfile") and self.dockerfiles:
            self.choose(f"dockerfile:{self.dockerfiles[0].path}")

    def choose(self, key: str) -> None:
        record = self.rows.get(key)
        if record is None:
            return
        self.facts.choice = key
        kind = key.split(":", 1)[0]
        if kind == "dockerfile":
            folder = self.folder_of(record.path)
            self.set_field("image.context", folder)
            self.set_field("image.dockerfile", Path(record.path).name)
            self.remember_port(record.port, self.relative(record.path))
        elif kind == "local":
            port = next((p.port for p in record.exposed_ports if p.protocol == "tcp"), None)
            self.remember_port(port, f"the local image {record.tags[0]}")
            tag = record.tags[0].rpartition(":")[2]
            if "/" not in tag:
                self.set_field("image.tag", tag)
        elif kind == "ecr":
            self.remember_port(None, "")  # ECR does not say what the image exposes
            self.set_field("image.repository", record.repository)
            if record.tags:
                self.set_field("image.tag", record.tags[0])
        self.fill_table()
        self.show_choice()
        self.show_build_help()

    def remember_port(self, port: int | None, where: str) -> None:
        self.facts.exposed_port = port
        self.facts.exposed_from = where if port else None

    def set_field(self, path: str, value: str) -> None:
        """Into the draft at once (the row's values go together), then into the field's Input,
        which checks it again and shows any problem."""
        self.draft.set(path, value)
        field = self.query_one("#field-" + path.replace(".", "-"), ConfigField)
        field.query_one("#editor", Input).value = value

    def still_chosen(self) -> bool:
        """Whether the fields still say what the chosen row said (the user may have edited them)."""
        kind, record = self.chosen()
        image = self.draft.config.image
        if kind == "dockerfile":
            folder = self.folder_of(record.path)
            return (os.path.normpath(image.context), image.dockerfile) == (folder, Path(record.path).name)
        if kind == "ecr":
            return image.repository == record.repository and image.tag in record.tags
        return True

    def chosen(self) -> tuple[str, Any]:
        key = self.facts.choice or ""
        return key.split(":", 1)[0], self.rows.get(key)

    def show_choice(self) -> None:
        kind, record = self.chosen()
        note = self.query_one("#choice-note", Static)
        image = self.draft.config.image
        if record is None:
            # warn before Apply finds out: nothing to build here, unless the image is in ECR already
            missing = not (self.base_dir / image.context / image.dockerfile).is_file()
            in_ecr = any(image.tag in i.tags for i in self.ecr.get(image.repository, ()))
            show(note, f"[yellow]No Dockerfile at {Path(image.context) / image.dockerfile}[/yellow]: pick one above, "
                       "or an image already in ECR" if missing and not in_ecr else "")
        elif kind == "dockerfile":
            port = f"EXPOSE {record.port}: the Task step will use port {record.port}" if record.port else \
                "no EXPOSE port: set the container port in the Task step"
            show(note, f"[green]✓[/green] {self.relative(record.path)} ({port})")
        elif kind == "local":
            show(note, f"[green]✓[/green] local image {record.tags[0]}: Push sends it to the repository below")
        else:
            tag = record.tags[0] if record.tags else record.digest
            show(note, f"[green]✓[/green] {record.repository}:{tag} is already in ECR: nothing to build")

    # -- repository ---------------------------------------------------------------------------

    def update_repo_pick(self) -> None:
        pick = self.query_one("#repo-pick", Select)
        pick.set_options([(r.name, r.name) for r in self.repositories])
        pick.disabled = not self.repositories
        if not self.repositories:
            pick.prompt = "no repositories yet"
        current = self.draft.config.image.repository
        if any(r.name == current for r in self.repositories):
            pick.value = current

    @on(Select.Changed, "#repo-pick")
    def repo_picked(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.draft.config.image.repository:
            self.set_field("image.repository", event.value)

    def existing_repository(self) -> bool | None:
        """Whether image.repository exists in ECR (None: not known yet)."""
        if not self.context.discovered.knows(ECR_REPOSITORIES):
            return None
        return any(r.name == self.draft.config.image.repository for r in self.repositories)

    def show_repo_note(self) -> None:
        exists = self.existing_repository()
        name = self.draft.config.image.repository
        text = {
            True: f"{name} exists in ECR",
            False: f"{name} is new: created when you press Build and push, or at Apply",
            None: "a new or an existing repository",
        }[exists]
        set_help(self.query_one("#field-image-repository", ConfigField), text)

    def on_field_changed(self, event: Any) -> None:
        super().on_field_changed(event)
        revalidate(self)
        if self.chosen()[1] is not None and not self.still_chosen():
            self.facts.choice = None
            self.remember_port(None, "")
            self.fill_table()
        self.show_choice()
        if event.path == "image.repository":
            pick = self.query_one("#repo-pick", Select)
            name = self.draft.config.image.repository
            if any(r.name == name for r in self.repositories) and pick.value != name:
                pick.value = name
            self.show_repo_note()
        self.show_build_help()

    # -- build and push -------------------------------------------------------------------------

    def show_build_help(self) -> None:
        button = self.query_one("#build", Button)
        help_ = self.query_one("#build-help", Static)
        kind, _ = self.chosen()
        button.label = "Push local image" if kind == "local" else "Build and push"
        name = self.draft.config.image.repository
        if self.context.session is None:
            button.disabled = True
            help_.update("connect a target in step 0 first")
            return
        button.disabled = False  # not while running either: a disabled button drops the keyboard focus
        if self.job.running:
            help_.update("[b]running in the background[/b]: you can go on to the next steps")
            return
        tag = self.draft.config.image.tag
        create = {True: f"Pushes {name}:{tag}. ", False: f"Creates the ECR repository {name} first. ",
                  None: f"Creates the ECR repository {name} first if it does not exist. "}[self.existing_repository()]
        help_.update(f"{create}Optional: Apply builds and pushes a missing image too.")

    @on(Button.Pressed, "#build")
    def build_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        problems = [f.label for f in self.query(ConfigField) if not f.valid]
        if problems:
            self.query_one("#problems", Static).update(f"Can't build yet: fix {', '.join(problems)} above")
            return
        if self.context.session is None or self.job.running:
            return
        config = self.draft.config
        image = config.image
        kind, record = self.chosen()
        if kind == "local" and record is not None:
            what = f"{record.tags[0]} → {image.repository}:{image.tag}"
            image_id = record.id
        else:
            dockerfile = Path(image.context) / image.dockerfile
            what = f"{image.repository}:{image.tag} from {dockerfile}"
            image_id = None
        from bluegreen.engine.stack import Stack

        stack = Stack(self.context.session, config, base_dir=self.base_dir)
        # the repository is made by the engine's node, tagged as Apply makes it
        self.job.start(self.context.session, config, self.base_dir, what=what, image_id=image_id,
                       ensure_repository=stack.ensure_repository)
        self.show_build_help()

    def on_build_updated(self, message: BuildUpdated) -> None:
        # The progress widget draws the details; here: the button, and fresh lists when done.
        message.stop()
        self.show_build_help()
        self.refresh_after_build()

    def refresh_after_build(self) -> None:
        """A finished build changed ECR (the push, or the repository made before a failed build)
        and the local images: list them again, once per build (it may have ended on another step)."""
        snap = self.job.snapshot(len(self.job.events))
        finished = snap.phase in ("done", "failed")  # (cancelled: the App is closing)
        if not finished or self.facts.refreshed_for == snap.generation:
            return
        self.facts.refreshed_for = snap.generation
        fetch(self, self.context, LOCAL_IMAGES, list_local_images, refresh=True)
        if self.context.session is not None:
            fetch(self, self.context, ECR_REPOSITORIES, list_ecr_repositories, self.context.session, refresh=True)
            for name in {*(r.name for r in self.repositories), self.draft.config.image.repository}:
                fetch(self, self.context, ecr_images(name), list_ecr_images, self.context.session, name,
                      refresh=True)
