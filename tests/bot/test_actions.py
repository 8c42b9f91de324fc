"""The custom actions: pure helpers directly, the actions against a small stand-in hub.

The stand-in serves only the internal API calls the actions make (aiohttp test server), so
every branch (found, unknown, malformed, forbidden, hub down) is cheap to reach; the real hub
is exercised end to end in tests/e2e/test_assistant.py.
"""

from __future__ import annotations

import json
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import answers, common, fallback
from bot.actions.complaints import (
    ActionFileComplaint,
    ValidateComplaintForm,
    complaint_summary,
    description_from_opening,
    strict_category,
)
from bot.actions.handoff import ActionHandoff, ValidateHandoffForm, infer_reason, offline_summary
from bot.actions.orders import ActionOrderStatus, ValidateOrderStatusForm, describe_order
from bot.actions.survey import ActionSurveySkip, ValidateSurveyForm
from bot.actions.tickets import ValidateTicketStatusForm, describe_ticket
from tests import contract

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
WINTER_NOW = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)  # a Monday, GMT
SUMMER_NOW = datetime(2026, 7, 6, 9, 0, tzinfo=timezone.utc)  # a Monday, BST


# --- pure helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NW-104233", "NW-104233"),
        ("nw 104233", "NW-104233"),
        ("nw104233", "NW-104233"),
        ("  NW_104233 ", "NW-104233"),
        ("104233", "NW-104233"),
        ("NW-12", None),
        ("NW-1042333", None),
        ("T-000123", None),
        ("", None),
        (None, None),
        ("<script>alert(1)</script>", None),
    ],
)
def test_order_numbers_are_normalised(text, expected):
    assert common.normalise_order_number(text) == expected


def test_order_candidates_are_found_in_sentences():
    assert common.find_order_candidate("where is nw 104233 please") == "nw 104233"
    assert common.find_order_candidate("my order is NW-12") == "NW-12"
    assert common.find_order_candidate("it was 123456") == "123456"
    assert common.find_order_candidate("I paid £50 for it") is None
    assert common.find_order_candidate("😡😡😡") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("T-000123", "T-000123"), ("t 123", "T-000123"), ("T000045", "T-000045"), ("45", "T-000045"),
     ("T-0", None), ("T-1234567", None), ("ticket", None)],
)  # fmt: skip
def test_ticket_numbers_are_normalised(text, expected):
    assert common.normalise_ticket_number(text) == expected


def test_email_validation():
    assert common.valid_email("jane.doe@example.com")
    assert common.valid_email("j.smith+shop@mail.example.co.uk")
    assert not common.valid_email("jane@")
    assert not common.valid_email("not an email")
    assert not common.valid_email("a" * 300 + "@example.com")
    assert common.find_email("reach me at Sam@Example.ORG thanks") == "Sam@Example.ORG"
    assert common.normalise_email("Sam@Example.ORG") == "Sam@example.org"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5", 5), ("1 – Very dissatisfied", 1), ("4/5", 4), ("three", 3), ("very satisfied", 5),
     ("not satisfied", 2), ("6", None), ("0", None), ("meh?", None), ("", None), (3, 3),
     (True, None)],
)  # fmt: skip
def test_ratings_are_parsed(text, expected):
    assert common.parse_rating(text) == expected


def test_yes_no_and_skip():
    assert common.parse_yes_no("yes") is True
    assert common.parse_yes_no("No, not really") is False
    assert common.parse_yes_no("maybe") is None
    assert common.is_skip("Skip")
    assert common.is_skip("no thanks!")
    assert not common.is_skip("the parcel was late")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("quality", "quality"), ("The agent was rude to me", "staff_attitude"),
     ("you promised next day delivery", "promise_not_kept"),
     ("the kettle is faulty", "quality"), ("Something else", "other"),
     ("what time is it", None)],
)  # fmt: skip
def test_complaint_categories_from_words(text, expected):
    assert common.parse_category(text) == expected


def test_strict_category_and_opening_description():
    assert strict_category("I want to complain, your driver was rude") == "staff_attitude"
    assert strict_category("I need to make a complaint") is None
    assert description_from_opening("I want to make a complaint") is None
    text = "I want to complain about the driver who threw my parcel over the fence yesterday"
    assert description_from_opening(text) == (
        "the driver who threw my parcel over the fence yesterday"
    )


def test_due_times_are_in_uk_time_and_never_earlier_than_promised():
    assert common.format_due("2026-11-23T15:02:10Z", now=WINTER_NOW) == "today by 15:05 (UK time)"
    assert common.format_due("2026-11-24T09:30:00Z", now=WINTER_NOW) == (
        "tomorrow by 09:30 (UK time)"
    )
    assert common.format_due("2026-11-27T11:00:00+00:00", now=WINTER_NOW) == (
        "by Friday 11:00 (UK time)"
    )
    assert common.format_due("2026-12-08T10:00:00Z", now=WINTER_NOW) == (
        "by Tuesday 8 December 10:00 (UK time)"
    )
    # British Summer Time: 10:00 UTC is 11:00 in London
    assert common.format_due("2026-07-06T10:00:00Z", now=SUMMER_NOW) == "today by 11:00 (UK time)"
    assert common.format_due("not a date") is None
    assert common.format_due(None) is None


def test_durations_and_waits():
    assert common.format_business_minutes(120) == "2 business hours"
    assert common.format_business_minutes(30) == "30 business minutes"
    assert common.format_business_minutes(90) == "1 business hour 30 minutes"
    assert common.format_business_minutes("x") is None
    assert common.format_wait(1) == "the expected wait is about a minute"
    assert common.format_wait(12) == "the expected wait is about 12 minutes"
    assert "can't estimate" in common.format_wait(None)
    assert common.format_day("2026-11-27") == "Friday 27 November"


def test_priorities_and_emotions():
    assert common.handoff_priority("requested") == "P3"
    assert common.handoff_priority("complaint") == "P2"
    assert common.handoff_priority("requested", "angry") == "P2"
    assert common.handoff_priority("sentiment", "angry", vip=True) == "P1"
    events = [
        user("hi", "greet", emotion="neutral"),
        user("this is ridiculous", "check_order_status", emotion="frustrated"),
        user("FFS", "out_of_scope", emotion="angry"),
        user("/request_human", "request_human"),
    ]
    assert common.emotions(events) == ["neutral", "frustrated", "angry", "neutral"]
    assert common.strongest_emotion(common.emotions(events, last=3)) == "angry"
    assert common.strongest_emotion([]) == "neutral"


def test_fresh_user_turn_and_interrupted_loop():
    asked = [user("NW-12", "inform"), {"event": "action", "name": "order_status_form"}]
    assert common.fresh_user_turn(asked, "order_status_form")
    resumed = [
        user("when are you open?", "faq"),
        {"event": "action_execution_rejected", "name": "order_status_form"},
        {"event": "action", "name": "utter_faq"},
        {"event": "action", "name": "order_status_form"},
    ]
    assert not common.fresh_user_turn(resumed, "order_status_form")
    interrupted = [
        {"event": "active_loop", "name": "complaint_form"},
        user("I want a person", "request_human"),
        {"event": "action", "name": "action_deactivate_loop"},
        {"event": "active_loop", "name": None},
        {"event": "active_loop", "name": "handoff_form"},
    ]
    assert common.interrupted_loop(interrupted) == "complaint_form"
    assert common.interrupted_loop([user("agent", "request_human")]) is None


def test_order_and_ticket_descriptions():
    text = describe_order(ORDERS["NW-104233"])
    assert "NW-104233 is on its way with DPD" in text
    assert "DPD-0923471" in text and "https://track.example/DPD-0923471" in text
    assert "Expected delivery: Friday 27 November" in text
    processing = describe_order(ORDERS["NW-100002"])
    assert "no tracking number yet" in processing and "Tracking number" not in processing
    assert "was cancelled" in describe_order(ORDERS["NW-100003"])
    ticket = describe_ticket(
        {"number": "T-000123", "kind": "complaint", "stage": "investigating"}, now=WINTER_NOW
    )
    assert ticket.startswith("Your complaint T-000123: we're investigating")
    received = describe_ticket(
        {
            "number": "T-000124",
            "kind": "complaint",
            "stage": "received",
            "first_response_due_at": "2026-11-23T16:00:00Z",
        },
        now=WINTER_NOW,
    )
    assert "today by 16:00 (UK time)" in received


def test_complaint_summary_follows_the_guide():
    answer = {
        "ticket": {"number": "T-000042", "status": "new", "priority": "P2"},
        "priority": "P2",
        "category": "promise_not_kept",
        "order": ORDERS["NW-104233"],
        "first_response_minutes": 120,
        "first_response_due_at": "2026-11-23T16:00:00Z",
    }
    text = complaint_summary(
        answer, "promise_not_kept", "NW-104233", None, "sam@example.org", now=WINTER_NOW
    )
    assert text.startswith("Thank you for telling us")
    assert "T-000042" in text
    assert "a promise we didn't keep" in text and "order NW-104233 (in transit, with DPD)" in text
    assert "investigate" in text and "how satisfied" in text
    assert "today by 16:00 (UK time)" in text and "2 business hours" in text
    assert 'ask me: "status of T-000042"' in text


def test_offline_summary_is_honest():
    info = {"open": False, "next_open": "2026-11-24T09:00:00Z"}
    answer = {"ticket": {"number": "T-000050"}, "first_response_due_at": "2026-11-24T11:00:00Z"}
    text = offline_summary(answer, info, "pat@example.org", now=WINTER_NOW)
    assert "closed right now (we're back tomorrow by 09:00 (UK time))" in text
    assert "T-000050" in text and "by e-mail to pat@example.org tomorrow by 11:00" in text
    no_mail = offline_summary(answer, {"open": True, "agents_online": 0}, None, now=WINTER_NOW)
    assert "No one from our team is free" in no_mail and "check back" in no_mail


def test_fallback_suggestions_are_human_readable():
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "faq", "confidence": 0.35},
            {"name": "check_order_status", "confidence": 0.3},
            {"name": "greet", "confidence": 0.1},
        ],
        "response_selector": {
            "faq": {
                "ranking": [
                    {"intent_response_key": "faq/shipping_time", "confidence": 0.6},
                    {"intent_response_key": "faq/shipping_cost", "confidence": 0.3},
                ]
            }
        },
    }
    buttons = fallback.suggestions(parse)
    titles = [b["title"] for b in buttons]
    assert titles[-1] == "Check the status of an order"
    assert len(buttons) == 3
    first = fallback.faq_questions()["shipping_time"]
    assert buttons[0]["payload"] == first and buttons[0]["title"].endswith("?")
    assert fallback.suggestions({}) == []


# --- a stand-in hub ------------------------------------------------------------------------

ORDERS = {
    "NW-104233": {
        "number": "NW-104233",
        "status": "in_transit",
        "carrier": "DPD",
        "tracking_number": "DPD-0923471",
        "tracking_url": "https://track.example/DPD-0923471",
        "placed_at": "2026-11-20T10:00:00Z",
        "expected_delivery": "2026-11-27",
        "delivered_at": None,
        "items": [{"name": "Kettle", "qty": 1}],
        "total": 39.0,
        "currency": "GBP",
    },
    "NW-100002": {"number": "NW-100002", "status": "processing", "carrier": None,
                  "tracking_number": None, "expected_delivery": "2026-11-30"},
    "NW-100003": {"number": "NW-100003", "status": "cancelled", "carrier": None},
}  # fmt: skip


# the address each order was placed with: the hub shows an order only with it (or to a chat
# whose identity the shop verified: FakeHub.verified), as ticketing/services/lookups.py does
ORDER_EMAILS = {"NW-104233": "ann@example.com", "NW-100002": "chen@example.com",
                "NW-100003": "bob@example.com"}  # fmt: skip


def passage(key: str, title: str, heading: str, quote: str, score: float) -> dict:
    slug, _, anchor = key.partition("#")
    return {"key": key, "slug": slug, "anchor": anchor, "title": title, "heading": heading,
            "url": f"/help/{key}", "category": "returns-refunds", "quote": quote,
            "score": score, "semantic": score, "lexical": 1.5}  # fmt: skip


PASSAGE = passage("returns#how-long", "Returns and refunds", "How long do I have?",
                  "You have 30 days from delivery to return an item.", 0.71)  # fmt: skip
OTHER = passage("exchanges#swap", "Exchanges", "Swapping a size", "Ask us for a swap.", 0.69)


class FakeHub:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.verified = False
        self.availability = {
            "open": True,
            "agents_online": 2,
            "next_open": None,
            "expected_wait_minutes": 4,
            "offline_first_response_due_at": "2026-11-24T11:00:00Z",
            "offline_first_response_minutes": 120,
            "timezone": "Europe/London",
        }
        self.survey = {"offered": False, "answered": False, "skipped": False, "stage": "bot",
                       "about": "service", "ticket": None, "agent": None}  # fmt: skip
        self.customer_email: str | None = None
        self.help: dict = {
            "decision": "none",
            "reason": "no section matches",
            "passages": [],
            "candidates": [],
        }
        self.problems: list[str] = []  # where the stand-in left the document

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        """Answer like the hub, and note where a request or an answer leaves the document
        (tests/contract.py): the stand-in cannot drift from the real internal API."""
        body = await request.json() if request.can_read_body else None
        self.calls.append((request.method, request.path_qs, body))
        self.problems += contract.request_problems(request.method, request.path, body)
        response = await self._answer(request, body)
        answer = json.loads(response.body) if response.content_type == "application/json" else None
        self.problems += contract.response_problems(
            request.method, request.path, response.status, answer
        )
        return response

    async def _answer(self, request: web.Request, body: Any) -> web.Response:
        path = request.path
        if request.headers.get("Authorization") != "Bearer test-token":
            return web.json_response(
                {"error": {"code": "unauthorized", "message": "no"}}, status=401
            )
        if path.startswith("/internal/orders/"):
            number = path.rsplit("/", 1)[1]
            if number == "NW-500000":
                return web.Response(text="<html>Bad gateway</html>", status=502)
            email = request.query.get("email")
            if number in ORDERS and (
                self.verified or (email or "").lower() == ORDER_EMAILS.get(number)
            ):
                return web.json_response(ORDERS[number])
            if email is None:
                return web.json_response(
                    {"error": {"code": "verification_required", "message": "e-mail"}}, status=403
                )
            return web.json_response({"error": {"code": "not_found", "message": "no"}}, status=404)
        if path == "/internal/availability":
            return web.json_response(self.availability)
        if path == "/internal/kb/answer":
            return web.json_response(self.help)
        if path == "/internal/kb/passage":
            if request.query.get("key") != PASSAGE["key"]:
                return web.json_response(
                    {"error": {"code": "not_found", "message": "no"}}, status=404
                )
            return web.json_response(PASSAGE)
        if path.startswith("/internal/tickets/"):
            number = path.rsplit("/", 1)[1]
            if number == "T-000999":
                return web.json_response(
                    {"error": {"code": "forbidden", "message": "no"}}, status=403
                )
            if number != "T-000123":
                return web.json_response(
                    {"error": {"code": "not_found", "message": "no"}}, status=404
                )
            return web.json_response({"number": number, "kind": "complaint", "status": "open",
                                      "stage": "investigating", "priority": "P2",
                                      "assigned": True})  # fmt: skip
        if path == "/internal/complaints":
            return web.json_response(
                {"ticket": {"number": "T-000042", "status": "new", "priority": "P2"},
                 "priority": "P2", "category": body["category"], "order": None,
                 "first_response_minutes": 120,
                 "first_response_due_at": "2026-11-23T16:00:00Z"},
                status=201,
            )  # fmt: skip
        if path.endswith("/handoff"):
            return web.json_response(
                {"ticket": {"number": "T-000043", "status": "new", "priority": "P3"},
                 "created": True, "queue_position": 2, "expected_wait_minutes": 6,
                 "first_response_due_at": "2026-11-24T11:00:00Z"},
                status=201,
            )  # fmt: skip
        if path.endswith("/rating"):
            bad = [k for k, v in body.items() if k not in ("resolved", "comment", "skipped")
                   and not (isinstance(v, int) and 1 <= v <= 5)]  # fmt: skip
            if bad:
                return web.json_response({"error": {"code": "invalid", "message": "x"}}, status=422)
            return web.json_response({"rating": body, "created": True})
        if path.endswith("/survey-offered"):
            return web.json_response({"offered": True})
        if path.endswith("/customer"):
            return web.json_response({"customer": {**body, "verified": False}})
        if path.startswith("/internal/conversations/"):
            return web.json_response(
                {"session_id": "s1", "status": "bot", "locale": "en", "ticket": None,
                 "queue_position": None,
                 "customer": {"name": None, "email": self.customer_email,
                              "verified": self.verified, "vip": False},
                 "survey": self.survey}
            )  # fmt: skip
        return web.json_response({"error": {"code": "not_found", "message": path}}, status=404)


@pytest.fixture
async def hub(aiohttp_server, monkeypatch):
    fake = FakeHub()
    server = await aiohttp_server(fake.app())
    monkeypatch.setenv("HUB_INTERNAL_URL", str(server.make_url("")).rstrip("/"))
    monkeypatch.setenv("HUB_INTERNAL_TOKEN", "test-token")
    yield fake
    assert fake.problems == [], "the stand-in hub left ticketing/openapi.yaml"


@pytest.fixture
def hub_down(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HUB_INTERNAL_URL", f"http://127.0.0.1:{port}")


def user(text: str, intent: str, entities=None, emotion: str | None = None, **extra) -> dict:
    parse = {"intent": {"name": intent, "confidence": 0.95}, "entities": entities or [],
             "text": text}  # fmt: skip
    if emotion:
        parse["emotion"] = {"label": emotion, "score": 0.5}
    return {"event": "user", "text": text, "parse_data": parse, **extra}


def make_tracker(
    text: str = "",
    intent: str = "inform",
    entities=None,
    slots: dict | None = None,
    events: list | None = None,
    loop: str | None = None,
    metadata: dict | None = None,
) -> Tracker:
    all_slots = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}
    all_slots["requested_slot"] = None
    all_slots.update(slots or {})
    message = user(text, intent, entities, metadata=metadata or {})
    history = [*(events or []), message]
    if loop:
        history.append({"event": "action", "name": loop})
    return Tracker(
        "s1",
        all_slots,
        message["parse_data"],
        history,
        False,
        None,
        {"name": loop} if loop else {},
        loop or "action_listen",
    )


def texts(dispatcher: CollectingDispatcher) -> str:
    return " ".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)


def slot_events(events: list) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- order status ----------------------------------------------------------------------------


async def test_order_form_takes_the_number_and_asks_for_the_orders_email(hub):
    tracker = make_tracker("where is nw 104233?", "check_order_status", loop="order_status_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, DOMAIN)
    slots = slot_events(events)
    # the hub shows nothing without the e-mail address on the order: the form asks for it
    assert slots["order_number"] == "NW-104233" and slots["order_email"] is None
    assert "order_lookup" not in slots and dispatcher.messages == []
    # the chat asking goes with the look-up (the hub limits look-ups per chat)
    assert ("GET", "/internal/orders/NW-104233?session_id=s1", None) in hub.calls
    answer = make_tracker(
        "it's Ann@Example.com", "inform",
        slots={"requested_slot": "order_email", "order_number": "NW-104233"},
        loop="order_status_form",
    )  # fmt: skip
    slots = slot_events(await ValidateOrderStatusForm().run(dispatcher, answer, DOMAIN))
    assert slots["order_lookup"]["carrier"] == "DPD" and slots["order_email"] == "Ann@example.com"


async def test_order_form_takes_number_and_email_from_one_message(hub):
    tracker = make_tracker(
        "where is nw 104233? I ordered as ann@example.com", "check_order_status",
        loop="order_status_form",
    )  # fmt: skip
    slots = slot_events(
        await ValidateOrderStatusForm().run(CollectingDispatcher(), tracker, DOMAIN)
    )
    assert slots["order_lookup"]["tracking_number"] == "DPD-0923471"
    assert (
        "GET", "/internal/orders/NW-104233?session_id=s1&email=ann@example.com", None
    ) in hub.calls  # fmt: skip


async def test_a_verified_customer_is_not_asked_for_the_email(hub):
    hub.verified = True
    tracker = make_tracker("where is nw 104233?", "check_order_status", loop="order_status_form")
    slots = slot_events(
        await ValidateOrderStatusForm().run(CollectingDispatcher(), tracker, DOMAIN)
    )
    assert slots["order_email"] == "verified" and slots["order_lookup"]["carrier"] == "DPD"


async def test_a_number_and_email_that_do_not_match_are_reasked(hub):
    tracker = make_tracker(
        "bob@example.com", "inform",
        slots={"requested_slot": "order_email", "order_number": "NW-104233"},
        loop="order_status_form",
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    slots = slot_events(await ValidateOrderStatusForm().run(dispatcher, tracker, DOMAIN))
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_not_matched"]
    assert "ORDER" not in str(slots.get("order_lookup"))  # nothing of the order leaked
    # the number is asked again, the address kept once
    assert slots["order_number"] is None and slots["order_email"] == "bob@example.com"
    assert slots["order_attempts"] == 1 and slots["order_number_retried"] is True
    again = make_tracker(
        "NW-100002", "inform",
        slots={"requested_slot": "order_number", "order_email": "bob@example.com",
               "order_attempts": 1, "order_number_retried": True},
        loop="order_status_form",
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    slots = slot_events(await ValidateOrderStatusForm().run(dispatcher, again, DOMAIN))
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_not_matched"]
    assert slots["order_email"] is None and slots["order_attempts"] == 2  # now both


@pytest.mark.parametrize(
    ("answer", "response"),
    [("NW-12", "utter_order_number_malformed"),
     ("I don't know it", "utter_order_number_malformed"),
     ("🙂🙂🙂", "utter_order_number_malformed"),
     ("<b>x</b>" * 300, "utter_order_number_malformed")],
)  # fmt: skip
async def test_order_form_reasks_with_a_reason(hub, answer, response):
    tracker = make_tracker(
        answer, "inform", slots={"requested_slot": "order_number"}, loop="order_status_form"
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == [response]
    slots = slot_events(events)
    assert slots["order_number"] is None and slots["order_attempts"] == 1


async def test_an_email_that_is_no_email_is_reasked(hub):
    tracker = make_tracker(
        "my usual one", "inform",
        slots={"requested_slot": "order_email", "order_number": "NW-104233"},
        loop="order_status_form",
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    slots = slot_events(await ValidateOrderStatusForm().run(dispatcher, tracker, DOMAIN))
    assert [m["response"] for m in dispatcher.messages] == ["utter_email_invalid"]
    assert slots["order_email"] is None and slots["order_attempts"] == 1


async def test_order_form_leaves_faq_questions_to_the_rules(hub):
    tracker = make_tracker(
        "when are you open?", "faq", slots={"requested_slot": "order_number"},
        loop="order_status_form",
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {} and dispatcher.messages == []


async def test_third_failure_ends_the_form_and_offers_a_person(hub):
    tracker = make_tracker(
        "NW-999998", "inform",
        slots={"requested_slot": "order_number", "order_attempts": 2,
               "order_email": "ann@example.com"},
        loop="order_status_form",
    )  # fmt: skip
    events = await ValidateOrderStatusForm().run(CollectingDispatcher(), tracker, DOMAIN)
    slots = slot_events(events)
    assert slots["requested_slot"] is None and slots["order_attempts"] == 3
    after = make_tracker("NW-999998", "inform", slots={"order_attempts": 3})
    dispatcher = CollectingDispatcher()
    events = await ActionOrderStatus().run(dispatcher, after, DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_order_lookup_failed"
    assert slot_events(events)["handoff_reason"] == "order_lookup_failed"
    assert slot_events(events)["human_offered"] is True


async def test_order_lookup_with_the_hub_down_offers_a_retry(hub_down):
    tracker = make_tracker(
        "NW-104233", "inform", slots={"requested_slot": "order_number"}, loop="order_status_form"
    )
    events = await ValidateOrderStatusForm().run(CollectingDispatcher(), tracker, DOMAIN)
    slots = slot_events(events)
    assert slots["order_lookup"] == {"unavailable": True} and slots["requested_slot"] is None
    dispatcher = CollectingDispatcher()
    after = make_tracker("NW-104233", slots=slots)
    await ActionOrderStatus().run(dispatcher, after, DOMAIN)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_hub_unavailable"
    assert message["retry_payload"] == '/check_order_status{"order_number":"NW-104233"}'


# --- tickets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "response"),
    [("T-000999", "utter_ticket_not_yours"), ("T-000555", "utter_ticket_not_found"),
     ("my ticket", "utter_ticket_number_malformed")],
)  # fmt: skip
async def test_ticket_form_reasks_with_a_reason(hub, answer, response):
    tracker = make_tracker(
        answer, "inform", slots={"requested_slot": "ticket_number"}, loop="ticket_status_form"
    )
    dispatcher = CollectingDispatcher()
    await ValidateTicketStatusForm().run(dispatcher, tracker, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == [response]


async def test_ticket_form_uses_the_ticket_of_this_chat(hub):
    tracker = make_tracker(
        "what's happening with my complaint?", "check_ticket_status",
        slots={"last_ticket_number": "T-000123"}, loop="ticket_status_form",
    )  # fmt: skip
    events = await ValidateTicketStatusForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert slot_events(events)["ticket_lookup"]["stage"] == "investigating"
    assert any("session_id=s1" in path for _, path, _ in hub.calls)


# --- complaints ------------------------------------------------------------------------------


async def test_complaint_form_prefills_from_the_first_message_and_the_hub(hub):
    hub.customer_email = "known@example.com"
    tracker = make_tracker(
        "I want to complain, the delivery driver for NW-104233 was rude and threw my parcel",
        "file_complaint",
        loop="complaint_form",
    )
    events = await ValidateComplaintForm().run(CollectingDispatcher(), tracker, DOMAIN)
    slots = slot_events(events)
    assert slots["complaint_category"] == "staff_attitude"
    assert slots["complaint_order_number"] == "NW-104233"
    assert slots["complaint_order_facts"] is None  # its details are its customer's only
    assert slots["complaint_email"] == "known@example.com"
    assert "rude and threw my parcel" in slots["complaint_description"]


async def test_complaint_email_from_the_hub_skips_the_question(hub):
    """Rasa gets no contact data (issue 12): the address the customer gave the widget comes
    from the hub when the complaint needs it."""
    hub.customer_email = "li@example.cn"
    tracker = make_tracker(
        "I want to make a complaint", "file_complaint", loop="complaint_form",
        metadata={"locale": "en"},
    )  # fmt: skip
    events = await ValidateComplaintForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert slot_events(events)["complaint_email"] == "li@example.cn"


@pytest.mark.parametrize(
    ("slot", "answer", "response"),
    [("complaint_category", "banana", "utter_complaint_category_invalid"),
     ("complaint_description", "bad", "utter_complaint_description_too_short"),
     ("complaint_order_number", "NW-12", "utter_complaint_order_invalid"),
     ("complaint_email", "me at home", "utter_email_invalid")],
)  # fmt: skip
async def test_complaint_form_reasks_with_a_reason(hub, slot, answer, response):
    tracker = make_tracker(answer, "inform", slots={"requested_slot": slot}, loop="complaint_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateComplaintForm().run(dispatcher, tracker, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == [response]
    assert slot_events(events)[slot] is None


async def test_a_complaint_order_is_taken_without_showing_its_details(hub):
    """The hub shows an order's details only to its customer; the complaint form keeps the
    number (the hub checks it when the complaint is filed) and shows nothing of it."""
    tracker = make_tracker(
        "NW-104233", "inform", slots={"requested_slot": "complaint_order_number"},
        loop="complaint_form",
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    slots = slot_events(await ValidateComplaintForm().run(dispatcher, tracker, DOMAIN))
    assert slots["complaint_order_number"] == "NW-104233"
    assert slots["complaint_order_facts"] is None and dispatcher.messages == []


async def test_complaint_order_can_be_skipped(hub):
    tracker = make_tracker(
        "/inform", "inform", [{"entity": "order_number", "value": "none"}],
        slots={"requested_slot": "complaint_order_number"}, loop="complaint_form",
    )  # fmt: skip
    events = await ValidateComplaintForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert slot_events(events)["complaint_order_number"] == "none"


async def test_a_huge_html_description_is_kept_as_text(hub):
    huge = "<script>alert('x')</script> " + "my parcel never came " * 120
    tracker = make_tracker(
        huge, "nlu_fallback", slots={"requested_slot": "complaint_description"},
        loop="complaint_form",
    )  # fmt: skip
    events = await ValidateComplaintForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert slot_events(events)["complaint_description"].startswith("<script>")


async def test_filing_a_complaint_sends_the_fields_and_explains_the_process(hub):
    tracker = make_tracker(
        "sam@example.org",
        slots={"complaint_category": "promise_not_kept", "complaint_description": "It never came",
               "complaint_order_number": "NW-104233", "complaint_email": "sam@example.org"},
        events=[user("you promised it by friday!!!", "file_complaint", emotion="angry")],
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ActionFileComplaint().run(dispatcher, tracker, DOMAIN)
    body = next(b for m, p, b in hub.calls if p == "/internal/complaints")
    assert body == {
        "session_id": "s1",
        "category": "promise_not_kept",
        "description": "It never came",
        "order_number": "NW-104233",
        "email": "sam@example.org",
        "emotion": "angry",
    }
    summary = dispatcher.messages[0]["summary"]
    assert "T-000042" in summary and "status of T-000042" in summary
    assert slot_events(events)["last_ticket_number"] == "T-000042"
    assert slot_events(events)["complaint_category"] is None


async def test_filing_with_the_hub_down_keeps_the_answers_and_offers_a_retry(hub_down):
    tracker = make_tracker(
        "x", slots={"complaint_category": "quality", "complaint_description": "It broke",
                    "complaint_order_number": "none", "complaint_email": "a@example.com"},
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ActionFileComplaint().run(dispatcher, tracker, DOMAIN)
    assert events == []
    assert dispatcher.messages[0]["response"] == "utter_hub_unavailable"
    assert dispatcher.messages[0]["retry_payload"] == "/file_complaint"


# --- hand-off --------------------------------------------------------------------------------


async def test_live_handoff_needs_no_questions_and_reports_the_queue(hub):
    tracker = make_tracker("talk to a person", "request_human", loop="handoff_form")
    events = await ValidateHandoffForm().run(CollectingDispatcher(), tracker, DOMAIN)
    slots = slot_events(events)
    assert slots["handoff_mode"] == "live" and slots["requested_slot"] is None
    assert slots["handoff_reason"] == "requested"
    dispatcher = CollectingDispatcher()
    after = make_tracker("talk to a person", "request_human", slots=slots)
    events = await ActionHandoff().run(dispatcher, after, DOMAIN)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_handoff_done"
    assert message["ticket_number"] == "T-000043" and message["queue_position"] == 2
    assert message["wait"] == "the expected wait is about 6 minutes"
    body = next(b for m, p, b in hub.calls if p.endswith("/handoff"))
    assert body["reason"] == "requested" and "kind" not in body


async def test_offline_handoff_asks_for_an_email_then_creates_an_offline_ticket(hub):
    hub.availability.update(open=False, agents_online=0, next_open="2026-11-24T09:00:00Z")
    tracker = make_tracker("agent", "request_human", loop="handoff_form")
    events = await ValidateHandoffForm().run(CollectingDispatcher(), tracker, DOMAIN)
    slots = slot_events(events)
    assert slots["handoff_mode"] == "offline" and "handoff_email" not in slots
    assert slots.get("requested_slot", "unset") != None  # noqa: E711 - the form goes on
    answer = make_tracker(
        "it's pat@example.org", "inform", slots={**slots, "requested_slot": "handoff_email"},
        loop="handoff_form",
    )  # fmt: skip
    events = await ValidateHandoffForm().run(CollectingDispatcher(), answer, DOMAIN)
    slots.update(slot_events(events))
    assert slots["handoff_email"] == "pat@example.org"
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, make_tracker("x", slots=slots), DOMAIN)
    body = next(b for m, p, b in hub.calls if p.endswith("/handoff"))
    assert body["kind"] == "offline" and body["email"] == "pat@example.org"
    assert "pat@example.org" in dispatcher.messages[0]["summary"]


async def test_handoff_reason_comes_from_the_button_or_the_interrupted_form():
    tracker = make_tracker("x", slots={"handoff_reason": "sentiment"})
    assert infer_reason(tracker) == "sentiment"
    events = [{"event": "active_loop", "name": "complaint_form"}]
    tracker = make_tracker("a person please", "request_human", events=events)
    tracker.events.extend(
        [{"event": "active_loop", "name": None}, {"event": "active_loop", "name": "handoff_form"}]
    )
    assert infer_reason(tracker) == "complaint"


async def test_handoff_with_the_hub_down_apologises(hub_down):
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, make_tracker("agent", "request_human"), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_handoff_failed"
    assert slot_events(events)["handoff_reason"] == "requested"


# --- survey ----------------------------------------------------------------------------------


async def test_survey_starts_once_and_marks_itself_offered(hub):
    tracker = make_tracker("bye", "goodbye", loop="survey_form")
    events = await ValidateSurveyForm().run(CollectingDispatcher(), tracker, DOMAIN)
    slots = slot_events(events)
    assert slots["requested_slot"] == "survey_csat" and slots["survey_done"] is True
    assert ("POST", "/internal/conversations/s1/survey-offered", None) in hub.calls
    again = make_tracker("bye", "goodbye", slots={"survey_done": True}, loop="survey_form")
    events = await ValidateSurveyForm().run(CollectingDispatcher(), again, DOMAIN)
    assert slot_events(events) == {"requested_slot": None}


async def test_survey_not_repeated_when_the_hub_says_it_was_offered(hub):
    hub.survey["offered"] = True
    tracker = make_tracker("bye", "goodbye", loop="survey_form")
    events = await ValidateSurveyForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert slot_events(events)["requested_slot"] is None


async def test_survey_after_a_complaint_asks_about_the_resolution(hub):
    hub.survey.update(stage="human", about="resolution")
    tracker = make_tracker("EXTERNAL: survey", "EXTERNAL_survey", loop="survey_form")
    slots = slot_events(await ValidateSurveyForm().run(CollectingDispatcher(), tracker, DOMAIN))
    assert slots["survey_stage"] == "human" and slots["survey_about"] == "resolution"
    human = await ValidateSurveyForm().required_slots(
        DOMAIN["forms"]["survey_form"]["required_slots"], None, make_tracker(slots=slots), DOMAIN
    )
    assert human == [
        "survey_csat", "survey_resolved", "survey_speed", "survey_problem_solving",
        "survey_attitude", "survey_comment",
    ]  # fmt: skip
    bot = await ValidateSurveyForm().required_slots(
        DOMAIN["forms"]["survey_form"]["required_slots"], None,
        make_tracker(slots={"survey_stage": "bot"}), DOMAIN,
    )  # fmt: skip
    assert bot == ["survey_csat", "survey_resolved", "survey_comment"]


@pytest.mark.parametrize(
    ("slot", "text", "entities", "stored"),
    [("survey_csat", "/inform", [{"entity": "survey_csat", "value": "4"}], {"csat": 4}),
     ("survey_csat", "five stars", [], {"csat": 5}),
     ("survey_resolved", "no", [], {"resolved": False}),
     ("survey_comment", "Quick and friendly", [], {"comment": "Quick and friendly"})],
)  # fmt: skip
async def test_each_survey_answer_is_stored_as_it_comes(hub, slot, text, entities, stored):
    tracker = make_tracker(
        text, "inform", entities, slots={"requested_slot": slot, "survey_stage": "bot"},
        loop="survey_form",
    )  # fmt: skip
    await ValidateSurveyForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert ("POST", "/internal/conversations/s1/rating", stored) in hub.calls


async def test_an_invalid_rating_is_reasked(hub):
    tracker = make_tracker(
        "it was fine I guess 🤷", "inform",
        slots={"requested_slot": "survey_csat", "survey_stage": "bot"}, loop="survey_form",
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ValidateSurveyForm().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_survey_rating_invalid"
    assert slot_events(events)["survey_csat"] is None
    assert not [c for c in hub.calls if c[1].endswith("/rating")]


async def test_skipping_the_survey_is_recorded(hub):
    dispatcher = CollectingDispatcher()
    await ActionSurveySkip().run(dispatcher, make_tracker("/stop", "stop"), DOMAIN)
    assert ("POST", "/internal/conversations/s1/rating", {"skipped": True}) in hub.calls
    assert dispatcher.messages[0]["response"] == "utter_survey_skipped"


def test_only_questions_interrupt_a_form():
    assert common.interrupts("order_status_form", "faq", "how much is delivery?")
    assert common.interrupts("order_status_form", "faq", "when are you open")
    assert not common.interrupts("order_status_form", "faq", "it is pat at example dot org")
    assert common.interrupts("order_status_form", "request_human", "a person please")
    assert not common.interrupts("order_status_form", "check_order_status", "where is it")
    assert not common.interrupts("survey_form", "EXTERNAL_survey", "")
    assert not common.interrupts("order_status_form", "inform", "NW-1")


async def test_a_hub_answering_html_errors_counts_as_unavailable(hub):
    tracker = make_tracker(
        "NW-500000", "inform", slots={"requested_slot": "order_number"}, loop="order_status_form"
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events)["order_lookup"] == {"unavailable": True}
    assert dispatcher.messages == []


def test_the_shop_time_zone_comes_from_shop_yml(tmp_path, monkeypatch):
    from bot.actions import common

    assert (common.SHOP_TIMEZONE, common.TZ_LABEL) == ("Europe/London", "UK time")  # shop.yml
    other = tmp_path / "shop.yml"
    other.write_text(
        "business_hours:\n  timezone: Asia/Shanghai\n  timezone_label: Beijing time\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SHOP_FILE", str(other))
    assert common._shop_time() == ("Asia/Shanghai", "Beijing time")
    monkeypatch.setenv("SHOP_FILE", str(tmp_path / "missing.yml"))
    assert common._shop_time() == ("UTC", "UTC")


# --- answers from the help centre --------------------------------------------------------


def weak_faq_turn(text: str, reason: str = "weak_faq_match", events=None) -> Tracker:
    tracker = make_tracker(text, "out_of_scope", events=events)
    tracker.latest_message["ood"] = {"out_of_domain": True, "reason": reason}
    return tracker


async def test_a_confident_help_centre_passage_is_quoted_with_its_source(hub):
    hub.help = {
        "decision": "answer",
        "reason": "similarity 0.71",
        "passages": [PASSAGE],
        "candidates": [],
    }
    dispatcher = CollectingDispatcher()
    events = await answers.ActionOutOfScope().run(
        dispatcher, weak_faq_turn("can I still send my jumper back"), DOMAIN
    )
    [message] = dispatcher.messages
    assert message["text"] == "From our help centre: " + PASSAGE["quote"]
    assert message["custom"]["source"] == {
        "key": "returns#how-long",
        "title": "Returns and refunds",
        "heading": "How long do I have?",
        "url": "/help/returns#how-long",
        "score": 0.71,
    }
    assert slot_events(events) == {"turn_decision": "answered"}
    asked = [c for c in hub.calls if c[1] == "/internal/kb/answer"]
    assert asked == [("POST", "/internal/kb/answer",
                      {"text": "can I still send my jumper back", "strict": False})]  # fmt: skip


async def test_two_close_passages_become_a_choice_and_the_choice_is_answered(hub):
    hub.help = {
        "decision": "choose",
        "reason": "close",
        "passages": [PASSAGE, OTHER],
        "candidates": [],
    }
    dispatcher = CollectingDispatcher()
    events = await answers.ActionOutOfScope().run(dispatcher, weak_faq_turn("swap it"), DOMAIN)
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [
        '/faq{"faq_topic":"kb:returns#how-long"}',
        '/faq{"faq_topic":"kb:exchanges#swap"}',
        "/something_else",
    ]
    assert buttons[0]["title"] == "Returns and refunds › How long do I have?"
    assert slot_events(events) == {"turn_decision": "clarified"}

    dispatcher = CollectingDispatcher()
    chosen = make_tracker(
        "", "faq", entities=[{"entity": "faq_topic", "value": "kb:returns#how-long"}]
    )
    events = await answers.ActionAnswerFaq().run(dispatcher, chosen, DOMAIN)
    assert dispatcher.messages[0]["custom"]["source"]["key"] == "returns#how-long"
    assert slot_events(events) == {"turn_decision": "answered"}

    dispatcher = CollectingDispatcher()
    gone = make_tracker("", "faq", entities=[{"entity": "faq_topic", "value": "kb:archived#x"}])
    events = await answers.ActionAnswerFaq().run(dispatcher, gone, DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert slot_events(events) == {"turn_decision": "declined"}


async def test_no_good_passage_is_declined_and_off_topic_asks_strictly(hub):
    dispatcher = CollectingDispatcher()
    events = await answers.ActionOutOfScope().run(
        dispatcher, weak_faq_turn("will it rain", "closer_to_off_topic"), DOMAIN
    )
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert slot_events(events) == {"turn_decision": "declined"}
    assert hub.calls[-1][2] == {"text": "will it rain", "strict": True}


async def test_other_languages_and_other_shops_never_reach_the_help_centre(hub):
    hub.help = {"decision": "answer", "reason": "x", "passages": [PASSAGE], "candidates": []}
    for text, reason in (("我想退货", "language"), ("where is my ASOS order", "other_company"),
                         ("<b>hi</b>", "markup")):  # fmt: skip
        dispatcher = CollectingDispatcher()
        await answers.ActionOutOfScope().run(dispatcher, weak_faq_turn(text, reason), DOMAIN)
        assert "custom" not in dispatcher.messages[0] or not dispatcher.messages[0]["custom"]
    assert not [c for c in hub.calls if c[1].startswith("/internal/kb/")]


async def test_a_turn_answered_from_the_help_centre_is_no_decline_in_a_row(hub):
    earlier = [
        user("can I send it back", "out_of_scope"),
        {"event": "slot", "name": "turn_decision", "value": "answered"},
    ]
    dispatcher = CollectingDispatcher()
    await answers.ActionOutOfScope().run(
        dispatcher, weak_faq_turn("tell me a joke", "closer_to_off_topic", earlier), DOMAIN
    )
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"  # not "..._again"
    declined = [user("a joke", "out_of_scope"), {"event": "slot", "name": "turn_decision",
                                                  "value": "declined"}]  # fmt: skip
    dispatcher = CollectingDispatcher()
    await answers.ActionOutOfScope().run(
        dispatcher, weak_faq_turn("tell me a joke", "closer_to_off_topic", declined), DOMAIN
    )
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope_again"
