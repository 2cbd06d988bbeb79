"""When the poller reads what: a period per part of the snapshot and per mode of the stack,
within a call budget per minute, with backoff and jitter while AWS throttles.

The numbers and why are in docs/monitor.md. In short: idle, only the executions list (the
cheap change detector) is read often; while a deployment runs, its target is; while traffic
shifts, the load balancer's listeners are, fast only when a weight step is due (the step
predictor below), so that a step reaches the snapshot within 2 s without spending the budget
between steps.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bluegreen.watch.meter import CallMeter


class Mode(enum.StrEnum):
    IDLE = "idle"  # nothing runs
    ACTIVE = "active"  # an execution or deployment runs (sources, green starting, hooks)
    WAITING = "waiting"  # a deployment waits: ready wait or termination wait
    SHIFTING = "shifting"  # production traffic moves (AllowTraffic, or a rollback)


class Part(enum.StrEnum):
    EXECUTIONS = "executions"  # ListPipelineExecutions
    STAGES = "stages"  # GetPipelineState / ListActionExecutions
    DEPLOYMENT = "deployment"  # GetDeploymentTarget (+ GetDeployment when it may have changed)
    LISTENERS = "listeners"  # DescribeListeners
    TARGETS = "targets"  # DescribeTargetHealth per target group
    SERVICE = "service"  # DescribeServices
    STOPPED = "stopped"  # ListTasks STOPPED (+ DescribeTasks of new ones)
    LOGS = "logs"  # DescribeLogStreams (+ GetLogEvents of streams that grew)


NEVER = math.inf  # read only when something says it changed (Pacer.force)
FAST_LISTENERS_S = 1.8  # while a weight step is due: a step shows within ~2 s
SLOW_LISTENERS_S = 10.0  # while shifting, between steps

PERIODS: dict[Mode, dict[Part, float]] = {
    Mode.IDLE: {Part.EXECUTIONS: 15, Part.STAGES: NEVER, Part.DEPLOYMENT: NEVER, Part.LISTENERS: 60,
                Part.TARGETS: 60, Part.SERVICE: 60, Part.STOPPED: 120, Part.LOGS: 120},
    Mode.ACTIVE: {Part.EXECUTIONS: 15, Part.STAGES: 15, Part.DEPLOYMENT: 8, Part.LISTENERS: 10,
                  Part.TARGETS: 30, Part.SERVICE: 30, Part.STOPPED: 60, Part.LOGS: 30},
    Mode.WAITING: {Part.EXECUTIONS: 15, Part.STAGES: 30, Part.DEPLOYMENT: 15, Part.LISTENERS: 30,
                   Part.TARGETS: 60, Part.SERVICE: 60, Part.STOPPED: 120, Part.LOGS: 60},
    Mode.SHIFTING: {Part.EXECUTIONS: 30, Part.STAGES: 60, Part.DEPLOYMENT: 10, Part.LISTENERS: SLOW_LISTENERS_S,
                    Part.TARGETS: 45, Part.SERVICE: 60, Part.STOPPED: 120, Part.LOGS: 60},
}
BUDGETS: dict[Mode, int] = {Mode.IDLE: 12, Mode.ACTIVE: 40, Mode.WAITING: 40, Mode.SHIFTING: 40}
# The part each mode exists for: read on time whatever the meter says (only backoff slows it).
# The others are read only while the last minute's calls leave room in the budget.
ESSENTIAL: dict[Mode, frozenset[Part]] = {
    Mode.IDLE: frozenset({Part.EXECUTIONS}),
    Mode.ACTIVE: frozenset({Part.EXECUTIONS, Part.STAGES, Part.DEPLOYMENT}),
    Mode.WAITING: frozenset({Part.DEPLOYMENT}),
    Mode.SHIFTING: frozenset({Part.LISTENERS}),
}
# Calls one read of the part usually costs (target health: one call per target group; logs: the
# list of streams, then each of the two newest).
COSTS: dict[Part, int] = {Part.EXECUTIONS: 1, Part.STAGES: 1, Part.DEPLOYMENT: 2, Part.LISTENERS: 1,
                          Part.TARGETS: 2, Part.SERVICE: 1, Part.STOPPED: 1, Part.LOGS: 3}
# Who goes first when the budget is short.
PRIORITY: tuple[Part, ...] = (Part.LISTENERS, Part.DEPLOYMENT, Part.EXECUTIONS, Part.STAGES, Part.TARGETS,
                              Part.SERVICE, Part.LOGS, Part.STOPPED)
# After a control or a push (Poller.hurry): what the user just did shows within seconds.
HURRY_PERIODS: dict[Part, float] = {Part.EXECUTIONS: 10, Part.STAGES: 10, Part.DEPLOYMENT: 4}
MAX_BACKOFF = 8  # periods grow up to 8x while AWS throttles
MIN_SLEEP_S = 0.2
# On the sandbox (--time-scale X) CodeDeploy's minutes pass X times faster: the periods shrink and
# the budgets grow by the same factor, up to MAX_SPEED (the budgets exist for AWS's throttling,
# which the sandbox only imitates on request), never below MIN_PERIOD_S.
MAX_SPEED = 10.0
MIN_PERIOD_S = 0.5
RESERVE_S = 10.0
RETRY_S = 60.0


@dataclass
class StepPredictor:
    """When the next production weight step can come, from the deployment configuration
    (linear N% every M minutes, canary, all at once) and the steps seen so far.

    Steps of one shift are at least `interval_s` apart, so after a step the listeners need
    not be read fast until shortly before the next is due. With no known interval the
    predictor learns a lower bound from two steps seen; until then every read is fast.
    """

    interval_s: float | None = None  # real seconds between steps (AWS minutes / time scale)
    steps: int | None = None  # how many steps the shift has (1 all at once, 2 canary)
    seen: list[tuple[float, float]] = field(default_factory=list)  # (last read before, first read after)

    def observe(self, before: float, after: float) -> None:
        self.seen.append((before, after))

    def learned_interval(self) -> float | None:
        if self.interval_s is not None:
            return self.interval_s
        if len(self.seen) < 2:
            return None
        # the true steps lie in [before, after] of each observation: the least possible gap
        gaps = [b[0] - a[1] for a, b in zip(self.seen, self.seen[1:], strict=False)]
        least = min(gaps)
        return least if least > 0 else None

    def fast_from(self) -> float:
        """The time from which the listeners should be read fast again (0: now)."""
        if not self.seen:
            return 0.0
        if self.steps is not None and len(self.seen) >= self.steps:
            return math.inf  # every step has been seen: only a stop or rollback moves traffic now
        interval = self.learned_interval()
        if interval is None:
            return 0.0
        margin = max(2.0, 0.1 * interval)  # AWS takes its steps a little late or early
        return self.seen[-1][0] + interval - margin


class Pacer:
    """Decides which parts a poll reads and how long until the next poll."""

    def __init__(self, clock: Callable[[], float], meter: CallMeter, rng: random.Random | None = None,
                 speed: float = 1.0) -> None:
        self._clock = clock
        self._meter = meter
        self.speed = min(MAX_SPEED, max(1.0, speed))
        self._rng = rng or random.Random()
        self.mode = Mode.IDLE
        self.backoff = 1  # 1, 2, 4, 8: the factor on every period while AWS throttles
        self.predictor: StepPredictor | None = None
        self.hurry_until = -math.inf
        self._urgent: set[Part] = set()  # read at their time whatever the budget (a change was seen)
        self._next: dict[Part, float] = {part: 0.0 for part in Part}  # everything is due at first

    # -- what to read now ----------------------------------------------------------------------

    def due(self) -> set[Part]:
        """The parts to read in this poll: due by their time, the budget admitting them."""
        now = self._clock()
        essential = ESSENTIAL[self.mode]
        # room kept for the essential parts' calls of the next RESERVE_S: they are made whatever the
        # window holds, so the others stop short of the budget by that much
        reserve = sum(math.ceil(COSTS[p] * RESERVE_S / self._base_period(p)) for p in essential
                      if math.isfinite(self._base_period(p)))
        budget = self.budget - reserve
        window = self._meter.in_last()
        planned = 0  # calls of the parts chosen so far in this poll
        chosen: set[Part] = set()
        for part in PRIORITY:
            if self._next[part] > now:
                continue
            if part not in essential and part not in self._urgent and self._meter.total \
                    and window + planned + COSTS[part] > budget:
                # not now: when the window has room for it (polling again sooner would only
                # spin, reading nothing)
                room = self._meter.room_in(planned + COSTS[part], budget)
                self._next[part] = now + max(MIN_SLEEP_S, room)
                continue
            chosen.add(part)
            planned += COSTS[part]
        return chosen

    @property
    def budget(self) -> int:
        """Calls a minute in this mode (more on a sandbox that runs faster than AWS)."""
        return round(BUDGETS[self.mode] * self.speed)

    def force(self, parts: Iterable[Part]) -> None:
        """Read these at the next poll, whatever the budget (something says they changed)."""
        self.soon(parts, 0.0)

    def hurry(self, seconds: float) -> None:
        """For `seconds`, read executions, stages and the deployment at the HURRY_PERIODS pace."""
        self.hurry_until = self._clock() + seconds
        self.soon(HURRY_PERIODS, 0.0)

    @property
    def hurrying(self) -> bool:
        return self._clock() < self.hurry_until

    def soon(self, parts: Iterable[Part], seconds: float, urgent: bool = True) -> None:
        """Read these parts within `seconds` (sooner than their period); `urgent`: whatever the
        budget says then, once (a change was seen: reading it is what the budget is for)."""
        when = self._clock() + seconds
        for part in parts:
            self._next[part] = min(self._next[part], when)
            if urgent:
                self._urgent.add(part)

    # -- after reading -------------------------------------------------------------------------

    def done(self, part: Part, failed: bool = False) -> None:
        period = self._period(part)
        if failed and not math.isfinite(period):
            period = RETRY_S * self.backoff  # a part read only on change must not stay unread
        self._next[part] = self._clock() + period
        self._urgent.discard(part)

    def set_mode(self, mode: Mode) -> None:
        """A new mode reschedules every part no later than its period in the new mode."""
        if mode is self.mode:
            return
        now = self._clock()
        old, self.mode = self.mode, mode
        for part in Part:
            period = self._period(part)
            if period < PERIODS[old][part]:
                self._next[part] = min(self._next[part], now + period)
        if mode is not Mode.SHIFTING:
            self.predictor = None

    def throttled(self) -> None:
        self.backoff = min(MAX_BACKOFF, self.backoff * 2)

    def calm(self) -> None:
        """A poll without throttling: halve the backoff (recover step by step)."""
        self.backoff = max(1, self.backoff // 2)

    def next_poll_in(self) -> float:
        """Seconds until the earliest part is due (at least MIN_SLEEP_S)."""
        now = self._clock()
        earliest = min(self._next.values())
        return max(MIN_SLEEP_S, earliest - now) if math.isfinite(earliest) else PERIODS[self.mode][Part.EXECUTIONS]

    def pace_s(self) -> float:
        """The pace to show: how often the part this mode exists for is read."""
        part = min(ESSENTIAL[self.mode], key=lambda p: PRIORITY.index(p))
        return self._base_period(part) * self.backoff

    # -- periods -------------------------------------------------------------------------------

    def _base_period(self, part: Part) -> float:
        period = PERIODS[self.mode][part]
        if self.hurrying:
            period = min(period, HURRY_PERIODS.get(part, period))
        if part is Part.LISTENERS and self.mode is Mode.SHIFTING:
            fast_from = self.predictor.fast_from() if self.predictor is not None else 0.0
            now = self._clock()
            fast, slow = self._scaled(FAST_LISTENERS_S), self._scaled(SLOW_LISTENERS_S)
            if fast_from <= now:
                return fast
            return min(slow, max(fast, fast_from - now))
        return self._scaled(period)

    def _scaled(self, period: float) -> float:
        if self.speed == 1.0 or not math.isfinite(period):
            return period
        return max(MIN_PERIOD_S, period / self.speed)

    def _period(self, part: Part) -> float:
        period = self._base_period(part)
        if self.backoff == 1 or not math.isfinite(period):
            return period
        # equal jitter: half the backed-off period, plus up to half again at random, so that
        # several monitors throttled together do not come back in step
        grown = period * self.backoff
        return grown / 2 + self._rng.uniform(0, grown / 2)
