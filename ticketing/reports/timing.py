"""Response and resolution times in business minutes of the shop's calendar.

- *first response*: ticket created -> ``first_response_at`` (the first agent reply);
- *resolution*: ticket created -> ``resolved_at``;
- *next response*: a customer message written while an agent handles the chat (after the
  agent's first reply) -> the agent's next reply. Consecutive customer messages count from the
  first one; a bot message in between (the chat went back to the bot) stops the clock.

Business time only (shop.yml ``business_hours``), minus the spans the ticket was ``pending``
on the customer, exactly as the SLA clocks count.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..sla import BusinessCalendar, Pause, elapsed_business_minutes


def _when(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def parse_pauses(raw: Any) -> list[Pause]:
    """A ticket's ``pauses`` (a list, or its JSON text) as :class:`Pause` spans."""
    if isinstance(raw, str):
        raw = json.loads(raw) if raw.strip() not in ("", "[]", "null") else []
    pauses = []
    for item in raw or []:
        try:
            start = _when(item["start"])
            end = _when(item["end"]) if item.get("end") else None
            pauses.append(Pause(start=start, end=end))
        except (KeyError, TypeError, ValueError):
            continue  # a malformed entry must not break a report
    return pauses


def business_minutes(
    calendar: BusinessCalendar, start: datetime, end: datetime, pauses: Any = None
) -> float:
    return elapsed_business_minutes(calendar, start, end, parse_pauses(pauses))


class BusinessClock:
    """Business minutes of many spans of one calendar, fast: the calendar's open periods over
    the spans' range are listed once with running totals, so each span costs two binary
    searches instead of a walk over its days. Gives the same numbers as
    :func:`ticketing.sla.elapsed_business_minutes` (pauses are merged and subtracted).
    """

    MARGIN = timedelta(days=7)

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.lo: datetime | None = None
        self.hi: datetime | None = None
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.before: list[float] = []  # business seconds before each open period
        self.always_open = False

    def _cover(self, lo: datetime, hi: datetime) -> None:
        if self.lo is not None and self.hi is not None and self.lo <= lo and hi <= self.hi:
            return
        # grow by at least the current width, so that spans arriving in any order cost
        # few rebuilds
        width = (self.hi - self.lo) if self.lo is not None and self.hi is not None else self.MARGIN
        lo = min(lo, self.lo or lo) - max(width, self.MARGIN)
        hi = max(hi, self.hi or hi) + self.MARGIN
        self.starts, self.ends, self.before = [], [], []
        total, cursor = 0.0, lo
        while cursor < hi:
            opens = self.calendar.next_open(cursor)
            closes = self.calendar.next_close(opens)
            if closes is None:  # open around the clock: business time is wall time
                self.always_open = True
                break
            self.starts.append(opens)
            self.ends.append(closes)
            self.before.append(total)
            total += (closes - opens).total_seconds()
            cursor = closes
        self.lo, self.hi = lo, hi

    def _seconds(self, moment: datetime) -> float:
        """Business seconds from the start of the covered range to ``moment``."""
        index = bisect.bisect_right(self.starts, moment) - 1
        if index < 0:
            return 0.0
        inside = (min(moment, self.ends[index]) - self.starts[index]).total_seconds()
        return self.before[index] + inside

    def minutes(self, start: datetime, end: datetime, pauses: Any = None) -> float:
        if end <= start:
            return 0.0
        self._cover(start, end)
        if self.always_open:
            return business_minutes(self.calendar, start, end, pauses)
        total = self._seconds(end) - self._seconds(start)
        for pause_start, pause_end in _merged(parse_pauses(pauses), start, end):
            total -= self._seconds(pause_end) - self._seconds(pause_start)
        return total / 60


def _merged(pauses: list[Pause], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Pauses clipped to ``[start, end]``, sorted and merged (an open pause runs to ``end``)."""
    spans = sorted(
        (max(p.start, start), min(p.end or end, end)) for p in pauses if (p.end or end) > start
    )
    merged: list[tuple[datetime, datetime]] = []
    for span_start, span_end in spans:
        if span_end <= span_start:
            continue
        if merged and span_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span_end))
        else:
            merged.append((span_start, span_end))
    return merged


@dataclass(frozen=True)
class Reply:
    """One next-response sample: who replied, when, after how many business minutes."""

    author_id: int | None
    replied_at: datetime
    minutes: float
