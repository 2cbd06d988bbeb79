"""The keys, and what the wizard (or the monitor) does, on one screen (f1)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# bluegreen keys

| key | does |
|---|---|
| **tab** / **shift+tab** | next / previous field |
| **enter** | next field; in the last field, the next step |
| **ctrl+n** | next step (when every field of this step is valid) |
| **escape** | previous step (what you typed is kept) |
| **ctrl+e** | export: save the config as YAML, write every artifact to a folder |
| **ctrl+p** | command palette (export, help, theme...) |
| **f1** | this help |
| **ctrl+q** | quit (asks first when you have unsaved choices) |

Every field is checked as you type, with the same rules as `bluegreen validate`;
the rule and a fix appear under the field. Nothing is created in AWS before the
**Review** step's Apply, except the ECR repository that the Image step's Build and push
needs (tagged with the stack, as Apply makes it). The exported file reproduces the stack
headlessly:
`bluegreen apply -f bluegreen.yaml`.

On the first screen, once connected: the account's bluegreen stacks are listed (**enter**
watches one, **c** checks it), and the name of any existing pipeline can be typed to
**Check it** (the doctor: every known mistake of a blue/green setup, with its fix; on the
doctor's screen **↑/↓** move between findings, **c** copies the fix, **r** checks again) or to
**Adopt** it (import it as a `bluegreen.yaml`, tag what the stack takes over, then watch it).
Both are `bluegreen doctor --pipeline NAME` and `bluegreen import --pipeline NAME -o F`.
"""


MONITOR_KEYS: tuple[tuple[str, str, str, str], ...] = (  # key, what it does, AWS call, command line
    ("s", "start a new pipeline execution (the latest source revisions)", "StartPipelineExecution",
     "bluegreen deploy start"),
    ("c", "continue a deployment waiting for reroute: shift production traffic now",
     "ContinueDeployment READY_WAIT", "bluegreen deploy continue"),
    ("t", "end the termination wait now: remove the original task set", "ContinueDeployment TERMINATION_WAIT",
     "bluegreen deploy end-wait"),
    ("x", "stop the deployment; traffic stays where it is", "StopDeployment", "bluegreen deploy stop"),
    ("r", "stop the deployment and roll back to the original task set", "StopDeployment autoRollbackEnabled",
     "bluegreen deploy rollback"),
    ("y", "retry the failed actions of the failed stage", "RetryStageExecution FAILED_ACTIONS",
     "bluegreen deploy retry"),
    ("p", "build and push a new image (it starts the pipeline)", "docker build, ECR push", "bluegreen push"),
    ("enter", "show the stages and deployment of the execution under the cursor", "", ""),
    ("n", "back to the newest execution", "", ""),
    ("escape", "close the monitor", "", ""),
)

MONITOR_HELP = "\n".join([
    "# bluegreen monitor keys", "",
    "| key | does | AWS call | command line |", "|---|---|---|---|",
    *(f"| **{key}** | {does} | {call} | {f'`{command}`' if command else ''} |"
      for key, does, call, command in MONITOR_KEYS),
    "",
    "Every control asks first and says what will happen; one that the deployment's state does not",
    "allow says why. The line above the footer lists the keys that work now.",
    "",
    "The panel polls CodePipeline, CodeDeploy, ELBv2, ECS and CloudWatch Logs within a call budget:",
    "slowly while nothing runs, faster while traffic shifts. The top line says the pace; when AWS",
    "throttles, polling slows down and a quiet note says so. `bluegreen status -f F --json` prints",
    "the same facts once.",
])


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 110; max-width: 95%; height: 80%; border: thick $accent; background: $panel; }
    """

    def __init__(self, text: str = HELP) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(self.text)

    def action_close(self) -> None:
        self.dismiss(None)
