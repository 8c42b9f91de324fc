"""Business-hours calendar and SLA clocks (ticketing.sla), on fixed datetimes only."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from ticketing.sla import (
    END_OF_DAY,
    BusinessCalendar,
    Pause,
    SlaPolicy,
    SlaTarget,
    due_at,
    elapsed_business_minutes,
    evaluate,
    format_business_duration,
)

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def shop() -> dict:
    return yaml.safe_load((ROOT / "shop.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cal(shop) -> BusinessCalendar:
    """The demo shop: Mon-Fri 09:00-18:00, Sat 10:00-14:00, Europe/London, UK holidays."""
    return BusinessCalendar.from_config(shop["business_hours"])


@pytest.fixture(scope="module")
def policy(shop) -> SlaPolicy:
    return SlaPolicy.from_config(shop["sla"])


def split_calendar() -> BusinessCalendar:
    return BusinessCalendar.from_config(
        {
            "timezone": "Europe/London",
            "weekly": {
                "mon": [["09:00", "12:00"], ["13:00", "17:30"]],
                "tue": ["09:00", "17:30"],
            },
        }
    )


# --------------------------------------------------------------------------- configuration


def test_from_config_reads_the_real_shop_file(cal, policy):
    assert cal.timezone == "Europe/London"
    assert cal.weekly[0] == [(time(9), time(18))]
    assert cal.weekly[4] == [(time(9), time(18))]
    assert cal.weekly[5] == [(time(10), time(14))]
    assert cal.weekly[6] == []
    assert date(2026, 12, 25) in cal.holidays and date(2027, 12, 28) in cal.holidays
    assert len(cal.holidays) == 11
    assert policy.warn_at == 0.8
    assert set(policy.targets) == {"P1", "P2", "P3", "P4"}
    assert policy.targets["P1"] == SlaTarget(first_response=30, next_response=60, resolution=480)
    assert policy.targets["P4"].resolution == 5400


def test_from_config_split_shifts_full_day_names_and_midnight():
    calendar = BusinessCalendar.from_config(
        {
            "timezone": "UTC",
            "weekly": {
                "Monday": [["09:00", "12:00"], ["13:00", "18:00"]],
                "fri": ["22:00", "24:00"],
                "sat": [["00:00", "06:00"]],
                "sun": None,
            },
            "holidays": [date(2026, 1, 1), "2026-12-25"],
        }
    )
    assert calendar.weekly[0] == [(time(9), time(12)), (time(13), time(18))]
    assert calendar.weekly[4] == [(time(22), END_OF_DAY)]
    assert calendar.weekly[5] == [(time(0), time(6))]
    assert calendar.weekly[1] == calendar.weekly[6] == []  # missing and null days are closed
    assert calendar.holidays == frozenset({date(2026, 1, 1), date(2026, 12, 25)})


def test_constructor_normalises_weekly():
    calendar = BusinessCalendar(
        "UTC", {0: [(time(13), time(18)), (time(9), time(12))]}, frozenset()
    )
    assert calendar.weekly == {0: [(time(9), time(12)), (time(13), time(18))]} | {
        day: [] for day in range(1, 7)
    }


GOOD = {"timezone": "Europe/London", "weekly": {"mon": ["09:00", "18:00"]}}


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"timezone": "Mars/Olympus"},
            r"business_hours\.timezone: unknown time zone 'Mars/Olympus'",
        ),
        ({"timezone": ""}, r"timezone must be an IANA name"),
        ({"timezone": None}, r"timezone must be an IANA name"),
        ({"weekly": {"mon": ["9am", "18:00"]}}, r"weekly\.mon: '9am' is not a time in 24-hour"),
        ({"weekly": {"mon": ["09:00", "25:00"]}}, r"'25:00' is not a time"),
        ({"weekly": {"mon": ["09:60", "18:00"]}}, r"'09:60' is not a time"),
        ({"weekly": {"mon": ["24:00", "24:00"]}}, r"'24:00' is not a time"),
        ({"weekly": {"mon": ["09:00", 1080]}}, r"quote times in YAML"),
        ({"weekly": {"mon": ["18:00", "09:00"]}}, r"weekly\.mon: closing time 09:00 is not after"),
        ({"weekly": {"mon": ["09:00", "09:00"]}}, r"closing time 09:00 is not after opening"),
        ({"weekly": {"funday": ["09:00", "18:00"]}}, r"unknown day 'funday'"),
        ({"weekly": {"mon": ["09:00"]}}, r"weekly\.mon: expected an \[\"HH:MM\", \"HH:MM\"\] pair"),
        ({"weekly": {"mon": "09:00-18:00"}}, r"weekly\.mon: expected \[\]"),
        (
            {"weekly": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}},
            r"weekly\.mon: intervals overlap",
        ),
        ({"weekly": {"mon": ["09:00", "18:00"], "monday": []}}, r"'monday' is given twice"),
        ({"weekly": {"mon": [], "sun": []}}, r"no open hours on any day"),
        ({"weekly": ["09:00", "18:00"]}, r"weekly must map day names"),
        ({"weekly": None}, r"weekly must map day names"),
        ({"holidays": ["2026-13-01"]}, r"holidays: '2026-13-01' is not a date in YYYY-MM-DD"),
        ({"holidays": "2026-12-25"}, r"holidays must be a list of dates"),
        ({"opening": {}}, r"unknown keys \['opening'\]"),
    ],
)
def test_from_config_rejects_bad_configuration(change, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_config({**GOOD, **change})


def test_from_config_requires_a_timezone_and_a_mapping():
    with pytest.raises(ValueError, match=r"business_hours\.timezone is required"):
        BusinessCalendar.from_config({"weekly": {"mon": ["09:00", "18:00"]}})
    with pytest.raises(ValueError, match="business_hours must be a mapping"):
        BusinessCalendar.from_config(["mon"])


def test_calendar_and_policy_are_hashable_values(shop, cal, policy):
    again = BusinessCalendar.from_config(shop["business_hours"])
    assert again == cal and hash(again) == hash(cal)
    assert hash(SlaPolicy.from_config(shop["sla"])) == hash(policy)
    assert BusinessCalendar.always_open() != cal


def test_calendar_with_no_open_hours_raises():
    with pytest.raises(ValueError, match="no open hours"):
        BusinessCalendar("UTC", {}, frozenset())
    with pytest.raises(ValueError, match="no open hours"):
        BusinessCalendar("Europe/London", {day: [] for day in range(7)}, frozenset())


@pytest.mark.parametrize(
    "weekly, message",
    [
        ({7: [(time(9), time(17))]}, "unknown weekday 7"),
        ({"mon": [(time(9), time(17))]}, "unknown weekday 'mon'"),
        ({0: [(time(17), time(9))]}, r"weekly\.mon: closing time 09:00 is not after"),
        ({0: [("09:00", "17:00")]}, "must be datetime.time values"),
        ({0: [(time(9, tzinfo=UTC), time(17))]}, "without tzinfo"),
    ],
)
def test_constructor_validates_weekly(weekly, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar("UTC", weekly, frozenset())


@pytest.mark.parametrize(
    "change, message",
    [
        ({"P1": {"first_response": 30, "next_response": 60}}, r"sla\.P1\.resolution is required"),
        ({"P1": {"first_response": -5, "next_response": 60, "resolution": 480}}, "positive whole"),
        ({"P1": {"first_response": 0, "next_response": 60, "resolution": 480}}, "positive whole"),
        ({"P1": {"first_response": "30", "next_response": 60, "resolution": 480}}, "positive"),
        ({"P1": {"first_response": 30, "next_response": 60, "resolution": 480, "x": 1}}, "unknown"),
        ({"P1": 30}, r"sla\.P1 must map first_response"),
        ({"warn_at": 1.5}, r"sla\.warn_at must be in \(0, 1\]"),
        ({"warn_at": 0}, r"sla\.warn_at must be in \(0, 1\]"),
        ({"warn_at": "80%"}, r"sla\.warn_at must be a fraction"),
    ],
)
def test_sla_policy_rejects_bad_configuration(shop, change, message):
    with pytest.raises(ValueError, match=message):
        SlaPolicy.from_config({**shop["sla"], **change})


def test_sla_policy_defaults_and_errors():
    policy = SlaPolicy.from_config(
        {"P9": {"first_response": 1, "next_response": 2, "resolution": 3}}
    )
    assert policy.warn_at == 0.8
    assert policy.target("P9").minutes("resolution") == 3
    with pytest.raises(ValueError, match=r"no priorities defined"):
        SlaPolicy.from_config({"warn_at": 0.5})
    with pytest.raises(ValueError, match=r"unknown priority 'P1' \(known: P9\)"):
        policy.target("P1")
    with pytest.raises(ValueError, match="unknown SLA clock 'reply'"):
        policy.target("P9").minutes("reply")


# --------------------------------------------------------------------------- calendar queries


def test_friday_afternoon_plus_two_hours_is_saturday_morning(cal):
    assert cal.add_business_minutes(london(2026, 1, 9, 17), 120) == utc(2026, 1, 10, 11)
    # Same in summer, where Saturday 11:00 local is 10:00Z.
    assert cal.add_business_minutes(london(2026, 7, 3, 17), 120) == utc(2026, 7, 4, 10)


def test_saturday_before_closing_plus_one_hour_is_monday(cal):
    assert cal.add_business_minutes(london(2026, 1, 10, 13, 30), 60) == utc(2026, 1, 12, 9, 30)


def test_start_outside_hours_counts_from_next_opening(cal):
    assert cal.add_business_minutes(london(2026, 1, 11, 23), 30) == utc(2026, 1, 12, 9, 30)
    assert cal.add_business_minutes(london(2026, 1, 12, 6), 30) == utc(2026, 1, 12, 9, 30)
    assert cal.add_business_minutes(london(2026, 1, 12, 18), 30) == utc(2026, 1, 13, 9, 30)


def test_zero_minutes_is_start_when_open_else_next_opening(cal):
    assert cal.add_business_minutes(london(2026, 1, 12, 10, 15), 0) == utc(2026, 1, 12, 10, 15)
    assert cal.add_business_minutes(london(2026, 1, 11, 12), 0) == utc(2026, 1, 12, 9)


def test_count_ending_at_closing_time_returns_closing_time(cal):
    assert cal.add_business_minutes(london(2026, 1, 9, 17), 60) == utc(2026, 1, 9, 18)
    assert cal.add_business_minutes(london(2026, 1, 9, 17), 60.5) == utc(2026, 1, 10, 10, 0, 30)


def test_results_are_utc_for_inputs_in_any_zone(cal):
    start = datetime(2026, 1, 9, 12, tzinfo=NEW_YORK)  # 17:00 in London
    result = cal.add_business_minutes(start, 120)
    assert result == utc(2026, 1, 10, 11) and result.tzinfo is UTC
    opened = cal.next_open(datetime(2026, 1, 12, 5, tzinfo=NEW_YORK))  # 10:00 London
    assert opened == utc(2026, 1, 12, 10) and opened.tzinfo is UTC


def test_is_open_boundaries_are_half_open(cal):
    assert not cal.is_open(london(2026, 1, 12, 8, 59, 59))
    assert cal.is_open(london(2026, 1, 12, 9))
    assert cal.is_open(london(2026, 1, 12, 17, 59, 59))
    assert not cal.is_open(london(2026, 1, 12, 18))
    assert cal.is_open(london(2026, 1, 10, 13))  # Saturday
    assert not cal.is_open(london(2026, 1, 11, 13))  # Sunday
    assert not cal.is_open(london(2026, 12, 25, 12))  # Christmas, a Friday
    # 07:00 in New York on Friday 25 Dec is 12:00 in London: the London holiday applies.
    assert not cal.is_open(datetime(2026, 12, 25, 7, tzinfo=NEW_YORK))
    assert cal.is_open(datetime(2026, 12, 24, 7, tzinfo=NEW_YORK))


def test_next_open(cal):
    at = london(2026, 1, 12, 11, 22, 33)
    assert cal.next_open(at) == at
    assert cal.next_open(london(2026, 1, 12, 18)) == utc(2026, 1, 13, 9)
    assert cal.next_open(london(2026, 1, 10, 14)) == utc(2026, 1, 12, 9)


def test_saturday_opening_moves_in_utc_with_summer_time(cal):
    assert cal.next_open(utc(2026, 1, 10, 0)) == utc(2026, 1, 10, 10)
    assert cal.next_open(utc(2026, 7, 4, 0)) == utc(2026, 7, 4, 9)
    assert cal.next_close(utc(2026, 7, 4, 0)) == utc(2026, 7, 4, 13)


def test_holidays_are_skipped(cal):
    # Thursday 24 Dec 2026, 17:00: one hour left; 25 (Fri) and 26 (Sat) are holidays, 27 Sunday.
    assert cal.add_business_minutes(london(2026, 12, 24, 17), 120) == utc(2026, 12, 28, 10)
    assert cal.next_open(london(2026, 12, 25, 12)) == utc(2026, 12, 28, 9)
    assert cal.business_minutes_between(london(2026, 12, 24, 0), london(2026, 12, 29, 0)) == 540 * 2
    # 2027: 25 Dec is a Saturday, 27 and 28 are the substitute bank holidays.
    assert cal.next_open(london(2027, 12, 24, 18)) == utc(2027, 12, 29, 9)


def test_spring_forward_weekend(cal):
    # Clocks go forward on Sunday 29 March 2026. Saturday is GMT, Monday is BST.
    assert cal.add_business_minutes(london(2026, 3, 28, 13, 30), 60) == utc(2026, 3, 30, 8, 30)
    assert cal.add_business_minutes(london(2026, 3, 27, 17), 120) == utc(2026, 3, 28, 11)
    assert cal.next_open(london(2026, 3, 29, 12)) == utc(2026, 3, 30, 8)
    friday_close, monday_10 = london(2026, 3, 27, 18), london(2026, 3, 30, 10)
    assert cal.business_minutes_between(friday_close, monday_10) == 240 + 60


def test_fall_back_weekend(cal):
    # Clocks go back on Sunday 25 October 2026. Saturday is BST, Monday is GMT.
    assert cal.add_business_minutes(london(2026, 10, 24, 13, 30), 60) == utc(2026, 10, 26, 9, 30)
    assert cal.next_open(london(2026, 10, 24, 8)) == utc(2026, 10, 24, 9)
    assert cal.next_open(london(2026, 10, 25, 12)) == utc(2026, 10, 26, 9)
    assert cal.business_minutes_between(london(2026, 10, 24, 10), london(2026, 10, 26, 10)) == 300


def test_intervals_spanning_the_clock_change_count_real_time():
    always = {day: [(time(0), END_OF_DAY)] for day in range(7)}
    round_the_clock = BusinessCalendar("Europe/London", always, frozenset())
    spring = round_the_clock.business_minutes_between(london(2026, 3, 29), london(2026, 3, 30))
    autumn = round_the_clock.business_minutes_between(london(2026, 10, 25), london(2026, 10, 26))
    assert (spring, autumn) == (23 * 60, 25 * 60)

    early_sunday = BusinessCalendar("Europe/London", {6: [(time(0), time(6))]}, frozenset())
    assert early_sunday.add_business_minutes(london(2026, 3, 29), 300) == utc(2026, 3, 29, 5)
    assert early_sunday.add_business_minutes(london(2026, 3, 29), 301) == utc(2026, 4, 4, 23, 1)
    assert early_sunday.add_business_minutes(london(2026, 10, 25), 420) == utc(2026, 10, 25, 6)
    assert early_sunday.next_close(london(2026, 10, 25, 3)) == utc(2026, 10, 25, 6)


def test_a_skipped_local_date_is_not_double_counted():
    # Samoa skipped Friday 30 December 2011 (UTC-10 -> UTC+14).
    always = {day: [(time(0), END_OF_DAY)] for day in range(7)}
    apia = ZoneInfo("Pacific/Apia")
    samoa = BusinessCalendar("Pacific/Apia", always, frozenset())
    start, end = datetime(2011, 12, 29, tzinfo=apia), datetime(2012, 1, 1, tzinfo=apia)
    assert samoa.business_minutes_between(start, end) == (
        end.astimezone(UTC) - start.astimezone(UTC)
    ) / timedelta(minutes=1)
    assert samoa.business_minutes_between(start, end) == 48 * 60
    # The missing date's 09:00-17:00 maps onto the next date's: counted once.
    office = BusinessCalendar("Pacific/Apia", {d: [(time(9), time(17))] for d in range(7)})
    assert office.business_minutes_between(start, end) == 2 * 8 * 60


def test_split_shifts():
    calendar = split_calendar()
    monday = (2026, 1, 12)
    assert calendar.add_business_minutes(london(*monday, 11, 30), 60) == utc(*monday, 13, 30)
    assert calendar.next_open(london(*monday, 12, 15)) == utc(*monday, 13)
    assert not calendar.is_open(london(*monday, 12))
    assert calendar.business_minutes_between(london(*monday, 8), london(*monday, 18)) == 450
    assert calendar.next_close(london(*monday, 10)) == utc(*monday, 12)
    # Tuesday 17:00 + 60: 30 min left, then next Monday 09:00 + 30.
    assert calendar.add_business_minutes(london(2026, 1, 13, 17), 60) == utc(2026, 1, 19, 9, 30)


def test_minutes_between_across_a_weekend(cal):
    assert cal.business_minutes_between(london(2026, 1, 9, 17), london(2026, 1, 12, 10)) == 360
    assert cal.business_minutes_between(london(2026, 1, 10, 14), london(2026, 1, 12, 9)) == 0
    assert cal.business_minutes_between(london(2026, 1, 12, 10), london(2026, 1, 12, 10)) == 0
    assert cal.business_minutes_between(london(2026, 1, 12, 11), london(2026, 1, 12, 10)) == 0
    assert cal.business_minutes_between(
        london(2026, 1, 12, 9, 0, 30), london(2026, 1, 12, 9, 1)
    ) == pytest.approx(0.5)


def test_minutes_between_over_two_years_matches_a_day_by_day_count(cal):
    expected, day = 0, date(2026, 1, 1)
    while day < date(2028, 1, 1):
        if day not in cal.holidays:
            expected += {5: 240, 6: 0}.get(day.weekday(), 540)
        day += timedelta(days=1)
    assert cal.business_minutes_between(london(2026, 1, 1), london(2028, 1, 1)) == expected
    start = london(2026, 1, 2, 9)
    assert cal.add_business_minutes(start, expected - 540) == utc(2027, 12, 31, 18)


def _reference_minutes(calendar: BusinessCalendar, start: datetime, minutes: int) -> int:
    """Open minutes among ``minutes`` whole minutes from ``start``, judged by wall clock."""
    tz = ZoneInfo(calendar.timezone)
    count = 0
    for step in range(minutes):
        local = (start + timedelta(minutes=step)).astimezone(tz)
        if local.date() in calendar.holidays:
            continue
        wall = local.time().replace(tzinfo=None)
        if any(a <= wall < b for a, b in calendar.weekly[local.weekday()]):
            count += 1
    return count


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_minutes_between_agrees_with_a_minute_by_minute_reference(cal, seed):
    rng = random.Random(seed)
    anchors = [utc(2026, 3, 26), utc(2026, 10, 22), utc(2026, 12, 22), utc(2026, 6, 1)]
    for calendar in (cal, split_calendar()):
        for anchor in anchors:
            start = anchor + timedelta(minutes=rng.randrange(3 * 24 * 60))
            span = rng.randrange(1, 4 * 24 * 60)
            got = calendar.business_minutes_between(start, start + timedelta(minutes=span))
            assert got == _reference_minutes(calendar, start, span)


def test_next_close(cal):
    assert cal.next_close(london(2026, 1, 12, 10)) == utc(2026, 1, 12, 18)
    assert cal.next_close(london(2026, 1, 12, 19)) == utc(2026, 1, 13, 18)  # next period's end
    overnight = BusinessCalendar(
        "UTC", {4: [(time(22), END_OF_DAY)], 5: [(time(0), time(6))]}, frozenset()
    )
    assert overnight.next_close(utc(2026, 1, 9, 23)) == utc(2026, 1, 10, 6)
    always = BusinessCalendar.always_open()
    assert always.next_close(utc(2026, 1, 9, 23)) is None
    with_holiday = BusinessCalendar(
        "UTC", always.weekly, frozenset({date(2026, 1, 20), date(2025, 1, 1)})
    )
    assert with_holiday.next_close(utc(2026, 1, 9, 23)) == utc(2026, 1, 20)
    assert with_holiday.next_close(utc(2026, 1, 20, 12)) is None  # no later holiday


def test_always_open():
    always = BusinessCalendar.always_open()
    assert always.timezone == "UTC"
    start = utc(2026, 1, 9, 23, 15)
    assert always.is_open(start)
    assert always.add_business_minutes(start, 24 * 60) == start + timedelta(days=1)
    assert always.business_minutes_between(start, start + timedelta(days=30)) == 30 * 24 * 60


def test_bad_arguments(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_open(datetime(2026, 1, 12, 10))
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        cal.add_business_minutes(datetime(2026, 1, 12, 10), 5)
    with pytest.raises(ValueError, match="must not be negative"):
        cal.add_business_minutes(london(2026, 1, 12, 10), -1)
    with pytest.raises(ValueError, match="must be finite"):
        cal.add_business_minutes(london(2026, 1, 12, 10), float("nan"))
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        cal.business_minutes_between(london(2026, 1, 12, 10), datetime(2026, 1, 12, 11))


# --------------------------------------------------------------------------- pauses


def test_pauses_are_merged_and_clipped(cal):
    start, now = london(2026, 1, 12, 9), london(2026, 1, 12, 17)  # 480 business minutes
    pauses = [
        Pause(london(2026, 1, 12, 10), london(2026, 1, 12, 11)),
        Pause(london(2026, 1, 12, 10, 30), london(2026, 1, 12, 11, 30)),  # overlaps: 10:00-11:30
        Pause(london(2026, 1, 12, 11, 30), london(2026, 1, 12, 12)),  # touches: 10:00-12:00
        Pause(london(2026, 1, 12, 8), london(2026, 1, 12, 9, 15)),  # before start: 15 min
        Pause(london(2026, 1, 12, 16, 45), london(2026, 1, 12, 20)),  # past now: 15 min
        Pause(london(2026, 1, 11, 8), london(2026, 1, 11, 20)),  # entirely before start
    ]
    assert elapsed_business_minutes(cal, start, now, pauses) == 480 - 120 - 15 - 15
    assert elapsed_business_minutes(cal, start, now, list(reversed(pauses))) == 330


def test_pause_outside_business_hours_counts_nothing(cal):
    start, now = london(2026, 1, 9, 17), london(2026, 1, 12, 10)
    night = [Pause(london(2026, 1, 9, 18), london(2026, 1, 10, 10))]
    sunday = [Pause(london(2026, 1, 11, 0), london(2026, 1, 12, 0))]
    assert elapsed_business_minutes(cal, start, now) == 360
    assert elapsed_business_minutes(cal, start, now, night) == 360
    assert elapsed_business_minutes(cal, start, now, sunday) == 360
    assert due_at(cal, start, 120, night) == due_at(cal, start, 120) == utc(2026, 1, 10, 11)


def test_open_pause_runs_to_now_and_hides_due_time(cal):
    start = london(2026, 1, 12, 9)
    pauses = [Pause(london(2026, 1, 12, 10), None)]
    assert elapsed_business_minutes(cal, start, london(2026, 1, 13, 12), pauses) == 60
    assert due_at(cal, start, 120, pauses) is None
    # Reached before the open pause began: that instant stays known.
    assert due_at(cal, start, 30, pauses) == utc(2026, 1, 12, 9, 30)
    assert due_at(cal, start, 60, pauses) == utc(2026, 1, 12, 10)


def test_closed_pause_moves_due_time(cal):
    start = london(2026, 1, 12, 9)
    pauses = [Pause(london(2026, 1, 12, 10), london(2026, 1, 12, 14))]
    assert due_at(cal, start, 120, pauses) == utc(2026, 1, 12, 15)
    pending_overnight = [Pause(london(2026, 1, 12, 17), london(2026, 1, 13, 10))]
    assert due_at(cal, start, 540, pending_overnight) == utc(2026, 1, 13, 11)


def test_pause_validation():
    with pytest.raises(ValueError, match="before it starts"):
        Pause(london(2026, 1, 12, 10), london(2026, 1, 12, 9))
    with pytest.raises(ValueError, match="Pause.start must be timezone-aware"):
        Pause(datetime(2026, 1, 12, 10))
    Pause(london(2026, 1, 12, 10), london(2026, 1, 12, 10))  # empty is fine


@pytest.mark.parametrize("seed", range(5))
def test_due_at_and_elapsed_are_consistent(cal, seed):
    rng = random.Random(seed)
    calendars = [cal, split_calendar(), BusinessCalendar.always_open()]
    base = utc(2026, 1, 1)
    for _ in range(60):
        calendar = rng.choice(calendars)
        start = base + timedelta(seconds=rng.randrange(730 * 86400))
        minutes = rng.choice([rng.randrange(1, 6000), rng.uniform(0.01, 3000)])
        pauses = []
        for _ in range(rng.randrange(4)):
            pause_start = start + timedelta(minutes=rng.uniform(-600, 8000))
            pauses.append(Pause(pause_start, pause_start + timedelta(minutes=rng.uniform(0, 3000))))
        due = due_at(calendar, start, minutes, pauses)
        assert due is not None and due.tzinfo is UTC and due >= start
        assert elapsed_business_minutes(calendar, start, due, pauses) == pytest.approx(
            minutes, abs=1e-6
        )
        # due is the earliest such instant
        before = due - timedelta(seconds=1)
        assert elapsed_business_minutes(calendar, start, before, pauses) < minutes
        if not pauses:
            assert due == calendar.add_business_minutes(start, minutes)
            assert calendar.business_minutes_between(start, due) == pytest.approx(minutes, abs=1e-6)


# --------------------------------------------------------------------------- evaluate


MONDAY_9 = london(2026, 1, 12, 9)


def test_evaluate_running_clock_states_at_the_boundaries(cal, policy):
    # P2 first response: 120 business minutes, warning from 96.
    def state(now: datetime) -> str:
        return evaluate(cal, policy, "P2", "first_response", MONDAY_9, now).state

    assert state(london(2026, 1, 12, 9)) == "ok"
    assert state(london(2026, 1, 12, 10, 35, 59)) == "ok"
    assert state(london(2026, 1, 12, 10, 36)) == "warning"
    assert state(london(2026, 1, 12, 11)) == "warning"  # due_at itself is not a breach
    assert state(london(2026, 1, 12, 11, 0, 1)) == "breached"

    at_due = evaluate(cal, policy, "P2", "first_response", MONDAY_9, london(2026, 1, 12, 11))
    assert at_due.due_at == utc(2026, 1, 12, 11)
    assert (at_due.target_minutes, at_due.elapsed_minutes, at_due.remaining_minutes) == (
        120,
        120,
        0,
    )

    late = evaluate(cal, policy, "P2", "first_response", MONDAY_9, london(2026, 1, 12, 12))
    assert late.state == "breached" and late.remaining_minutes == -60


def test_evaluate_stopped_clock_is_met_or_breached(cal, policy):
    def state(stopped: datetime) -> str:
        now = london(2026, 2, 1, 12)  # long after: now plays no part once stopped
        result = evaluate(cal, policy, "P2", "first_response", MONDAY_9, now, stopped_at=stopped)
        return result.state

    assert state(london(2026, 1, 12, 9, 5)) == "met"
    assert state(london(2026, 1, 12, 10, 50)) == "met"  # past warn_at, still met
    assert state(london(2026, 1, 12, 11)) == "met"  # exactly at due
    assert state(london(2026, 1, 12, 11, 0, 1)) == "breached"
    stopped = evaluate(
        cal,
        policy,
        "P2",
        "first_response",
        MONDAY_9,
        MONDAY_9,
        stopped_at=london(2026, 1, 12, 9, 30),
    )
    assert stopped.remaining_minutes == 90 and stopped.due_at == utc(2026, 1, 12, 11)


def test_breach_waits_for_business_time_after_a_closing_time_due(cal, policy):
    # P1 first response (30 min) requested at 17:30 Friday is due at 18:00 Friday.
    start = london(2026, 1, 9, 17, 30)
    evening = evaluate(cal, policy, "P1", "first_response", start, london(2026, 1, 9, 20))
    assert evening.due_at == utc(2026, 1, 9, 18)
    assert evening.state == "warning" and evening.remaining_minutes == 0
    saturday = evaluate(cal, policy, "P1", "first_response", start, london(2026, 1, 10, 10, 0, 1))
    assert saturday.state == "breached"


def test_evaluate_paused_clock(cal, policy):
    pending = [Pause(london(2026, 1, 12, 10), None)]
    now = london(2026, 1, 14, 12)
    result = evaluate(cal, policy, "P2", "resolution", MONDAY_9, now, pauses=pending)
    assert result.state == "paused" and result.due_at is None
    assert result.elapsed_minutes == 60 and result.remaining_minutes == 1380
    # A pause that began after the target passed does not hide the breach.
    breached = evaluate(cal, policy, "P1", "first_response", MONDAY_9, now, pauses=pending)
    assert breached.state == "breached" and breached.due_at == utc(2026, 1, 12, 9, 30)
    # A pause whose (known) end is still ahead is a pause too.
    ahead = [Pause(london(2026, 1, 12, 10), london(2026, 1, 20, 9))]
    assert evaluate(cal, policy, "P2", "resolution", MONDAY_9, now, pauses=ahead).state == "paused"
    # Pauses after `now` have not happened yet.
    future = [Pause(london(2026, 1, 12, 12), None)]
    early = evaluate(
        cal, policy, "P2", "resolution", MONDAY_9, london(2026, 1, 12, 11), pauses=future
    )
    assert early.state == "ok" and early.due_at == utc(2026, 1, 14, 15)


def test_evaluate_after_a_pause_ended(cal, policy):
    pauses = [Pause(london(2026, 1, 12, 10), london(2026, 1, 12, 14))]
    result = evaluate(
        cal, policy, "P2", "first_response", MONDAY_9, london(2026, 1, 12, 14, 30), pauses=pauses
    )
    assert result.state == "ok" and result.elapsed_minutes == 90
    assert result.due_at == utc(2026, 1, 12, 15)


def test_evaluate_stopped_during_an_open_pause(cal, policy):
    pending = [Pause(london(2026, 1, 12, 10), None)]
    result = evaluate(
        cal,
        policy,
        "P2",
        "resolution",
        MONDAY_9,
        london(2026, 1, 20, 9),
        stopped_at=london(2026, 1, 13, 9),
        pauses=pending,
    )
    assert result.state == "met" and result.elapsed_minutes == 60
    assert result.due_at == utc(2026, 1, 15, 14)  # as if the clock resumed when it stopped


def test_evaluate_before_start_and_bad_arguments(cal, policy):
    early = evaluate(cal, policy, "P3", "next_response", MONDAY_9, london(2026, 1, 12, 8))
    assert early.state == "ok" and early.elapsed_minutes == 0
    with pytest.raises(ValueError, match="unknown priority 'P7'"):
        evaluate(cal, policy, "P7", "first_response", MONDAY_9, MONDAY_9)
    with pytest.raises(ValueError, match="unknown SLA clock 'reply'"):
        evaluate(cal, policy, "P1", "reply", MONDAY_9, MONDAY_9)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        evaluate(cal, policy, "P1", "resolution", MONDAY_9, datetime(2026, 1, 12, 10))


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    "minutes, hours_per_day, text",
    [
        (0, None, "0 min"),
        (45, None, "45 min"),
        (44.6, None, "45 min"),
        (59.6, None, "1 h"),
        (120, None, "2 h"),
        (90, None, "1 h 30 min"),
        (1440, None, "24 h"),
        (2700, 9, "5 business days"),
        (540, 9, "1 business day"),
        (780, 9, "1 business day 4 h"),
        (1470, 8, "3 business days 30 min"),
        (450, 9, "7 h 30 min"),
        (450, 7.5, "1 business day"),
        (-90, None, "-1 h 30 min"),
        (-0.2, None, "0 min"),
    ],
)
def test_format_business_duration(minutes, hours_per_day, text):
    assert format_business_duration(minutes, hours_per_day) == text


def test_format_business_duration_rejects_nonsense():
    with pytest.raises(ValueError, match="hours_per_day must be positive"):
        format_business_duration(60, 0)
    with pytest.raises(ValueError, match="minutes must be a number"):
        format_business_duration("60")
