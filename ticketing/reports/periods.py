"""Reporting periods: inclusive local dates in the shop's time zone, turned into UTC bounds.

A period ``from=2026-03-02&to=2026-03-08`` covers every instant from local midnight at the
start of the 2nd to local midnight at the end of the 8th, whatever the daylight-saving state;
the previous period is the same number of days just before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ..errors import invalid

UTC = timezone.utc
DEFAULT_DAYS = 7
MAX_DAYS = 366
GROUPS = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    """Local dates ``start``..``end`` (both included) in time zone ``tz``."""

    start: date
    end: date
    tz: ZoneInfo

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_utc(self) -> datetime:
        return local_midnight(self.start, self.tz)

    @property
    def end_utc(self) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return local_midnight(self.end + timedelta(days=1), self.tz)

    def previous(self) -> Period:
        length = timedelta(days=self.days)
        return Period(self.start - length, self.end - length, self.tz)

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start_utc <= moment < self.end_utc

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def as_json(self) -> dict[str, object]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "days": self.days,
            "timezone": self.tz.key,
            "start_utc": _iso(self.start_utc),
            "end_utc": _iso(self.end_utc),
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def today_in(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(tz).date()


# dates a report can be about (a year-1 or year-9999 date overflows time zone arithmetic)
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _parse_date(raw: str, name: str) -> date:
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        raise invalid(f"{name} must be a date in YYYY-MM-DD form", field=name) from None
    if not EARLIEST <= value <= LATEST:
        raise invalid(
            f"{name} must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}", field=name
        )
    return value


def parse_period(
    query: Mapping[str, str],
    tz: ZoneInfo,
    *,
    today: date | None = None,
    default_days: int = DEFAULT_DAYS,
    max_days: int = MAX_DAYS,
) -> Period:
    """The period of ``?from=&to=``; either may be missing (default: the last 7 days)."""
    today = today or today_in(tz)
    raw_from, raw_to = (query.get("from") or "").strip(), (query.get("to") or "").strip()
    end = _parse_date(raw_to, "to") if raw_to else None
    start = _parse_date(raw_from, "from") if raw_from else None
    if end is None:
        end = start + timedelta(days=default_days - 1) if start else today
    if start is None:
        start = end - timedelta(days=default_days - 1)
    if start > end:
        raise invalid("from must not be after to", field="from")
    if (end - start).days + 1 > max_days:
        raise invalid(f"the period is longer than {max_days} days", field="to")
    return Period(start, end, tz)


def parse_group(query: Mapping[str, str], default: str = "week") -> str:
    group = (query.get("group") or default).strip().lower()
    if group not in GROUPS:
        raise invalid(f"group must be one of {', '.join(GROUPS)}", field="group")
    return group


def bucket_start(day: date, group: str) -> date:
    """The first local date of the day/week (Monday)/month holding ``day``."""
    if group == "day":
        return day
    if group == "week":
        return day - timedelta(days=day.weekday())
    if group == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown group {group!r}")


def bucket_label(start: date, group: str) -> str:
    if group == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if group == "month":
        return start.strftime("%Y-%m")
    return start.isoformat()


def buckets(period: Period, group: str) -> list[date]:
    """The bucket starts that overlap the period, in order (the first may begin before it)."""
    starts: list[date] = []
    for day in period.dates():
        start = bucket_start(day, group)
        if not starts or starts[-1] != start:
            starts.append(start)
    return starts
