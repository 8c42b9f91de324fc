"""Unit tests of the hub's pure parts."""

from __future__ import annotations

import pytest

from ticketing.db import async_url
from ticketing.errors import BadRequest, HelpdeskError, Invalid, TooLarge
from ticketing.i18n import normalize_locale, t
from ticketing.rasa_client import parse_turn
from ticketing.services.chat import NewMessage
from ticketing.settings import Settings
from ticketing.tokens import hash_token
from ticketing.web import contract


@pytest.mark.parametrize(
    "url, expected",
    [
        ("sqlite:///var/helpdesk.db", "sqlite+aiosqlite:///var/helpdesk.db"),
        ("postgresql://u:p@db/helpdesk", "postgresql+asyncpg://u:p@db/helpdesk"),
        ("postgres://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("postgresql+asyncpg://u@db/x", "postgresql+asyncpg://u@db/x"),
    ],
)
def test_async_url_picks_the_async_driver(url, expected):
    assert async_url(url) == expected


def test_production_is_named_or_implied_by_a_public_address():
    dev = Settings.from_env({})
    assert dev.environment == "development" and not dev.production and not dev.limit_loopback
    named = Settings.from_env({"HELPDESK_ENV": "production"})
    assert named.production and named.limit_loopback
    public = Settings.from_env({"HUB_HOST": "0.0.0.0"})
    assert public.production and public.limit_loopback
    assert not Settings.from_env({"HUB_HOST": "0.0.0.0", "HELPDESK_ENV": "development"}).production
    assert Settings.from_env({"RATE_LIMIT_LOOPBACK": "1"}).limit_loopback
    with pytest.raises(ValueError, match="HELPDESK_ENV"):
        Settings.from_env({"HELPDESK_ENV": "prod"})


def test_settings_from_env_and_defaults():
    settings = Settings.from_env({"RASA_URL": "http://rasa:5005/", "RASA_TIMEOUT": "2.5"})
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.rasa_timeout == 2.5
    assert settings.database_url == "sqlite:///var/helpdesk.db"
    with pytest.raises(ValueError, match="RASA_TIMEOUT"):
        Settings.from_env({"RASA_TIMEOUT": "soon"})


@pytest.mark.parametrize(
    "tag, locale",
    [(None, "en"), ("en-GB", "en"), ("zh", "zh-CN"), ("zh_Hans_CN", "zh-CN"), ("fr", "en")],
)
def test_normalize_locale(tag, locale):
    assert normalize_locale(tag) == locale


def test_translation_falls_back_to_english_and_fills_values():
    assert "T-000001" in t("handoff_fallback", "en", number="T-000001", position=2)
    assert "T-000001" in t("handoff_fallback", "zh-CN", number="T-000001", position=2)
    assert t("talk_to_person", "fr") == "Talk to a person"


def test_new_message_validation():
    assert NewMessage.from_body({"text": "  hi  "}, 10).text == "hi"
    button = NewMessage.from_body({"payload": "/request_human", "text": "Talk"}, 10)
    assert (button.text, button.for_bot) == ("Talk", "/request_human")
    with pytest.raises(TooLarge):
        NewMessage.from_body({"text": "x" * 11}, 10)
    # the shape is the document's (checked in the web layer), the rest the service's
    path = "/api/chat/sessions/{session_id}/messages"
    for bad in ({"text": ""}, {"text": None}, {"text": 3}, {"payload": ""}, {"payload": 7}):
        with pytest.raises(Invalid):
            contract.check("POST", path, bad)
    for bad in ({}, {"text": "   "}, {"payload": " "}):
        contract.check("POST", path, bad)  # well-shaped ...
        with pytest.raises(Invalid):
            NewMessage.from_body(bad, 10)  # ... but not a message
    with pytest.raises(BadRequest) as not_object:
        contract.check("POST", path, ["hi"])
    assert isinstance(not_object.value, HelpdeskError)


def test_token_hash_is_stable_and_not_the_token():
    assert hash_token("abc") == hash_token("abc") != "abc"
    assert len(hash_token("abc")) == 64


def test_parse_turn_maps_rasa_messages_and_nlu():
    turn = parse_turn(
        {
            "messages": [
                {"recipient_id": "x", "text": "Hi", "buttons": [{"title": "A", "payload": "/a"}]},
                {"recipient_id": "x", "image": "http://img"},
                {"recipient_id": "x", "custom": {"kind": "card"}},
            ],
            "nlu": {
                "intent": {"name": "greet", "confidence": 0.97},
                "entities": [{"entity": "order_number", "value": "NW-1", "start": 0, "end": 4}],
            },
        }
    )
    assert [r.text for r in turn.replies] == ["Hi", "", ""]
    assert turn.replies[0].buttons == [{"title": "A", "payload": "/a"}]
    assert turn.replies[1].custom == {"image": "http://img"}
    assert turn.replies[2].custom == {"kind": "card"}
    assert (turn.intent, turn.confidence) == ("greet", 0.97)
    assert turn.entities[0]["value"] == "NW-1"


def test_a_help_centre_quote_keeps_its_source_and_names_the_section():
    source = {"key": "returns#how-long", "title": "Returns", "url": "/help/returns#how-long",
              "score": 0.74}  # fmt: skip
    turn = parse_turn(
        {
            "messages": [
                {"recipient_id": "x", "text": "From our help centre: You have 30 days."},
                {"recipient_id": "x", "custom": {"source": source}},
            ],
            "nlu": {
                "intent": {"name": "out_of_scope", "confidence": 1.0},
                "response_selector": {
                    "faq": {"response": {"intent_response_key": "faq/returns", "confidence": 0.2}}
                },
                "decision": "answered",
            },
        }
    )
    [reply] = turn.replies  # Rasa's two messages are one answer
    assert reply.text.endswith("30 days.") and reply.custom == {"source": source}
    assert (turn.kb_section, turn.kb_score) == ("returns#how-long", 0.74)
    assert turn.faq_topic is None  # the weak FAQ topic was not what answered


def test_the_hub_runs_on_current_releases_without_rasa():
    """Issue 11.1: the hub's environment is its own (make test runs this file in .venv-hub)."""
    import importlib.util
    import sys

    import aiohttp
    import sqlalchemy

    assert sys.version_info >= (3, 12)
    assert tuple(int(p) for p in aiohttp.__version__.split(".")[:2]) >= (3, 14)
    assert int(sqlalchemy.__version__.split(".")[0]) >= 2
    assert importlib.util.find_spec("rasa") is None


@pytest.mark.parametrize(
    "raw",
    ["NW-104233", "nw 104233", "NW104233", "nw_104233", "NW#104233", "104233", " NW-104233 ",
     "NW-10423", "NW-1042333", "AB-104233", "NW-10423x", "", "T-000123", "nw-104-233"],
)  # fmt: skip
def test_the_hub_and_the_assistant_read_order_numbers_alike(raw):
    """Issue 10: one order-number rule (the processes share no code, so the test holds them
    to the same answers)."""
    from bot.actions.common import normalise_order_number
    from ticketing.orders import normalize_order_number

    assert normalize_order_number(raw) == normalise_order_number(raw)
