"""The FAQ knowledge base: sources, facts, generated training data and the held-out set."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from scripts import build_faq

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "nlu" / "faq_heldout.yml"
REQUIRED_TOPICS = {
    "opening_hours",
    "contact_channels",
    "complaint_process",
    "complaint_response_time",
    "return_policy",
    "refund_time",
    "shipping_time",
    "shipping_cost",
    "change_address",
    "cancel_order",
    "payment_methods",
    "invoice",
    "warranty",
    "membership_tiers",
    "loyalty_points",
    "privacy_data_use",
    "delete_my_data",
    "password_reset",
    "update_contact_details",
    "satisfaction_survey",
    "marketing_opt_out",
    "chat_recording",
    "repairs",
}


@pytest.fixture(scope="module")
def topics() -> dict[str, dict]:
    return {key: t for area in build_faq.load_sources().values() for key, t in area.items()}


@pytest.fixture(scope="module")
def heldout() -> dict[str, list[str]]:
    data = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    return {
        block["intent"]: [line[2:].strip() for line in block["examples"].splitlines() if line]
        for block in data["nlu"]
    }


def test_generated_files_are_up_to_date():
    rendered = build_faq.render_all()
    on_disk = set(build_faq.OUT_DIR.glob("*.yml"))
    assert on_disk == set(rendered), "run scripts/build_faq.py"
    for path, text in rendered.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale"


def test_rendering_is_deterministic():
    assert build_faq.render_all() == build_faq.render_all()


def test_generated_files_parse_back_to_the_sources(topics):
    answers = build_faq.render_answers()
    for path, text in build_faq.render_all().items():
        data = yaml.safe_load(text)
        assert data["version"] == "3.1"
        for block in data["nlu"]:
            key = block["intent"].removeprefix("faq/")
            examples = [line[2:] for line in block["examples"].splitlines()]
            assert examples == topics[key]["examples"], path.name
            assert data["responses"][f"utter_faq/{key}"] == [{"text": answers[key]}]


def test_enough_topics_and_the_required_ones(topics):
    assert len(topics) >= 40
    assert REQUIRED_TOPICS <= set(topics)


def test_every_topic_has_enough_varied_examples(topics):
    for key, topic in topics.items():
        assert len(topic["examples"]) >= 10, key


def test_no_example_is_in_two_topics(topics):
    owner: dict[str, str] = {}
    for key, topic in topics.items():
        for example in topic["examples"]:
            norm = build_faq.normalise(example)
            assert owner.setdefault(norm, key) == key, f"{example!r}: {owner[norm]} and {key}"


def test_examples_carry_no_order_or_ticket_numbers(topics):
    for topic in topics.values():
        for example in topic["examples"]:
            assert not re.search(r"\d{4,}|nw-|#\s*\d", example, re.IGNORECASE), example


def test_answers_are_fully_rendered(topics):
    answers = build_faq.render_answers()
    assert set(answers) == set(topics)
    for key, answer in answers.items():
        assert answer and "{{" not in answer and "{%" not in answer and "}}" not in answer, key


def test_heldout_topics_exist_and_are_covered(topics, heldout):
    assert {intent.removeprefix("faq/") for intent in heldout} == set(topics)
    for intent, examples in heldout.items():
        assert intent.startswith("faq/"), intent
        assert len(examples) >= 3, intent


def test_heldout_examples_are_not_training_data(topics, heldout):
    training = {build_faq.normalise(e) for t in topics.values() for e in t["examples"]}
    for examples in heldout.values():
        for example in examples:
            assert build_faq.normalise(example) not in training, example


def test_a_changed_fact_reaches_the_answers():
    shop = copy.deepcopy(build_faq.load_shop())
    shop["shipping"]["standard"]["cost"] = 4.25
    shop["shipping"]["free_over"] = 75
    shop["complaints"]["first_response_priority"] = "P1"
    answers = build_faq.render_answers(shop)
    assert "£4.25" in answers["shipping_cost"] and "£75" in answers["shipping_cost"]
    assert "30 minutes" in answers["complaint_response_time"]
    assert "£4.25" in build_faq.render_all(shop)[build_faq.OUT_DIR / "orders_delivery.yml"]


def test_a_missing_fact_fails_the_build():
    shop = copy.deepcopy(build_faq.load_shop())
    del shop["warranty"]["years"]
    with pytest.raises(build_faq.FaqError, match="warranty"):
        build_faq.render_answers(shop)


@pytest.mark.parametrize(
    "minutes, expected",
    [
        (30, "30 minutes"),
        (60, "1 business hour"),
        (120, "2 business hours"),
        (480, "8 business hours"),
        (540, "1 business day"),
        (1440, "3 business days"),  # 2.7 days, rounded up: never promise more than the target
        (2700, "5 business days"),
    ],
)
def test_business_time_in_customer_words(minutes, expected):
    assert build_faq.business_time(minutes, 540) == expected


def test_opening_hours_sentence():
    weekly = {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    weekly |= {"sat": ["10:00", "14:00"], "sun": []}
    assert build_faq.opening_hours(weekly) == (
        "Monday to Friday 09:00-18:00 and Saturday 10:00-14:00",
        "Sunday",
    )
    assert build_faq.business_day_minutes(weekly) == 540


def test_check_mode_passes_on_the_committed_files(capsys):
    assert build_faq.main(["--check"]) == 0
    assert "FAQ topics" in capsys.readouterr().out
