"""Step 6: the ECS cluster (an existing one, or a new one by name) and the service: its name,
how many tasks it keeps running, and whether the tasks get a public IP.

Clusters come from discovery; picking one writes its name to `ecs.cluster` (the plan then
finds it and leaves it alone), "new" shows the name field (derived from the stack name).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Label, Select, Static

from bluegreen.aws import discovery
from bluegreen.aws.discovery_records import Cluster
from bluegreen.model.checks import auto_subnets_public, public_ip_problems
from screens.base import StepScreen
from screens.discover import Discovered, fetch
from screens.lookups import Key, Kind
from screens.widgets.field import ConfigField, FieldChanged, ToggleField, as_int

NEW = ""  # the cluster picker's value for "a new cluster"
PUBLIC_IP_HELP = ("Tasks in public subnets need a public IP to pull the image from ECR: their route to "
                  "the internet is the internet gateway, which only carries traffic of public IPs. "
                  "Tasks in private subnets pull through a NAT gateway or VPC endpoints instead.")


class ClusterScreen(StepScreen):
    TITLE_TEXT = "Cluster and service"
    INTRO = ("The ECS cluster runs the service; the service keeps the tasks running behind the load "
             "balancer, on Fargate, with CodeDeploy in charge of its deployments.")
    PATHS = ("ecs", "network.assignPublicIp")

    DEFAULT_CSS = """
    ClusterScreen #cluster-pick { width: 60; margin: 0 0 1 0; background: $boost; }
    ClusterScreen .hint { color: $text-muted; margin: 0 0 1 0; height: auto; }
    ClusterScreen #field-ecs-cluster.-existing { display: none; }
    ClusterScreen #ip-note { margin: 0 0 1 0; height: auto; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.clusters: list[Cluster] | None = None
        self.typed_name = ""  # the new cluster's name, kept while an existing one is picked

    def body(self) -> ComposeResult:
        yield Label("Cluster", classes="field-label")
        yield Select([("a new cluster, named below", NEW)], value=NEW, allow_blank=False, compact=True,
                     id="cluster-pick")
        yield ConfigField(self.draft, "ecs.cluster", "New cluster name",
                          "created empty (Fargate needs no instances); derived from the stack name")
        yield Static("", id="cluster-status", classes="hint")
        yield ConfigField(self.draft, "ecs.service", "Service name",
                          "the ECS service, created with the CODE_DEPLOY deployment controller")
        yield ConfigField(self.draft, "ecs.desiredCount", "Desired count",
                          "tasks kept running (0-5000); during a deployment blue and green each run this many",
                          convert=as_int)
        yield ToggleField(self.draft, "network.assignPublicIp", "Assign a public IP to the tasks", PUBLIC_IP_HELP)
        yield Static("", id="ip-note")

    def on_mount(self) -> None:
        super().on_mount()
        self.typed_name = str(self.draft.value("ecs.cluster"))
        self.show_public_ip_note()
        key = Key(Kind.CLUSTERS)
        if self.context.session is None and not self.context.discovered.knows(key):
            self.query_one("#cluster-status", Static).update("[yellow]not connected: existing clusters "
                                                             "can't be listed[/yellow]")
            return
        self.query_one("#cluster-status", Static).update("[yellow]⠿ looking up clusters…[/yellow]")
        fetch(self, self.context, key, discovery.clusters, self.context.session)

    # -- clusters ------------------------------------------------------------------

    def on_discovered(self, event: Discovered) -> None:
        status = self.query_one("#cluster-status", Static)
        if event.error:
            status.update(f"[red]✗ {event.error}[/red]")
            return
        self.clusters = [c for c in event.value if c.status == "ACTIVE"]
        pick = self.query_one("#cluster-pick", Select)
        options = [("a new cluster, named below", NEW)]
        options += [(f"{c.name}  ({c.active_services} services)", c.name) for c in self.clusters]
        current = self.draft.config.ecs.cluster
        with pick.prevent(Select.Changed):  # showing the draft's choice is not a new choice
            pick.set_options(options)
            pick.value = current if current in self.names() else NEW
            pick.mutate_reactive(Select.value)  # type: ignore[misc]  # same value: refresh the label anyway
        self.query_one("#field-ecs-cluster").set_class(current in self.names(), "-existing")
        self.show_cluster_status()

    def names(self) -> list[str]:
        return [c.name for c in self.clusters or []]

    @on(Select.Changed, "#cluster-pick")
    def cluster_picked(self, event: Select.Changed) -> None:
        event.stop()
        field = self.query_one("#field-ecs-cluster", ConfigField)
        editor = field.query_one("#editor")
        name = NEW if event.value in (NEW, Select.NULL) else str(event.value)
        field.set_class(name != NEW, "-existing")
        if name == NEW:
            if self.draft.config.ecs.cluster in self.names():
                # back to "new": the name typed before (or derived), not the picked cluster's
                restored = self.typed_name if self.typed_name not in self.names() else ""
                editor.value = restored  # type: ignore[attr-defined]
                field.apply(restored)
        else:
            if self.draft.config.ecs.cluster not in self.names():
                self.typed_name = self.draft.config.ecs.cluster
            editor.value = name  # type: ignore[attr-defined]
            field.apply(name)
        self.show_cluster_status()

    def show_cluster_status(self) -> None:
        status = self.query_one("#cluster-status", Static)
        if self.clusters is None:
            return
        name = self.draft.config.ecs.cluster
        cluster = next((c for c in self.clusters if c.name == name), None)
        if cluster is not None:
            status.update(f"[green]✓ existing cluster {name}[/green] [dim]({cluster.active_services} services "
                          "running): the service is added to it, nothing else changes[/dim]")
        elif self.clusters:
            names = ", ".join(c.name for c in self.clusters[:5]) + (", …" if len(self.clusters) > 5 else "")
            status.update(f"[dim]a new cluster {name} will be created (existing here: {names}; pick one above "
                          "to use it instead)[/dim]")
        else:
            status.update(f"[dim]no cluster in this region yet; {name} will be created[/dim]")

    # -- public IP -----------------------------------------------------------------

    def subnets_public(self) -> bool | None:
        """Whether the tasks' subnets are public: True for 'auto' (public ones by definition),
        else from the network step's discovery; None when unknown."""
        network = self.draft.config.network
        if not network.subnets:
            return auto_subnets_public(self.draft.config)
        wanted = {s.id for s in network.subnets}
        for _, value in self.context.discovered.of_kind(Kind.SUBNETS):
            if value:
                found = [s for s in value if s.id in wanted]
                if len(found) == len(wanted):
                    return all(s.public for s in found)
        return None

    def show_public_ip_note(self) -> None:
        note = self.query_one("#ip-note", Static)
        problems = public_ip_problems(self.draft.config, self.subnets_public())
        if self.draft.config.network.assign_public_ip:
            note.update("")
        elif problems:
            note.update(f"[yellow]⚠ {problems[0].rule}.[/yellow]")
        else:
            note.update("[dim]without a public IP the tasks need a NAT gateway or VPC endpoints (ecr.api, "
                        "ecr.dkr, S3, logs) to pull their image.[/dim]")

    def on_field_changed(self, event: FieldChanged) -> None:
        super().on_field_changed(event)
        if event.path == "network.assignPublicIp":
            self.show_public_ip_note()
        elif event.path == "ecs.cluster":
            if event.valid and self.draft.config.ecs.cluster not in self.names():
                self.typed_name = self.draft.config.ecs.cluster
            self.show_cluster_status()
