"""The business-hours calendar: weekly opening hours in one time zone, minus holidays.

:class:`BusinessCalendar` and its parsing and time helpers. See the :mod:`ticketing.sla` package
docstring for the conventions (aware datetimes in, UTC out; half-open ``[open, close)``
intervals; ``time.max`` / ``"24:00"`` as midnight at the end of the day; DST handling).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DAY_NAMES",
    "END_OF_DAY",
    "UTC",
    "BusinessCalendar",
    "Interval",
]

UTC = timezone.utc
END_OF_DAY = time.max
"""A closing time meaning midnight at the end of the day (``"24:00"`` in configuration)."""

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_KEYS = {
    **{name: index for index, name in enumerate(DAY_NAMES)},
    **{
        name: index
        for index, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_MINUTE = timedelta(minutes=1)
_ZERO = timedelta(0)

Interval = tuple[datetime, datetime]
MAX_CACHED_DAYS = 4096  # per calendar: about eleven years of dates


# --------------------------------------------------------------------------- helpers


def _require_aware(value: datetime, name: str) -> datetime:
    """``value`` in UTC; ``ValueError`` unless it is an aware datetime."""
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _minutes(delta: timedelta) -> float:
    return delta / _MINUTE


def _duration(minutes: float, name: str = "minutes") -> timedelta:
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)):
        raise ValueError(f"{name} must be a number, got {minutes!r}")
    if not math.isfinite(minutes):
        raise ValueError(f"{name} must be finite, got {minutes!r}")
    if minutes < 0:
        raise ValueError(f"{name} must not be negative, got {minutes!r}")
    return timedelta(minutes=minutes)


def _fmt_time(value: time) -> str:
    return "24:00" if value == END_OF_DAY else value.strftime("%H:%M")


def _parse_time(value: Any, where: str, *, closing: bool) -> time:
    """A ``"HH:MM"`` string (or a :class:`time`); ``"24:00"`` only as a closing time."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        text = value.strip()
        if closing and text == "24:00":
            return END_OF_DAY
        match = _HHMM.match(text)
        if match:
            return time(int(match.group(1)), int(match.group(2)))
        raise ValueError(f"{where}: {value!r} is not a time in 24-hour HH:MM form")
    hint = ' (quote times in YAML: "18:00", not 18:00)' if isinstance(value, int) else ""
    raise ValueError(f'{where}: expected an "HH:MM" string, got {value!r}{hint}')


def _parse_day(value: Any, where: str) -> list[tuple[time, time]]:
    """``[]``/``None`` (closed), ``["09:00", "18:00"]`` or a list of such pairs."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise ValueError(
            f'{where}: expected [] or ["HH:MM", "HH:MM"] or a list of such pairs, got {value!r}'
        )
    if not value:
        return []
    pairs = [value] if all(not isinstance(item, (list, tuple)) for item in value) else value
    intervals = []
    for number, pair in enumerate(pairs, start=1):
        spot = where if len(pairs) == 1 else f"{where}[{number}]"
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f'{spot}: expected an ["HH:MM", "HH:MM"] pair, got {pair!r}')
        intervals.append(
            (_parse_time(pair[0], spot, closing=False), _parse_time(pair[1], spot, closing=True))
        )
    return intervals


def _parse_holiday(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{where}: expected a date, got the datetime {value.isoformat()}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}: {value!r} is not a date in YYYY-MM-DD form")


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly opening hours in one time zone, minus holidays.

    ``weekly`` maps a weekday (0 = Monday ... 6 = Sunday) to its open intervals in local time;
    a missing day is closed. Several intervals per day are allowed (a lunch break); they must
    not overlap. Use :data:`END_OF_DAY` (``time.max``) to close at midnight. The mapping is
    normalised on construction to all seven days with sorted intervals. A calendar with no
    open hours in the week is rejected, so no calculation can search forever.
    """

    timezone: str
    weekly: dict[int, list[tuple[time, time]]]
    holidays: frozenset[date] = frozenset()
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _open_all_week: bool = field(init=False, repr=False, compare=False)
    # each local date's UTC intervals, computed once (a queue listing asks for the same
    # few days hundreds of times; the time-zone conversions were most of its SLA cost)
    _days: dict[date, tuple[Interval, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, str) or not self.timezone.strip():
            raise ValueError(
                f"timezone must be an IANA name such as 'Europe/London', got {self.timezone!r}"
            )
        try:
            tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from exc
        if not isinstance(self.weekly, Mapping):
            raise ValueError(f"weekly must map weekday numbers to intervals, got {self.weekly!r}")
        weekly: dict[int, list[tuple[time, time]]] = {day: [] for day in range(7)}
        for day, intervals in self.weekly.items():
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(f"weekly: unknown weekday {day!r} (use 0 = Monday ... 6 = Sunday)")
            weekly[day] = self._checked_day(DAY_NAMES[day], intervals)
        if not any(weekly.values()):
            raise ValueError("weekly: the calendar has no open hours on any day of the week")
        holidays = frozenset(_parse_holiday(value, "holidays") for value in (self.holidays or ()))
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(
            self,
            "_open_all_week",
            all(self._covers_whole_day(intervals) for intervals in weekly.values()),
        )

    def __hash__(self) -> int:
        weekly = tuple(tuple(self.weekly[day]) for day in range(7))
        return hash((self.timezone, weekly, self.holidays))

    @staticmethod
    def _checked_day(name: str, intervals: Iterable[tuple[time, time]]) -> list[tuple[time, time]]:
        checked = []
        for pair in intervals:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f"weekly.{name}: expected (open, close) pairs, got {pair!r}")
            start, end = pair
            if not isinstance(start, time) or not isinstance(end, time):
                raise ValueError(f"weekly.{name}: open and close must be datetime.time values")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"weekly.{name}: times are local wall-clock times, without tzinfo")
            if end <= start:
                raise ValueError(
                    f"weekly.{name}: closing time {_fmt_time(end)} is not after opening time "
                    f"{_fmt_time(start)} (split an overnight shift at 24:00)"
                )
            checked.append((start, end))
        checked.sort()
        for (_, end), (start, _) in pairwise(checked):
            if start < end:
                raise ValueError(
                    f"weekly.{name}: intervals overlap ({_fmt_time(start)} is before "
                    f"{_fmt_time(end)})"
                )
        return checked

    @staticmethod
    def _covers_whole_day(intervals: list[tuple[time, time]]) -> bool:
        reached = time(0)
        for start, end in intervals:
            if start > reached:
                return False
            reached = max(reached, end)
        return reached == END_OF_DAY

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> BusinessCalendar:
        """A calendar from ``shop.yml``'s ``business_hours`` mapping.

        ``{"timezone": "Europe/London", "weekly": {"mon": ["09:00", "18:00"], "sun": [], ...},
        "holidays": ["2026-12-25", ...]}``. A day may also hold a list of pairs for split
        shifts (``[["09:00", "12:00"], ["13:00", "18:00"]]``); ``[]`` or a missing day is
        closed; ``"24:00"`` closes at midnight. Day names are ``mon``..``sun`` (or in full).
        Raises ``ValueError`` naming the offending entry.
        """
        if not isinstance(cfg, Mapping):
            raise ValueError(f"business_hours must be a mapping, got {cfg!r}")
        # timezone_label: how the assistant names the zone to customers ("UK time")
        unknown = set(cfg) - {"timezone", "timezone_label", "weekly", "holidays"}
        if unknown:
            raise ValueError(f"business_hours: unknown keys {sorted(map(str, unknown))}")
        if "timezone" not in cfg:
            raise ValueError("business_hours.timezone is required (e.g. 'Europe/London')")
        weekly_cfg = cfg.get("weekly")
        if not isinstance(weekly_cfg, Mapping):
            raise ValueError(
                "business_hours.weekly must map day names (mon..sun) to opening hours, got "
                f"{weekly_cfg!r}"
            )
        weekly: dict[int, list[tuple[time, time]]] = {}
        for key, value in weekly_cfg.items():
            day = _DAY_KEYS.get(str(key).strip().lower())
            if day is None:
                raise ValueError(
                    f"business_hours.weekly: unknown day {key!r} (use {', '.join(DAY_NAMES)})"
                )
            if day in weekly:
                raise ValueError(f"business_hours.weekly: day {key!r} is given twice")
            weekly[day] = _parse_day(value, f"business_hours.weekly.{key}")
        holidays_cfg = cfg.get("holidays") or []
        if not isinstance(holidays_cfg, (list, tuple, set, frozenset)):
            raise ValueError(
                f"business_hours.holidays must be a list of dates, got {holidays_cfg!r}"
            )
        holidays = frozenset(
            _parse_holiday(value, "business_hours.holidays") for value in holidays_cfg
        )
        try:
            return cls(timezone=cfg["timezone"], weekly=weekly, holidays=holidays)
        except ValueError as exc:
            raise ValueError(f"business_hours.{exc}") from None

    @classmethod
    def always_open(cls) -> BusinessCalendar:
        """Open 24/7 in UTC (tests, or a P1 round-the-clock option)."""
        return cls(timezone="UTC", weekly={day: [(time(0), END_OF_DAY)] for day in range(7)})

    # ------------------------------------------------------------------ intervals

    def _local_to_utc(self, day: date, at: time) -> datetime:
        if at == END_OF_DAY:
            day, at = day + timedelta(days=1), time(0)
        return datetime.combine(day, at, tzinfo=self._tz).astimezone(UTC)

    def _day_intervals(self, day: date) -> tuple[Interval, ...]:
        """The UTC business intervals of one local date."""
        known = self._days.get(day)
        if known is not None:
            return known
        if day in self.holidays:
            intervals: tuple[Interval, ...] = ()
        else:
            intervals = tuple(
                (self._local_to_utc(day, start), self._local_to_utc(day, end))
                for start, end in self.weekly[day.weekday()]
            )
        if len(self._days) >= MAX_CACHED_DAYS:
            self._days.clear()
        self._days[day] = intervals
        return intervals

    def _intervals(self, since: datetime) -> Iterator[Interval]:
        """Business intervals in UTC, in order and disjoint, that end after ``since``.

        The first one may start before ``since``. Endless: the caller stops iterating.
        """
        day = since.astimezone(self._tz).date() - timedelta(days=1)
        last_end: datetime | None = None
        # Guard: a run of closed days longer than this means something is badly wrong
        # (the weekly hours are never empty, holidays are finite).
        limit = 7 * (len(self.holidays) + 3)
        closed_run = 0
        while True:
            any_open = False
            for start, end in self._day_intervals(day):
                if last_end is not None and start < last_end:
                    start = last_end  # a skipped or repeated local date; never double count
                if end <= start:
                    continue
                any_open = True
                last_end = end
                if end > since:
                    yield start, end
            closed_run = 0 if any_open else closed_run + 1
            if closed_run > limit:
                raise ValueError(f"calendar has no business hours for {limit} days after {day}")
            day += timedelta(days=1)

    def _add(self, start: datetime, amount: timedelta) -> datetime:
        for open_at, close_at in self._intervals(start):
            open_at = max(open_at, start)
            span = close_at - open_at
            if amount <= span:
                return open_at + amount
            amount -= span
        raise AssertionError("unreachable")  # pragma: no cover - _intervals is endless

    def _between(self, start: datetime, end: datetime) -> timedelta:
        total = _ZERO
        if end <= start:
            return total
        for open_at, close_at in self._intervals(start):
            if open_at >= end:
                break
            total += min(close_at, end) - max(open_at, start)
        return total

    # ------------------------------------------------------------------ public queries

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (aware, any zone) falls inside business hours."""
        at = _require_aware(at, "at")
        open_at, _ = next(self._intervals(at))
        return open_at <= at

    def next_open(self, at: datetime) -> datetime:
        """``at`` (in UTC) if open, else the start of the next business interval."""
        at = _require_aware(at, "at")
        open_at, _ = next(self._intervals(at))
        return max(open_at, at)

    def next_close(self, at: datetime) -> datetime | None:
        """When the business period holding ``next_open(at)`` ends, in UTC.

        Back-to-back intervals (``22:00-24:00`` then ``00:00-06:00``) count as one period.
        ``None`` for a 24/7 calendar with no holiday ahead: it never closes.
        """
        at = _require_aware(at, "at")
        intervals = self._intervals(at)
        open_at, close_at = next(intervals)
        if self._open_all_week:
            # Only a holiday ahead can end the period; without one the loop below is endless.
            first_day = max(open_at, at).astimezone(self._tz).date()
            if not any(day > first_day for day in self.holidays):
                return None
        for open_at, end in intervals:
            if open_at > close_at:
                break
            close_at = end
        return close_at

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """The UTC instant at which ``minutes`` of business time have elapsed after ``start``.

        Counting begins at ``next_open(start)``; ``minutes=0`` returns exactly that (``start``
        itself when open). The result is the *earliest* such instant, so a count that ends
        exactly at closing time returns the closing time, not the next opening.
        """
        start = _require_aware(start, "start")
        return self._add(start, _duration(minutes))

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes in ``[start, end)``; 0 when ``end <= start``."""
        start = _require_aware(start, "start")
        end = _require_aware(end, "end")
        return _minutes(self._between(start, end))
