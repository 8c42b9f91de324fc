"""Business-hours calendars and SLA clocks: pure domain logic, no database, no HTTP.

A :class:`BusinessCalendar` holds the weekly opening hours as *local wall-clock* intervals of
one IANA time zone plus a set of local holiday dates. Every calculation converts one local date
at a time to UTC with :mod:`zoneinfo`, so daylight-saving changes come out right (a Saturday
10:00-14:00 in Europe/London is 10:00Z-14:00Z in winter and 09:00Z-13:00Z in summer), and long
spans cost one step per calendar day, never one per minute.

Conventions used throughout:

* Every datetime passed in must be timezone-aware (any zone); naive ones raise ``ValueError``.
  Every datetime returned is timezone-aware UTC.
* Business intervals are half open, ``[open, close)``: at 18:00 a 09:00-18:00 desk is closed.
* Business time is real elapsed time inside the intervals. An interval's ends are wall-clock
  times on its local date; a time that occurs twice (clocks going back) means its first
  occurrence, a time skipped by clocks going forward means the instant after the gap. A
  00:00-06:00 Sunday therefore lasts 5 hours on the spring change and 7 on the autumn one.
* ``time.max`` as a closing time (``"24:00"`` in configuration) means midnight at the end of
  the day. An overnight shift is written as two intervals, ``22:00-24:00`` and ``00:00-06:00``.

SLA clocks (``first_response``, ``next_response``, ``resolution``) count business minutes from
their start, minus the business time spent in :class:`Pause` spans (the ticket was ``pending``
on the customer). A clock is *breached* once more business time than its target has elapsed:
its :func:`due_at` instant itself is not a breach, and a clock due at 18:00 on a Friday that is
still running at 20:00 becomes breached only when business time resumes on Saturday.
"""

from __future__ import annotations

from .calendar import DAY_NAMES as DAY_NAMES
from .calendar import END_OF_DAY, BusinessCalendar
from .calendar import UTC as UTC
from .calendar import Interval as Interval
from .policy import (
    CLOCKS,
    STATES,
    Pause,
    SlaPolicy,
    SlaState,
    SlaTarget,
    due_at,
    elapsed_business_minutes,
    evaluate,
    format_business_duration,
)

__all__ = [
    "CLOCKS",
    "END_OF_DAY",
    "STATES",
    "BusinessCalendar",
    "Pause",
    "SlaPolicy",
    "SlaState",
    "SlaTarget",
    "due_at",
    "elapsed_business_minutes",
    "evaluate",
    "format_business_duration",
]
