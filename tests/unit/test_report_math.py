"""The arithmetic and text handling behind the supervisor reports (no database)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml

from scripts.envs import RASA_PYTHON
from ticketing.errors import HelpdeskError, Invalid
from ticketing.privacy.masking import mask_email, mask_name, mask_text, masks_pii
from ticketing.reports import stats
from ticketing.reports.csv_export import encode_rows, safe_cell
from ticketing.reports.improvement import (
    existing_examples,
    label_vocabulary,
    render_nlu_yaml,
    sanitize_example,
)
from ticketing.reports.outcomes import outcome
from ticketing.reports.periods import Period, bucket_label, bucket_start, buckets, parse_period
from ticketing.reports.satisfaction import DEFAULT_WEIGHTS, csi_weights, parse_weights
from ticketing.reports.text import group_similar, normalise, top_words, words
from ticketing.reports.timing import BusinessClock, parse_pauses
from ticketing.shop import load_shop
from ticketing.sla import BusinessCalendar, elapsed_business_minutes

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


# ------------------------------------------------------------------ stats


def test_nearest_rank_percentiles():
    assert stats.percentile([], 50) is None
    assert stats.percentile([7], 90) == 7
    assert stats.percentile([10, 20], 50) == 10  # rank ceil(0.5 * 2) = 1
    assert stats.percentile([30, 10, 20, 40], 50) == 20
    assert stats.percentile([30, 10, 20, 40], 90) == 40  # rank ceil(3.6) = 4
    values = list(range(1, 101))
    assert stats.percentile(values, 50) == 50 and stats.percentile(values, 90) == 90
    assert stats.durations([15, 60, 150]) == {"count": 3, "avg": 75.0, "p50": 60, "p90": 150}
    with pytest.raises(ValueError):
        stats.percentile([1], 0)


def test_pearson_slope_delta_rate():
    assert stats.pearson([1, 2, 3, 4, 5], [5, 3, 4, 2, 1]) == pytest.approx(-0.9)
    assert stats.pearson([1, 2], [1, 2]) is None  # fewer than 3 pairs
    assert stats.pearson([3, 3, 3], [1, 2, 3]) is None  # no variance
    assert stats.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert stats.slope([0, 2]) == 2.0 and stats.slope([1, 2, 3, 4]) == 1.0
    assert stats.slope([5]) is None
    assert stats.direction(0.0) == "flat" and stats.direction(-1) == "down"
    assert stats.delta(8, 2) == {"change": 6, "relative": 3.0}
    assert stats.delta(1, 0) == {"change": 1, "relative": None}
    assert stats.delta(None, 3) == {"change": None, "relative": None}
    assert stats.rate(1, 0) is None and stats.rate(1, 4) == 0.25
    assert stats.distribution([1, 5, 5, 7]) == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 2}


# ------------------------------------------------------------------ periods


def test_period_parsing_and_previous():
    today = date(2026, 3, 10)
    default = parse_period({}, LONDON, today=today)
    assert (default.start, default.end, default.days) == (date(2026, 3, 4), today, 7)
    assert parse_period({"from": "2026-03-01"}, LONDON, today=today).end == date(2026, 3, 7)
    assert parse_period({"to": "2026-03-07"}, LONDON, today=today).start == date(2026, 3, 1)
    period = parse_period({"from": "2026-03-02", "to": "2026-03-08"}, LONDON)
    assert period.previous() == Period(date(2026, 2, 23), date(2026, 3, 1), LONDON)
    for query in ({"from": "x"}, {"from": "2026-03-09", "to": "2026-03-08"}):
        with pytest.raises(Invalid):
            parse_period(query, LONDON, today=today)
    with pytest.raises(HelpdeskError):
        parse_period({"from": "2020-01-01", "to": "2026-01-01"}, LONDON)


def test_period_bounds_in_local_time():
    summer = Period(date(2026, 7, 1), date(2026, 7, 1), LONDON)
    assert summer.start_utc == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert summer.end_utc == datetime(2026, 7, 1, 23, tzinfo=UTC)
    spring = Period(date(2026, 3, 29), date(2026, 3, 29), LONDON)  # a 23-hour day
    assert spring.end_utc - spring.start_utc == timedelta(hours=23)
    assert summer.contains(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    assert not summer.contains(datetime(2026, 7, 1, 23, tzinfo=UTC))
    assert summer.local_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)


def test_buckets():
    period = Period(date(2026, 2, 23), date(2026, 3, 8), LONDON)
    assert buckets(period, "week") == [date(2026, 2, 23), date(2026, 3, 2)]
    assert buckets(period, "month") == [date(2026, 2, 1), date(2026, 3, 1)]
    assert len(buckets(period, "day")) == 14
    assert bucket_start(date(2026, 3, 8), "week") == date(2026, 3, 2)
    assert bucket_label(date(2026, 3, 2), "week") == "2026-W10"
    assert bucket_label(date(2026, 3, 1), "month") == "2026-03"


# ------------------------------------------------------------------ privacy


def test_masking():
    assert mask_email("ann@example.com") == "a**@example.com"
    assert mask_email("jo@example.com") == "j**@example.com"
    assert mask_email("carl@example.com") == "c***@example.com"
    assert mask_email(None) is None and mask_email("") == ""
    assert mask_name("Ann Smith") == "A** S****"
    assert mask_text("mail ann@example.com or call +44 20 7946 0000, order NW-104233") == (
        "mail a**@example.com or call +## ## #### ####, order NW-######"
    )

    class Person:
        def __init__(self, role):
            self.role = role

    class Default:
        mask_pii_for_supervisors = False

    class Configured:
        mask_pii_for_supervisors = True

    assert not masks_pii(Person("supervisor"), Default())
    assert masks_pii(Person("agent"), Default())

    assert masks_pii(Person("supervisor"), Configured())
    assert not masks_pii(Person("admin"), Configured())


# ------------------------------------------------------------------ CSV


def test_csv_injection_guard():
    assert safe_cell("=SUM(A1:A2)") == "'=SUM(A1:A2)"
    for start in ("+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}x") == f"'{start}x"
    assert safe_cell("plain") == "plain"
    assert safe_cell(-0.5) == -0.5 and safe_cell(3) == 3
    assert safe_cell(None) == "" and safe_cell(True) == "true"
    assert safe_cell(date(2026, 3, 2)) == "2026-03-02"
    assert safe_cell(at(2, 10)) == "2026-03-02T10:00:00Z"
    assert encode_rows([["a,b", '"q"', "=1"]]) == b'"a,b","""q""",\'=1\r\n'


# ------------------------------------------------------------------ text


def test_normalise_and_words():
    assert normalise("Where is my order NW-104233??") == "where is my order"
    assert normalise("where is my order nw-555123") == "where is my order"
    assert normalise("  I paid 25.99 twice!! ") == "i paid twice"
    assert normalise("12345") == ""
    assert words("The lamp arrived broken. Order NW-104233, broken again!") == [
        "lamp",
        "arrived",
        "broken",
        "order",
        "broken",
    ]
    assert words("I don't like it") == []
    assert top_words(["broken lamp", "lamp broken broken", "box"], limit=2) == [
        {"word": "broken", "count": 3},
        {"word": "lamp", "count": 2},
    ]


def test_group_similar_merges_near_duplicates():
    keys = ["where is my order", "where is my order please", "where is order", "refund please"]
    groups = group_similar(keys, {"where is my order": 5})
    assert [(g.key, sorted(g.members)) for g in groups] == [
        ("where is my order", ["where is my order", "where is my order please"]),
        ("refund please", ["refund please"]),
        ("where is order", ["where is order"]),  # 3/4 = 0.75 < 0.8
    ]
    assert [g.members for g in group_similar(["", "x"])] == [[""], ["x"]]


def test_group_similar_is_fast_on_thousands():
    rng = random.Random(3)
    vocabulary = [f"w{i}" for i in range(400)]
    keys = list({" ".join(rng.sample(vocabulary, rng.randint(2, 9))) for _ in range(5000)})
    started = time.perf_counter()
    groups = group_similar(keys)
    assert time.perf_counter() - started < 3
    assert sum(len(g.members) for g in groups) == len(keys)
    for group in groups[:200]:  # every member is similar to its leader
        leader = set(group.key.split())
        for member in group.members:
            tokens = set(member.split())
            assert len(leader & tokens) / len(leader | tokens) >= 0.8


# ------------------------------------------------------------------ timing


@pytest.mark.parametrize("calendar_name", ["shop", "split", "always"])
def test_business_clock_matches_the_sla_calendar(calendar_name):
    calendar = {
        "shop": load_shop().calendar,  # Europe/London, Saturdays short, holidays
        "split": BusinessCalendar.from_config(
            {
                "timezone": "America/New_York",
                "weekly": {
                    "mon": [["08:00", "12:00"], ["13:00", "17:30"]],
                    "sun": ["22:00", "24:00"],
                },
                "holidays": ["2026-11-26"],
            }
        ),
        "always": BusinessCalendar.always_open(),
    }[calendar_name]
    assert parse_pauses([{"start": "2026-03-03T10:45:00Z", "end": None}, {"bad": 1}])[0].end is None
    rng = random.Random(11)
    clock = BusinessClock(calendar)
    base = datetime(2026, 3, 1, tzinfo=UTC)  # spans cross both DST changes and holidays
    for _ in range(400):
        start = base + timedelta(minutes=rng.randrange(0, 400 * 24 * 60))
        end = start + timedelta(minutes=rng.choice((5, 90, 600, 3000, 20000)) * rng.random())
        pauses = []
        if rng.random() < 0.5:
            p_start = start + (end - start) * rng.random()
            p_end = None if rng.random() < 0.2 else p_start + timedelta(hours=rng.random() * 30)
            pauses = [{"start": p_start.isoformat(), "end": p_end and p_end.isoformat()}]
        expected = elapsed_business_minutes(calendar, start, end, parse_pauses(pauses))
        assert clock.minutes(start, end, pauses) == pytest.approx(expected, abs=1e-6)


def test_outcomes():
    # handed off, handled, customer gone, last customer message not understood
    assert outcome(False, False, True, False) == "contained"
    assert outcome(False, False, True, True) == "abandoned_bot"
    assert outcome(False, False, False, True) == "ongoing"
    assert outcome(True, True, True, False) == "escalated"
    assert outcome(True, True, False, True) == "escalated"
    assert outcome(True, False, True, False) == "abandoned_queue"
    assert outcome(True, False, False, False) == "ongoing"


# ------------------------------------------------------------------ CSI weights


def test_csi_weights():
    assert parse_weights("speed=0.3,problem_solving=0.4,attitude=0.3", "x") == pytest.approx(
        {"speed": 0.3, "problem_solving": 0.4, "attitude": 0.3}
    )
    assert parse_weights({"speed": 1, "attitude": 1}, "x") == {
        "speed": 0.5,
        "problem_solving": 0.0,
        "attitude": 0.5,
    }
    for bad in ("speed", "speed=x", "price=1", "speed=-1", "speed=0,attitude=0"):
        with pytest.raises(ValueError):
            parse_weights(bad, "CSI_WEIGHTS")
    shop = load_shop()
    assert csi_weights(shop) == (DEFAULT_WEIGHTS, "default") or csi_weights(shop)[1] == "shop.yml"
    weights, source = csi_weights(shop, "speed=2,problem_solving=2")
    assert source == "env" and weights["speed"] == 0.5 and weights["attitude"] == 0.0
    with pytest.raises(HelpdeskError):
        csi_weights(shop, "nonsense")


# ------------------------------------------------------------------ NLU export


def test_sanitize_example():
    assert sanitize_example("  where is\nmy order?  ") == "where is my order?"
    assert sanitize_example("see [this](link) {x}") == "see (this)(link) {x}"
    assert sanitize_example("tab\there\u2028line\x00\x7f") == "tab here line"
    assert sanitize_example("\ufeff") is None and sanitize_example("") is None
    assert sanitize_example("x" * 501) is None


def test_rendered_nlu_yaml_round_trips():
    tricky = [
        "what's: the # price?",
        "\"quoted\" and 'single'",
        "- starts with a dash",
        "key: value | pipe > arrow",
        "@mention & *star* !bang %percent",
        "emoji 🙂 and 中文",
        "=cmd|' /C calc'!A0",
        "--- three dashes",
    ]
    examples = {"out_of_scope": [sanitize_example(t) for t in tricky], "faq/shipping_cost": ["x"]}
    text = render_nlu_yaml(examples, ["a comment: with colon"])
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    parsed = {
        block["intent"]: [line[2:] for line in block["examples"].splitlines()]
        for block in data["nlu"]
    }
    assert parsed == examples
    assert yaml.safe_load(render_nlu_yaml({})) == {"version": "3.1", "nlu": []}


READ_WITH_RASA = """
import json, sys
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
data = RasaYAMLReader().reads(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps([[m.get("intent"), m.get("text"), m.get("entities") or []]
                  for m in data.intent_examples]))
"""


def test_rasa_reads_the_export(tmp_path):
    """Rasa's own reader (in Rasa's environment) reads the export as it was meant."""
    examples = {
        "out_of_scope": [sanitize_example(t) for t in ("see [this](link)", "a: b # c", "- x")],
        "faq/shipping_cost": ["how much is postage"],
    }
    path = tmp_path / "export.yml"
    path.write_text(render_nlu_yaml(examples), encoding="utf-8")
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", READ_WITH_RASA, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    parsed = json.loads(result.stdout.strip().splitlines()[-1])
    found = {(intent, text) for intent, text, _ in parsed}
    assert found == {
        ("out_of_scope", "see (this)(link)"),
        ("out_of_scope", "a: b # c"),
        ("out_of_scope", "- x"),
        ("faq", "how much is postage"),
    }
    assert all(not entities for _, _, entities in parsed)


def test_label_vocabulary(tmp_path):
    (tmp_path / "domain.yml").write_text(
        'version: "3.1"\nintents:\n  - greet\n  - request_human:\n      use_entities: []\n'
        "  - nlu_fallback\n"
    )
    faq = tmp_path / "bot" / "data" / "faq"
    faq.mkdir(parents=True)
    (faq / "orders.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: faq/cost\n    examples: |\n      - How much?\n'
        '      - what does it cost\nresponses:\n  utter_faq/cost:\n    - text: "3.95"\n'
        "  utter_greet:\n    - text: hi\n"
    )
    assert label_vocabulary(tmp_path) == {"greet", "request_human", "faq/cost", "out_of_scope"}
    assert existing_examples(tmp_path) == {"how much?", "what does it cost"}
    (tmp_path / "domain.yml").write_text('version: "3.1"\nintents: [greet, bye]\n')
    # the cache notices the change (a new modification time)
    stamp = (tmp_path / "domain.yml").stat().st_mtime + 5
    os.utime(tmp_path / "domain.yml", (stamp, stamp))
    assert "bye" in label_vocabulary(tmp_path)
