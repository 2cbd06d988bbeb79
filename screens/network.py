"""Step 5: the VPC, the subnets the load balancer and the tasks use, their security groups, and
the load balancer itself (name, scheme, listener ports, target groups, health check).

Subnets come from discovery, each marked PUBLIC or private by the route-table rule. The VPC's
public subnets, one per availability zone, are ticked to begin with; while the ticked set is
exactly that default, `network.subnets` stays empty ("auto", chosen again at plan time) so an
exported file works in another account. An internet-facing load balancer needs at least two
public subnets in distinct zones: the check under the table says what is wrong, and Next waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Select, Static

from bluegreen.aws import discovery
from bluegreen.aws.discovery_records import SecurityGroup, Subnet, Vpc
from bluegreen.aws.preflight import subnet_problems
from bluegreen.model.configfile import Problem
from screens.base import StepScreen
from screens.discover import Discovered, fetch
from screens.lookups import Key, Kind
from screens.widgets.field import ChoiceField, ConfigField, FieldChanged, as_int
from screens.widgets.subnet_table import SubnetTable


def zones_text(zones: Sequence[str]) -> str:
    """us-east-1a, us-east-1b, us-east-1c -> "us-east-1a/b/c" (zones of one region share all but
    the last letter)."""
    if not zones:
        return ""
    prefixes = {z[:-1] for z in zones}
    if len(prefixes) == 1:
        return f"{zones[0]}" + "".join(f"/{z[-1]}" for z in zones[1:])
    return ", ".join(zones)


def vpc_label(vpc: Vpc) -> str:
    extra = " · default VPC" if vpc.is_default else ""
    name = f" · {vpc.name}" if vpc.name else ""
    return f"{vpc.id}  {vpc.cidr}{extra}{name}"


class GroupField(ChoiceField):
    """Security groups: "create one" (the empty list) or an existing group of the VPC.

    The Select holds text ("" or "sg-1,sg-2"); the config holds a list."""

    def __init__(self, draft: Any, path: str, label: str, create_label: str, help: str = "") -> None:
        self.create_label = create_label
        super().__init__(draft, path, label, [], help)
        self.options = self.options_for([])
        self.convert = lambda text: [g for g in str(text).split(",") if g]

    def current(self) -> str:
        return ",".join(self.draft.value(self.path) or [])

    def options_for(self, groups: Sequence[SecurityGroup]) -> list[tuple[str, str]]:
        options = [(self.create_label, "")]
        options += [(f"{g.name} ({g.id})", g.id) for g in groups]
        current = ",".join(self.draft.value(self.path) or [])
        if current and current not in [v for _, v in options]:
            options.append((f"{current} (from the config)", current))
        return options

    def editor(self) -> ComposeResult:
        yield Select(self.options, value=self.current(), allow_blank=False, compact=True, id="editor")

    def set_groups(self, groups: Sequence[SecurityGroup]) -> None:
        self.options = self.options_for(groups)
        select = self.query_one("#editor", Select)
        current = self.current()
        select.set_options(self.options)
        select.value = current
        select.mutate_reactive(Select.value)  # type: ignore[misc]  # same value: refresh the label


class NetworkScreen(StepScreen):
    TITLE_TEXT = "Network and load balancer"
    INTRO = ("Where the load balancer and the tasks run: a VPC, two or more subnets in different "
             "availability zones, and security groups. Then the load balancer's listeners and target groups.")
    PATHS = ("network.vpc", "network.subnets", "network.albSecurityGroups", "network.taskSecurityGroups",
             "loadBalancer")

    DEFAULT_CSS = """
    NetworkScreen .hint { color: $text-muted; }
    NetworkScreen #subnets { margin: 0 0 0 0; }
    NetworkScreen #check-row { height: auto; margin: 0 0 1 0; }
    NetworkScreen #subnet-check { width: 1fr; height: auto; }
    NetworkScreen #subnets-default { margin: 0 0 0 2; }
    NetworkScreen .pair { height: auto; }
    NetworkScreen .pair ConfigField { width: 1fr; }
    NetworkScreen .pair ConfigField Input, NetworkScreen .pair ConfigField Select { width: 1fr; margin: 0 2 0 0; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.vpcs: list[Vpc] | None = None
        self.subnets: list[Subnet] | None = None  # of the shown VPC, once discovered
        self.shown_vpc: str | None = None  # the VPC id whose subnets the table shows (or is fetching)
        self.lookup_error = ""

    # -- layout --------------------------------------------------------------------

    def body(self) -> ComposeResult:
        stack = self.draft.config.name
        yield ChoiceField(self.draft, "network.vpc", "VPC", self.vpc_options(), id="field-vpc")
        yield Static("", id="vpc-status", classes="hint")
        yield Static("Subnets  [dim](space or enter ticks / unticks the highlighted row)[/dim]",
                     classes="field-label")
        yield SubnetTable(id="subnets")
        with Horizontal(id="check-row"):
            yield Static("", id="subnet-check")
            yield Button("Default choice", id="subnets-default", compact=True,
                         tooltip="tick the VPC's public subnets, one per zone")
        with Horizontal(classes="pair"):
            yield GroupField(self.draft, "network.albSecurityGroups", "Load balancer security group",
                             f"create {stack}-alb", "a new one lets HTTP in on both listener ports")
            yield GroupField(self.draft, "network.taskSecurityGroups", "Task security group",
                             f"create {stack}-task", "a new one lets only the load balancer in")
        yield ConfigField(self.draft, "loadBalancer.name", "Load balancer name",
                          "1-32 letters, digits and hyphens; derived from the stack name when left as is")
        yield ChoiceField(self.draft, "loadBalancer.scheme", "Scheme", [
            ("internet-facing (from the internet; public subnets)", "internet-facing"),
            ("internal (only from inside the VPC)", "internal")])
        with Horizontal(classes="pair"):
            yield ConfigField(self.draft, "loadBalancer.productionPort", "Production port",
                              "where users' traffic arrives", convert=as_int)
            yield ConfigField(self.draft, "loadBalancer.testPort", "Test port",
                              "reaches the green tasks before the switch", convert=as_int)
        with Horizontal(classes="pair"):
            yield ConfigField(self.draft, "loadBalancer.blueTargetGroup", "Blue target group",
                              "serves production first")
            yield ConfigField(self.draft, "loadBalancer.greenTargetGroup", "Green target group",
                              "receives the new version")
        yield ConfigField(self.draft, "loadBalancer.healthCheckPath", "Health check path",
                          "the load balancer GETs it on each task; a task answering 200 is healthy")

    def vpc_options(self) -> list[tuple[str, str]]:
        current = str(self.draft.value("network.vpc"))
        if self.vpcs is None:
            label = "the account's default VPC" if current == "default" else current
            return [(label, current)]
        options = [(vpc_label(v), "default" if v.is_default else v.id) for v in self.vpcs]
        if current not in [value for _, value in options]:
            label = ("default VPC (this account has none: choose another)" if current == "default"
                     else f"{current} (from the config, not found)")
            options.append((label, current))
        return options

    # -- discovery -----------------------------------------------------------------

    def on_mount(self) -> None:
        super().on_mount()
        self.lookup(Key(Kind.VPCS), discovery.vpcs)

    def lookup(self, key: Key, function: Any, *args: Any) -> None:
        if self.context.session is None and not self.context.discovered.knows(key):
            self.lookup_error = "not connected to a target: subnets can't be listed (they stay 'auto')"
            self.query_one("#vpc-status", Static).update(f"[yellow]{self.lookup_error}[/yellow]")
            return
        fetch(self, self.context, key, function, self.context.session, *args)

    def vpc_id(self) -> str | None:
        """The chosen VPC's id ("default" resolved), None while unknown."""
        chosen = self.draft.config.network.vpc
        if chosen != "default":
            return chosen
        default = next((v for v in self.vpcs or [] if v.is_default), None)
        return default.id if default else None

    def on_discovered(self, event: Discovered) -> None:
        status = self.query_one("#vpc-status", Static)
        if event.error:
            if event.key.kind is not Kind.SECURITY_GROUPS:
                self.lookup_error = event.error  # nothing to check the subnets against
            status.update(f"[red]✗ {event.error}[/red]")
            return
        if event.key == Key(Kind.VPCS):
            self.vpcs = list(event.value)
            current = str(self.draft.value("network.vpc"))
            default = next((v for v in self.vpcs if v.is_default), None)
            if default is not None and current == default.id:  # the default VPC named by its id
                self.draft.set("network.vpc", "default")
            field = self.query_one("#field-vpc", ChoiceField)
            field.set_options(self.vpc_options())
            # ChoiceField.set_options leaves the old label when the value did not change
            field.query_one("#editor", Select).mutate_reactive(Select.value)  # type: ignore[misc]
            self.show_vpc()
        elif event.key == Key(Kind.SUBNETS, self.shown_vpc or ""):
            self.show_subnets(list(event.value))
        elif event.key == Key(Kind.SECURITY_GROUPS, self.shown_vpc or ""):
            for field in self.query(GroupField):
                field.set_groups(event.value)

    def show_vpc(self) -> None:
        """Fetch (or recall) the subnets and security groups of the chosen VPC."""
        vpc_id = self.vpc_id()
        status = self.query_one("#vpc-status", Static)
        if vpc_id is None:
            if self.vpcs is not None:
                status.update("[red]this account has no default VPC: choose one above[/red]")
            return
        if vpc_id == self.shown_vpc:
            return
        self.shown_vpc, self.subnets = vpc_id, None
        status.update("[yellow]⠿ looking up subnets and route tables…[/yellow]")
        self.lookup(Key(Kind.SUBNETS, vpc_id), discovery.subnets, vpc_id)
        self.lookup(Key(Kind.SECURITY_GROUPS, vpc_id), discovery.security_groups, vpc_id)

    # -- subnets -------------------------------------------------------------------

    def default_choice(self) -> list[str]:
        return [s.id for s in discovery.public_subnets_one_per_az(self.subnets or [], self.shown_vpc)]

    def show_subnets(self, subnets: list[Subnet]) -> None:
        self.subnets = subnets
        known = {s.id for s in subnets}
        remembered = self.context.subnet_choice
        in_config = [s.id for s in self.draft.config.network.subnets]
        note = ""
        if remembered and remembered[0] == self.shown_vpc:
            ticked = [i for i in remembered[1] if i in known]
        elif in_config:
            ticked = [i for i in in_config if i in known]
            gone = [i for i in in_config if i not in known]
            if gone:
                note = f"  [yellow]{', '.join(gone)} (from the config) not found in {self.shown_vpc}[/yellow]"
        else:
            ticked = self.default_choice()
        public = sum(s.public for s in subnets)
        zones = len({s.az for s in subnets if s.public})
        if zones < 2:
            note += (f"\n[yellow]this VPC has public subnets in {zones} zone{'s' * (zones != 1)}: an "
                     "internet-facing load balancer needs 2. Choose another VPC, or make the scheme "
                     "internal[/yellow]")
        self.query_one("#vpc-status", Static).update(
            f"{len(subnets)} subnets: {public} PUBLIC (their route table sends 0.0.0.0/0 to an internet "
            f"gateway), {len(subnets) - public} private{note}")
        self.query_one(SubnetTable).show(subnets, ticked)
        self.subnets_changed()

    def on_subnet_table_toggled(self, event: SubnetTable.Toggled) -> None:
        self.subnets_changed()

    @on(Button.Pressed, "#subnets-default")
    def reset_subnets(self, event: Button.Pressed) -> None:
        event.stop()
        if self.subnets is not None:
            self.query_one(SubnetTable).select(self.default_choice())
            self.subnets_changed()

    def chosen(self) -> list[Subnet]:
        ticked = set(self.query_one(SubnetTable).selection)
        return [s for s in self.subnets or [] if s.id in ticked]

    def subnet_problems(self) -> list[Problem]:
        return subnet_problems(self.chosen(), self.draft.config.load_balancer.scheme)

    def subnets_changed(self) -> None:
        """Check the ticked subnets; write them to the draft when they hold (nothing when they
        are the default choice, so the file stays portable)."""
        chosen = self.chosen()
        self.context.subnet_choice = (self.shown_vpc or "", tuple(s.id for s in chosen))
        problems = self.subnet_problems()
        check = self.query_one("#subnet-check", Static)
        if problems:
            check.update("\n".join(f"[red]✗ {p.rule}. Fix: {p.fix}[/red]" for p in problems))
            return
        kind = "public subnets" if all(s.public for s in chosen) else "subnets"
        good = f"[green]✓ {len(chosen)} {kind} in {zones_text([s.az for s in chosen])}[/green]"
        if sorted(s.id for s in chosen) == sorted(self.default_choice()):
            self.draft.set("network.subnets", [])
            check.update(f"{good}  [dim](the default: saved as 'auto')[/dim]")
        else:
            self.draft.set("network.subnets", [{"id": s.id, "az": s.az} for s in chosen])
            check.update(f"{good}  [dim]written to the config by id[/dim]")
        self.refresh_problems()

    # -- changes and Next -------------------------------------------------------------

    def on_field_changed(self, event: FieldChanged) -> None:
        super().on_field_changed(event)
        if event.path == "network.vpc" and event.valid and self.vpcs is not None:
            if self.vpc_id() != self.shown_vpc:
                # another VPC: its own subnets and groups; the old choices mean nothing there
                self.context.subnet_choice = None
                for path in ("network.subnets", "network.albSecurityGroups", "network.taskSecurityGroups"):
                    self.draft.set(path, [])
                self.query_one(SubnetTable).show([], [])
                self.query_one("#subnet-check", Static).update("")
                self.show_vpc()
        elif event.path == "loadBalancer.scheme" and self.subnets is not None:
            self.subnets_changed()

    def problems(self) -> list[str]:
        out = super().problems()
        if self.lookup_error:
            return out  # nothing to check against: the config keeps what it says ('auto' by default)
        if self.vpcs is not None and self.vpc_id() is None:
            out.append("this account has no default VPC: choose a VPC")
        elif self.subnets is None:
            out.append("the subnets are still being looked up")
        elif self.subnet_problems():
            # the reasons are spelled out under the table, next to the rows they concern
            out.append("the ticked subnets can't carry the load balancer (see ✗ under the subnet table)")
        return out

    def action_next(self) -> None:
        if self.subnets is not None and self.subnet_problems():
            self.query_one(SubnetTable).focus()
        super().action_next()
