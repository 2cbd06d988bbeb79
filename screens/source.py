"""Step 4: where the pipeline reads taskdef.json and appspec.yaml: a CodeCommit repository and
branch (an existing one, or a new one made at Apply), or a zip file in an S3 bucket.

CodeCommit is not open to every account: AWS closed it to new customers in 2024 (and reopened
it in late 2025), and an account that never used it may be refused with "...not allowed because
there is no existing repository...". When the lookup says so, or fails while the account has no
repository, this step says it plainly and switches to S3 (unless the user chose CodeCommit).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, RadioButton, RadioSet, Select, Static

from bluegreen.aws.preflight import codecommit_closed
from screens.base import StepScreen
from screens.discover import Discovered, fetch
from screens.lookups import Key, Kind
from screens.widgets.build_progress import BuildStatusLine
from screens.widgets.field import ConfigField, FieldChanged
from screens.widgets.notes import revalidate, set_help

REPOSITORIES = Key(Kind.CODECOMMIT_REPOSITORIES)
GROUPS = {"codecommit": ("source.repository", "source.branch"), "s3": ("source.bucket", "source.key")}


def list_repositories(session: Any) -> list[Any]:
    from bluegreen.aws.discovery import codecommit_repositories

    return codecommit_repositories(session)


class SourceScreen(StepScreen):
    TITLE_TEXT = "Source"
    INTRO = ("Where the pipeline reads taskdef.json and appspec.yaml (the files of steps 2 and 3). "
             "bluegreen puts them there at Apply; later commits to them deploy too.")
    PATHS = ("source.",)

    DEFAULT_CSS = """
    SourceScreen RadioSet { width: auto; margin: 0 0 1 0; }
    SourceScreen #cc-status { height: auto; margin: 0 0 1 0; }
    SourceScreen #cc-status.-problem { color: $warning; }
    SourceScreen #s3 { display: none; height: auto; }
    SourceScreen #codecommit { height: auto; }
    SourceScreen.-s3 #s3 { display: block; }
    SourceScreen.-s3 #codecommit, SourceScreen.-s3 #cc-status.-info { display: none; }
    SourceScreen .row { height: auto; }
    SourceScreen .row ConfigField { width: 42; }
    SourceScreen .row ConfigField Input { width: 40; }
    SourceScreen #cc-pick { width: 36; margin: 1 0 0 0; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.repositories: list[Any] = []
        self.known = False  # the repository list arrived

    def body(self) -> ComposeResult:
        s3 = self.draft.config.source.type == "s3"
        with RadioSet(id="source-type", compact=True):
            yield RadioButton("CodeCommit repository", value=not s3, id="use-codecommit")
            yield RadioButton("S3 bucket (a zip of the two files)", value=s3, id="use-s3")
        yield Static("", id="cc-status")
        with Vertical(id="codecommit"):
            with Horizontal(classes="row"):
                yield ConfigField(self.draft, "source.repository", "Repository", "a new or an existing repository")
                yield Select([], prompt="existing repositories", id="cc-pick", compact=True)
            yield ConfigField(self.draft, "source.branch", "Branch")
        with Vertical(id="s3"):
            yield ConfigField(self.draft, "source.bucket", "Bucket",
                              "created at Apply if it does not exist, with versioning on (the pipeline needs it)")
            yield ConfigField(self.draft, "source.key", "Object key (a .zip holding taskdef.json and appspec.yaml)")
        yield BuildStatusLine(self.context)

    def on_mount(self) -> None:
        super().on_mount()
        self.show_group(self.draft.config.source.type)
        if self.context.session is not None or self.context.discovered.knows(REPOSITORIES):
            fetch(self, self.context, REPOSITORIES, list_repositories, self.context.session)
        else:
            self.status("Connect a target in step 0 to list the CodeCommit repositories.", problem=False)
        self.show_repo_note()
        self.call_after_refresh(self.query_one("#source-type", RadioSet).focus)  # the first choice

    # -- source type ---------------------------------------------------------------------

    @on(RadioSet.Changed, "#source-type")
    def type_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        kind = "s3" if event.pressed.id == "use-s3" else "codecommit"
        if kind != self.draft.config.source.type:  # not an echo of switch_to()
            self.context.source_type_chosen = True
            self.switch_to(kind)

    def switch_to(self, kind: str) -> None:
        # Refused values of the hidden group would block every later change: drop them.
        for path in GROUPS["s3" if kind == "codecommit" else "codecommit"]:
            if self.draft.forget(path):
                self.set_field(path, str(self.draft.value(path)))
        self.draft.set("source.type", kind)
        self.show_group(kind)
        button = self.query_one("#use-s3" if kind == "s3" else "#use-codecommit", RadioButton)
        if not button.value:
            button.value = True
        self.refresh_problems()

    def show_group(self, kind: str) -> None:
        """Show the fields of one source type; the other group's editors are disabled too, so
        that Enter in the last shown field goes Next rather than into a hidden field."""
        self.set_class(kind == "s3", "-s3")
        for field in self.query(ConfigField):
            field.query_one("#editor").disabled = field.path not in GROUPS[kind]

    # -- CodeCommit repositories ----------------------------------------------------------

    def on_discovered(self, event: Discovered) -> None:
        if event.key != REPOSITORIES:
            return
        event.stop()
        self.repositories = list(event.value or [])
        self.known = event.value is not None
        pick = self.query_one("#cc-pick", Select)
        pick.set_options([(r.name, r.name) for r in self.repositories])
        pick.disabled = not self.repositories
        if not self.repositories:
            pick.prompt = "no repositories yet"
        current = self.draft.config.source.repository
        if any(r.name == current for r in self.repositories):
            pick.value = current
        if event.error:
            if codecommit_closed(event.error):
                self.offer_s3("This account cannot use CodeCommit: AWS refuses new repositories to accounts "
                              "that never had one. The S3 source works everywhere.")
            else:
                self.offer_s3(f"Could not list CodeCommit repositories ({event.error}). If this account "
                              "cannot use CodeCommit, the S3 source works everywhere.")
        elif not self.repositories:
            self.status(f"No CodeCommit repository yet: {current} is created at Apply. If AWS refuses it "
                        "(accounts that never used CodeCommit may be), choose S3.", problem=False)
        else:
            count = len(self.repositories)
            self.status(f"{count} existing repositor{'y' if count == 1 else 'ies'}: pick one, or type a new "
                        "name.", problem=False)
        self.show_repo_note()

    def offer_s3(self, text: str) -> None:
        self.status(text, problem=True)
        if not self.context.source_type_chosen and self.draft.config.source.type != "s3":
            self.switch_to("s3")

    def status(self, text: str, *, problem: bool) -> None:
        status = self.query_one("#cc-status", Static)
        status.update(text)
        status.set_class(problem, "-problem")
        status.set_class(not problem, "-info")

    @on(Select.Changed, "#cc-pick")
    def repository_picked(self, event: Select.Changed) -> None:
        event.stop()
        if not isinstance(event.value, str) or event.value == self.draft.config.source.repository:
            return
        self.set_field("source.repository", event.value)
        branch = next((r.default_branch for r in self.repositories if r.name == event.value), "")
        if branch:
            self.set_field("source.branch", branch)

    def set_field(self, path: str, value: str) -> None:
        field = self.query_one("#field-" + path.replace(".", "-"), ConfigField)
        field.query_one("#editor", Input).value = value

    def show_repo_note(self) -> None:
        name = self.draft.config.source.repository
        repo = next((r for r in self.repositories if r.name == name), None)
        if repo is not None:
            text = f"{name} exists" + (f" (default branch {repo.default_branch})" if repo.default_branch
                                       else " (empty: bluegreen makes the first commit)")
        elif self.known:
            text = f"{name} is new: created at Apply"
        else:
            text = "a new or an existing repository"
        set_help(self.query_one("#field-source-repository", ConfigField), text)

    def on_field_changed(self, event: FieldChanged) -> None:
        super().on_field_changed(event)
        revalidate(self)
        if event.path == "source.repository":
            name = self.draft.config.source.repository
            pick = self.query_one("#cc-pick", Select)
            if any(r.name == name for r in self.repositories) and pick.value != name:
                pick.value = name
            self.show_repo_note()

    # -- next ------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Only the fields of the chosen source type count."""
        shown = GROUPS[self.draft.config.source.type]
        out = [f"{f.label}: fix the value above" for f in self.query(ConfigField) if f.path in shown and not f.valid]
        if not out:
            out = [str(p) for p in self.draft.problems if p.path.startswith("source.")][:1]
        return out
