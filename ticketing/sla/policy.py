"""SLA policy and clocks: per-priority targets, pauses, elapsed and due times, evaluation.

:class:`SlaPolicy` (targets from ``shop.yml``), the clock maths over a
:class:`~ticketing.sla.calendar.BusinessCalendar` (:func:`elapsed_business_minutes`,
:func:`due_at`, :func:`evaluate`) and :func:`format_business_duration`. See the
:mod:`ticketing.sla` package docstring for how clocks, pauses and breaches are defined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .calendar import _ZERO, UTC, BusinessCalendar, _duration, _minutes, _require_aware

__all__ = [
    "CLOCKS",
    "STATES",
    "Pause",
    "SlaPolicy",
    "SlaState",
    "SlaTarget",
    "due_at",
    "elapsed_business_minutes",
    "evaluate",
    "format_business_duration",
]

CLOCKS = ("first_response", "next_response", "resolution")
STATES = ("ok", "warning", "breached", "met", "paused")


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class SlaTarget:
    """One priority's targets, in business minutes."""

    first_response: int
    next_response: int
    resolution: int

    def minutes(self, clock: str) -> int:
        """The target of ``clock`` (one of :data:`CLOCKS`)."""
        if clock not in CLOCKS:
            raise ValueError(f"unknown SLA clock {clock!r} (use {', '.join(CLOCKS)})")
        return int(getattr(self, clock))


@dataclass(frozen=True)
class SlaPolicy:
    """Targets per priority (``"P1"``..``"P4"``) and the warning threshold."""

    targets: dict[str, SlaTarget]
    warn_at: float = 0.8

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.targets.items())), self.warn_at))

    def target(self, priority: str) -> SlaTarget:
        """The targets of ``priority``; ``ValueError`` for an unknown one."""
        try:
            return self.targets[priority]
        except KeyError:
            known = ", ".join(sorted(self.targets))
            raise ValueError(f"unknown priority {priority!r} (known: {known})") from None

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> SlaPolicy:
        """A policy from ``shop.yml``'s ``sla`` mapping.

        ``{"P1": {"label": "urgent", "first_response": 30, "next_response": 60,
        "resolution": 480}, ..., "warn_at": 0.8}``. ``label`` is ignored, ``warn_at``
        defaults to 0.8 and must lie in (0, 1]; targets are positive whole minutes.
        """
        if not isinstance(cfg, Mapping):
            raise ValueError(f"sla must be a mapping, got {cfg!r}")
        warn_at = cfg.get("warn_at", 0.8)
        if isinstance(warn_at, bool) or not isinstance(warn_at, (int, float)):
            raise ValueError(f"sla.warn_at must be a fraction such as 0.8, got {warn_at!r}")
        if not 0 < warn_at <= 1:
            raise ValueError(f"sla.warn_at must be in (0, 1], got {warn_at!r}")
        targets: dict[str, SlaTarget] = {}
        for priority, spec in cfg.items():
            if priority == "warn_at":
                continue
            where = f"sla.{priority}"
            if not isinstance(spec, Mapping):
                raise ValueError(f"{where} must map {', '.join(CLOCKS)} to minutes, got {spec!r}")
            unknown = set(spec) - {*CLOCKS, "label"}
            if unknown:
                raise ValueError(f"{where}: unknown keys {sorted(map(str, unknown))}")
            values = {}
            for clock in CLOCKS:
                if clock not in spec:
                    raise ValueError(f"{where}.{clock} is required (business minutes)")
                value = spec[clock]
                if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                    raise ValueError(
                        f"{where}.{clock} must be a positive whole number of minutes, got {value!r}"
                    )
                values[clock] = value
            targets[str(priority)] = SlaTarget(**values)
        if not targets:
            raise ValueError("sla: no priorities defined (expected P1..P4)")
        return cls(targets=targets, warn_at=float(warn_at))


# --------------------------------------------------------------------------- clocks


@dataclass(frozen=True)
class Pause:
    """A span during which the clocks stop (``pending`` on the customer); ``end=None``: ongoing."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        start = _require_aware(self.start, "Pause.start")
        end = None if self.end is None else _require_aware(self.end, "Pause.end")
        if end is not None and end < start:
            raise ValueError(
                f"Pause ends ({end.isoformat()}) before it starts ({start.isoformat()})"
            )


def _merge_pauses(
    pauses: Iterable[Pause], since: datetime
) -> list[tuple[datetime, datetime | None]]:
    """Pauses in UTC clipped to start at ``since`` or later, sorted and merged.

    An open pause (``end=None``) absorbs every pause after it.
    """
    spans: list[tuple[datetime, datetime | None]] = []
    for pause in pauses:
        if not isinstance(pause, Pause):
            raise ValueError(f"pauses must hold Pause objects, got {pause!r}")
        start = max(pause.start.astimezone(UTC), since)
        end = None if pause.end is None else pause.end.astimezone(UTC)
        if end is not None and end <= start:
            continue
        spans.append((start, end))
    spans.sort(key=lambda span: span[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for start, end in spans:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if start <= last_end:
                merged[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def _elapsed(
    calendar: BusinessCalendar, start: datetime, now: datetime, pauses: Iterable[Pause]
) -> timedelta:
    if now <= start:
        return _ZERO
    total = calendar._between(start, now)
    for pause_start, pause_end in _merge_pauses(pauses, start):
        if pause_start >= now:
            break
        end = now if pause_end is None else min(pause_end, now)
        total -= calendar._between(pause_start, end)
    return total


def _due(
    calendar: BusinessCalendar, start: datetime, amount: timedelta, pauses: Iterable[Pause]
) -> datetime | None:
    cursor, remaining = start, amount
    for pause_start, pause_end in _merge_pauses(pauses, start):
        if pause_start > cursor:
            available = calendar._between(cursor, pause_start)
            if remaining <= available:
                return calendar._add(cursor, remaining)
            remaining -= available
        if pause_end is None:
            return None
        cursor = max(cursor, pause_end)
    return calendar._add(cursor, remaining)


def elapsed_business_minutes(
    calendar: BusinessCalendar, start: datetime, now: datetime, pauses: Sequence[Pause] = ()
) -> float:
    """Business minutes from ``start`` to ``now``, not counting business time inside pauses.

    Pauses may overlap each other or reach outside ``[start, now]``; an open pause runs to
    ``now``. 0 when ``now <= start``.
    """
    start = _require_aware(start, "start")
    now = _require_aware(now, "now")
    return _minutes(_elapsed(calendar, start, now, pauses))


def due_at(
    calendar: BusinessCalendar, start: datetime, minutes: float, pauses: Sequence[Pause] = ()
) -> datetime | None:
    """The earliest UTC instant at which the clock started at ``start`` reaches ``minutes``.

    ``None`` while paused: when an open pause (``end=None``) began before the target was
    reached, the due time is unknown until the pause ends. If the target was reached before
    the open pause began, that instant is returned. Consistent with
    :func:`elapsed_business_minutes`: ``elapsed(start, due_at(...), pauses) == minutes``.
    """
    start = _require_aware(start, "start")
    return _due(calendar, start, _duration(minutes), pauses)


@dataclass(frozen=True)
class SlaState:
    """The evaluation of one SLA clock at one instant.

    ``state`` is one of :data:`STATES`; ``remaining_minutes`` is ``target - elapsed`` and goes
    negative once breached; ``due_at`` is ``None`` while paused.
    """

    target_minutes: int
    elapsed_minutes: float
    due_at: datetime | None
    state: str
    remaining_minutes: float


def evaluate(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    priority: str,
    clock: str,
    start: datetime,
    now: datetime,
    stopped_at: datetime | None = None,
    pauses: Sequence[Pause] = (),
) -> SlaState:
    """Evaluate the ``clock`` of a ticket of ``priority`` that started at ``start``.

    * ``stopped_at`` given (the clock was satisfied, e.g. the first agent reply): ``"met"`` if
      the business time elapsed by then is at most the target, else ``"breached"``. ``now`` is
      not used; a pause still open at ``stopped_at`` counts as ending there.
    * running clock, judged at ``now``: ``"breached"`` once elapsed > target (exactly at
      ``due_at`` it is not), else ``"paused"`` during a pause, else ``"warning"`` once
      elapsed >= ``warn_at`` x target, else ``"ok"``.

    Pauses starting after the reference instant (``stopped_at`` or ``now``) are ignored.
    """
    target = policy.target(priority).minutes(clock)
    start = _require_aware(start, "start")
    now = _require_aware(now, "now")
    stopped = None if stopped_at is None else _require_aware(stopped_at, "stopped_at")
    reference = now if stopped is None else stopped

    relevant: list[Pause] = []
    paused_now = False
    for pause in pauses:
        if not isinstance(pause, Pause):
            raise ValueError(f"pauses must hold Pause objects, got {pause!r}")
        if pause.start > reference:
            continue
        if stopped is not None and pause.end is None:
            pause = Pause(pause.start, stopped)
        if pause.end is None or pause.end > reference:
            paused_now = True
        relevant.append(pause)

    target_delta = timedelta(minutes=target)
    elapsed = _elapsed(calendar, start, reference, relevant)
    due = _due(calendar, start, target_delta, relevant)
    if stopped is not None:
        state = "met" if elapsed <= target_delta else "breached"
    elif elapsed > target_delta:
        state = "breached"
    elif paused_now:
        state = "paused"
    elif elapsed >= target_delta * policy.warn_at:
        state = "warning"
    else:
        state = "ok"
    return SlaState(
        target_minutes=target,
        elapsed_minutes=_minutes(elapsed),
        due_at=due,
        state=state,
        remaining_minutes=_minutes(target_delta - elapsed),
    )


# --------------------------------------------------------------------------- formatting


def format_business_duration(minutes: float, hours_per_day: float | None = None) -> str:
    """A short English duration such as ``"45 min"``, ``"2 h"`` or ``"1 h 30 min"``.

    Rounded to the whole minute. With ``hours_per_day`` (the length of a business day) a
    duration of at least one day is given in business days: ``"3 business days"``,
    ``"1 business day 4 h"``. Negative durations (overdue) get a leading ``"-"``. The words
    are English; callers showing them to customers pass them through the translation layer.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes != minutes:
        raise ValueError(f"minutes must be a number, got {minutes!r}")
    total = int(abs(minutes) + 0.5)
    sign = "-" if minutes < 0 and total else ""
    parts: list[str] = []
    if hours_per_day is not None:
        if isinstance(hours_per_day, bool) or not hours_per_day > 0:
            raise ValueError(f"hours_per_day must be positive, got {hours_per_day!r}")
        day_minutes = round(hours_per_day * 60)
        days, total = divmod(total, day_minutes)
        if days:
            parts.append(f"{days} business day{'s' if days != 1 else ''}")
    hours, mins = divmod(total, 60)
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return sign + " ".join(parts)
