"""The assistant's decision per turn: stored by the hub, rated by customers, counted honestly.

The chat tests use a stand-in for Rasa's hub channel (what bot/channels.py answers, checked
end to end against the real Rasa in tests/e2e/test_assistant.py); the report test uses a
hand-made history whose every figure is computed by hand below, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest
from aiohttp import web
from sqlalchemy import select

from ticketing.models import Conversation, Message, Ticket
from ticketing.web.app import init_app
from ticketing.web.keys import HUB

from .conftest import Chat

DECLINE = "Sorry, I can't help with that: it's outside what I know about."
ANSWER = "Standard delivery costs £3.95 and takes 3-5 business days."


HELP_SOURCE = {"key": "wood-care#scratches", "title": "Wood care", "heading": "Scratches",
               "url": "/help/wood-care#scratches", "score": 0.52}  # fmt: skip


class StandInRasa:
    """Answers like bot/channels.py: replies plus the NLU result and the decision."""

    def __init__(self) -> None:
        self.triggered: list[dict] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/hub/webhook", self.webhook)
        app.router.add_post("/conversations/{sender}/trigger_intent", self.trigger)
        return app

    async def webhook(self, request: web.Request) -> web.Response:
        text = (await request.json())["message"]
        if "engrave" in text:  # a shop question nothing answers
            nlu = {
                "intent": {"name": "out_of_scope", "confidence": 1.0},
                "ood": {"out_of_domain": True, "score": -0.2, "reason": "weak_faq_match"},
                "decision": "declined",
            }
            return web.json_response({"messages": [{"text": DECLINE}], "nlu": nlu})
        if "scratch" in text:  # answered from the help centre, as Rasa sends it: two messages
            nlu = {
                "intent": {"name": "out_of_scope", "confidence": 1.0},
                "ood": {"out_of_domain": True, "score": -0.1, "reason": "weak_faq_match"},
                "decision": "answered",
            }
            messages = [{"text": "From our help centre: Rub oil along the grain."},
                        {"custom": {"source": HELP_SOURCE}}]  # fmt: skip
            return web.json_response({"messages": messages, "nlu": nlu})
        if "rain" in text:
            nlu = {
                "intent": {"name": "out_of_scope", "confidence": 0.93},
                "ood": {"out_of_domain": True, "score": 0.1234, "reason": "closer_to_off_topic"},
                "decision": "declined",
            }
            return web.json_response({"messages": [{"text": DECLINE}], "nlu": nlu})
        nlu = {
            "intent": {"name": "faq", "confidence": 0.99},
            "response_selector": {
                "faq": {
                    "response": {"intent_response_key": "faq/shipping_cost", "confidence": 0.97}
                }
            },
            "ood": {"out_of_domain": False, "score": -0.41, "reason": None},
            "decision": "answered",
        }
        return web.json_response({"messages": [{"text": ANSWER}], "nlu": nlu})

    async def trigger(self, request: web.Request) -> web.Response:
        self.triggered.append(await request.json())
        buttons = [{"title": "How long does delivery take?", "payload": "/faq"},
                   {"title": "Talk to a person", "payload": "/request_human"}]  # fmt: skip
        return web.json_response(
            {"messages": [{"text": "Sorry that didn't help.", "buttons": buttons}]}
        )


@pytest.fixture
async def rasa(aiohttp_server):
    stand_in = StandInRasa()
    server = await aiohttp_server(stand_in.app())
    stand_in.url = f"http://127.0.0.1:{server.port}"
    return stand_in


@pytest.fixture
async def client(aiohttp_client, settings, rasa):
    return await aiohttp_client(init_app(replace(settings, rasa_url=rasa.url)))


async def _stored(hub, message_id: int) -> Message:
    async with hub.sessions() as db:
        return await db.get(Message, message_id)


async def test_each_turn_stores_the_decision_and_only_answers_are_rateable(
    client, hub, new_chat, make_staff
):
    chat = await new_chat()
    declined = (await chat.send("will it rain in london tomorrow"))["messages"]
    answered = (await chat.send("how much is delivery"))["messages"]
    assert [m["sender"] for m in declined] == ["customer", "bot"]
    assert "rateable" not in declined[1]
    assert answered[1]["rateable"] is True and answered[1]["helpful"] is None

    turn = await _stored(hub, declined[0]["id"])
    assert (turn.intent, turn.decision, turn.ood_score, turn.ood_reason) == (
        "out_of_scope",
        "declined",
        0.1234,
        "closer_to_off_topic",
    )
    assert turn.faq_topic is None
    turn = await _stored(hub, answered[0]["id"])
    assert (turn.intent, turn.decision, turn.faq_topic, turn.faq_confidence) == (
        "faq/shipping_cost",
        "answered",
        "shipping_cost",
        0.97,
    )

    sam = await make_staff("sam@example.com", role="supervisor")
    transcript = await sam.get(f"/api/conversations/{chat.session_id}")
    customer = [m for m in transcript["messages"] if m["sender"] == "customer"]
    assert [(m["decision"], m["ood_reason"]) for m in customer] == [
        ("declined", "closer_to_off_topic"),
        ("answered", None),
    ]
    assert customer[1]["faq_topic"] == "shipping_cost"


async def test_thumbs_down_is_stored_and_offers_alternatives(client, hub, new_chat, rasa):
    chat = await new_chat()
    question, answer = (await chat.send("how much is delivery"))["messages"]
    path = f"/api/chat/sessions/{chat.session_id}/messages/{answer['id']}/feedback"

    response = await client.post(path, json={"helpful": True}, headers=chat.auth)
    assert response.status == 200
    body = await response.json()
    assert body["message"]["helpful"] is True and body["messages"] == []
    assert rasa.triggered == []  # a thumbs up asks the bot for nothing

    response = await client.post(path, json={"helpful": False}, headers=chat.auth)
    body = await response.json()
    assert body["message"]["helpful"] is False
    assert [m["text"] for m in body["messages"]] == ["Sorry that didn't help."]
    assert rasa.triggered == [
        {
            "name": "EXTERNAL_answer_unhelpful",
            "entities": {"feedback_message_id": str(question["id"])},
        }
    ]
    stored = await _stored(hub, answer["id"])
    assert stored.helpful is False and stored.feedback_at is not None
    follow_up = await _stored(hub, body["messages"][0]["id"])
    assert follow_up.reply_to_id == question["id"] and follow_up.sender == "bot"

    # the same rating again changes nothing and asks the bot nothing more
    response = await client.post(path, json={"helpful": False}, headers=chat.auth)
    assert (await response.json())["messages"] == [] and len(rasa.triggered) == 1
    listed = await chat.messages()
    assert [m["id"] for m in listed].count(answer["id"]) == 1
    assert next(m for m in listed if m["id"] == answer["id"])["helpful"] is False


@pytest.mark.parametrize(
    "body", [None, {}, {"helpful": "yes"}, {"helpful": 1}, {"helpful": None}, ["helpful"]]
)
async def test_bad_feedback_bodies_change_nothing(client, hub, new_chat, body):
    chat = await new_chat()
    _, answer = (await chat.send("how much is delivery"))["messages"]
    response = await client.post(
        f"/api/chat/sessions/{chat.session_id}/messages/{answer['id']}/feedback",
        json=body,
        headers=chat.auth,
    )
    assert response.status in (400, 422)
    assert set((await response.json())["error"]) >= {"code", "message"}
    stored = await _stored(hub, answer["id"])
    assert stored.helpful is None and stored.feedback_at is None


async def test_only_this_sessions_answers_can_be_rated(client, hub, new_chat):
    chat, other = await new_chat(), await new_chat()
    question, answer = (await chat.send("how much is delivery"))["messages"]
    declined = (await chat.send("will it rain"))["messages"][1]

    async def rate(who: Chat, message_id: int) -> int:
        response = await client.post(
            f"/api/chat/sessions/{who.session_id}/messages/{message_id}/feedback",
            json={"helpful": False},
            headers=who.auth,
        )
        return response.status

    assert await rate(other, answer["id"]) == 404  # another session's message
    assert await rate(chat, question["id"]) == 409  # a customer message
    assert await rate(chat, declined["id"]) == 409  # a decline is not an answer to rate
    assert await rate(chat, 10**9) == 404
    response = await client.post(
        f"/api/chat/sessions/{chat.session_id}/messages/{answer['id']}/feedback",
        json={"helpful": True},
    )
    assert response.status == 401
    assert (await _stored(hub, answer["id"])).helpful is None


async def test_thumbs_down_with_rasa_down_is_still_stored(aiohttp_client, settings):
    # the default rasa_url of these tests is a port where nothing listens
    client = await aiohttp_client(init_app(settings))
    response = await client.post("/api/chat/sessions", json={})
    session = await response.json()
    auth = {"Authorization": f"Bearer {session['token']}"}
    hub = client.app[HUB]
    async with hub.sessions() as db, db.begin():
        conversation = (
            await db.execute(
                select(Conversation).where(Conversation.public_id == session["session_id"])
            )
        ).scalar_one()
        answer = Message(
            conversation_id=conversation.id, sender="bot", text=ANSWER, buttons=[], rateable=True
        )
        db.add(answer)
    response = await client.post(
        f"/api/chat/sessions/{session['session_id']}/messages/{answer.id}/feedback",
        json={"helpful": False},
        headers=auth,
    )
    assert response.status == 200
    assert (await response.json())["messages"] == []
    assert (await _stored(hub, answer.id)).helpful is False


# ------------------------------------------------------------------ the figures


UTC = timezone.utc


def mar(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def seed_history(hub, agent_id: int) -> None:
    """Six closed conversations on Tue 2026-03-03 (GMT: local = UTC).

    conv  customer turns (intent: decision)              rated answer   outcome
    A     faq/shipping_cost: answered                    helpful        contained
    B     out_of_scope: declined, thank: answered        -              abandoned_bot
    C     faq/return_policy: answered                    unhelpful      abandoned_bot
    D     faq: clarified, faq/refund_time: answered      -              contained
    E     out_of_scope: declined, faq/warranty: answered -              contained
    F     request_human: handed_off                      -              escalated (claimed)

    Turns with a decision: 9 = answered 5, clarified 1, declined 2, handed_off 1.
    declined_rate 2/9, clarification_rate 1/9, helpfulness 1/(1+1), containment 3/6.
    """
    async with hub.sessions() as db, db.begin():
        for index, (key, turns, rated) in enumerate(
            [
                ("a", [("faq/shipping_cost", "answered")], True),
                ("b", [("out_of_scope", "declined"), ("thank", "answered")], None),
                ("c", [("faq/return_policy", "answered")], False),
                ("d", [("faq", "clarified"), ("faq/refund_time", "answered")], None),
                ("e", [("out_of_scope", "declined"), ("faq/warranty", "answered")], None),
                ("f", [("request_human", "handed_off")], None),
            ]
        ):
            start = mar(3, 10 + index)
            conversation = Conversation(
                public_id=f"decisions-{key}",
                token_hash=f"decisions-token-{key}",
                status="closed",
                created_at=start,
                closed_at=mar(3, 10 + index, 30),
                last_customer_message_at=mar(3, 10 + index, len(turns)),
                customer_seen_at=mar(3, 10 + index, len(turns)),
            )
            db.add(conversation)
            await db.flush()
            for minute, (intent, decision) in enumerate(turns, start=1):
                asked = Message(
                    conversation_id=conversation.id,
                    sender="customer",
                    text=f"{key} question {minute}",
                    intent=intent,
                    confidence=0.9,
                    decision=decision,
                    created_at=mar(3, 10 + index, minute),
                    buttons=[],
                )
                db.add(asked)
                await db.flush()
                rateable = intent.startswith("faq/") and decision == "answered"
                db.add(
                    Message(
                        conversation_id=conversation.id,
                        sender="bot",
                        text=f"{key} answer {minute}",
                        reply_to_id=asked.id,
                        rateable=rateable,
                        helpful=rated if rateable else None,
                        feedback_at=mar(3, 10 + index, minute)
                        if rateable and rated is not None
                        else None,
                        created_at=mar(3, 10 + index, minute),
                        buttons=[],
                    )
                )
            if key == "f":
                db.add(
                    Ticket(
                        number="T-900001",
                        conversation_id=conversation.id,
                        reason="requested",
                        status="resolved",
                        assignee_id=agent_id,
                        first_response_at=mar(3, 15, 10),
                        created_at=mar(3, 15, 1),
                    )
                )


async def test_decision_figures_and_honest_containment(client, hub, make_staff):
    dana = await make_staff("dana@example.com")
    sam = await make_staff("sam@example.com", role="supervisor")
    await seed_history(hub, dana.user["id"])
    report = await sam.get("/api/reports/summary?from=2026-03-02&to=2026-03-08")

    assert report["decisions"] == {
        "customer_turns": 9,
        "answered": 5,
        "clarified": 1,
        "declined": 2,
        "handed_off": 1,
        "declined_rate": round(2 / 9, 4),
        "clarification_rate": round(1 / 9, 4),
    }
    assert report["helpfulness"] == {"helpful": 1, "unhelpful": 1, "rate": 0.5}
    outcomes = report["outcomes"]
    assert (outcomes["contained"], outcomes["abandoned_bot"], outcomes["escalated"]) == (3, 2, 1)
    assert outcomes["containment_rate"] == 0.5
    assert report["deltas"]["declined_rate"] == {"change": None, "relative": None}
    assert "declined" in report["how"]["decisions"] and "helpful" in report["how"]["helpfulness"]
    assert "declined" in report["how"]["outcomes"]
    assert report["previous"]["decisions"]["customer_turns"] == 0

    review = await sam.get("/api/nlu/review?from=2026-03-02&to=2026-03-08&threshold=0.5")
    why: dict[str, int] = {}
    for group in review["groups"]:
        for reason, count in group["why"].items():
            why[reason] = why.get(reason, 0) + count
    assert why == {"declined": 2, "unhelpful": 1}


async def test_help_centre_answers_are_stored_rated_and_reported(client, hub, new_chat, make_staff):
    from tests.kb_fixture import seed

    wood = {"title": "Wood care", "category": "product-care", "tags": [], "summary": "",
            "body": "## Scratches\nRub oil along the grain.\n"}  # fmt: skip
    async with hub.sessions() as db, db.begin():
        await seed(db, hub.shop.facts, {"wood-care": wood})
    chat = await new_chat()
    question, answer = (await chat.send("a scratch on my oak table"))["messages"]
    assert answer["custom"] == {"source": HELP_SOURCE}  # one answer, its source attached
    assert answer["rateable"] is True
    turn = await _stored(hub, question["id"])
    assert (turn.decision, turn.kb_section, turn.kb_score, turn.faq_topic) == (
        "answered", "wood-care#scratches", 0.52, None)  # fmt: skip
    path = f"/api/chat/sessions/{chat.session_id}/messages/{answer['id']}/feedback"
    response = await client.post(path, json={"helpful": False}, headers=chat.auth)
    assert response.status == 200
    for text in ("can you engrave my board", "can you engrave my board?", "do you engrave mugs"):
        await chat.send(text)
    await chat.send("will it rain in london tomorrow")  # off-topic: no gap in the help centre

    sam = await make_staff("sam@example.com", role="supervisor")
    transcript = await sam.get(f"/api/conversations/{chat.session_id}")
    first = next(m for m in transcript["messages"] if m["sender"] == "customer")
    assert (first["kb_section"], first["kb_score"]) == ("wood-care#scratches", 0.52)
    report = await sam.get("/api/kb/report")
    gaps = {g["text"]: g for g in report["gaps"]}
    assert gaps["can you engrave my board"]["count"] == 2  # near-duplicates grouped
    assert gaps["can you engrave my board"]["reasons"] == {"declined": 2}
    assert gaps["do you engrave mugs"]["count"] == 1
    assert gaps["a scratch on my oak table"]["reasons"] == {"unhelpful": 1}
    assert not [g for g in report["gaps"] if "rain" in g["text"]]
    [article] = report["articles"]
    assert (article["slug"], article["bot_answers"], article["bot_helpful"]) == (
        "wood-care", 1, {"up": 0, "down": 1})  # fmt: skip
    assert article["bot_helpfulness"] == 0.0
    agent = await make_staff("dana@example.com")
    await agent.get("/api/kb/report", expect=403)
