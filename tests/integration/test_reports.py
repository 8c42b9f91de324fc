"""Supervisor reports on a small hand-made history, on SQLite and PostgreSQL.

The fixture history is inserted row by row with fixed timestamps in March 2026, when
Europe/London is on GMT (local time = UTC), so every expected figure below can be checked by
hand. The shop calendar of these tests is Mon-Fri 09:00-18:00 (Saturday closed).

Current period: Mon 2026-03-02 .. Sun 2026-03-08. Previous period: 2026-02-23 .. 2026-03-01.

  conv  created (UTC)     customer turns (intent, confidence)           ticket / outcome
  P1    Wed 02-25 10:00   greet .99                                     contained (previous)
  P2    Fri 02-27 17:20   request_human .95; 1 turn to the agent        TA requested, Lee
  C0    Mon 03-02 08:00   (none: only the bot's greeting)               not counted
  C1    Mon 03-02 10:00   faq/shipping_cost .95, thank .9                contained, CSAT 5
  C2    Mon 03-02 11:00   nlu_fallback .3, faq/shipping_cost .91         contained, CSAT 3
  C3    Mon 03-02 12:00   4 x nlu_fallback                              abandoned (bot)
  C4    Tue 03-03 09:30   request_human .97; 2 turns to the agent        T1 requested, Dana, CSAT 2
  C5    Tue 03-03 13:58   2 x nlu_fallback                              T2 never claimed, closed
  C6    Wed 03-04 10:00   complaint .92; 1 turn to the agent             T3 complaint, Lee, CSAT 1
  C7    Sat 03-07 20:00   complaint .88                                 T4 in queue, customer here
  C8    Sun 03-08 23:30   faq/returns_policy .55                        contained, survey skipped
  C9    Mon 03-09 00:10   greet .99                                     after the period
  (T5: a complaint ticket without chat, Thu 02-26 11:00 -> 15:00, Bob, staff_attitude)
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from tests.limits import GENEROUS_LIMITS
from ticketing.models import (
    Complaint,
    Conversation,
    Customer,
    Message,
    NluLabel,
    Rating,
    Team,
    Ticket,
    TicketEvent,
    utcnow,
)
from ticketing.reports import improvement, transcripts
from ticketing.settings import Settings
from ticketing.web.app import init_app

from .conftest import INTERNAL_TOKEN, count_rows

ROOT = Path(__file__).resolve().parents[2]
UTC = timezone.utc
WEEK = "from=2026-03-02&to=2026-03-08"
TWO_WEEKS = "from=2026-02-23&to=2026-03-08"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def mar(day: int, hour: int, minute: int = 0) -> datetime:
    return at(3, day, hour, minute)


def feb(day: int, hour: int, minute: int = 0) -> datetime:
    return at(2, day, hour, minute)


@pytest.fixture
def settings(database_url, rasa_url, tmp_path, monkeypatch):
    monkeypatch.delenv("CSI_WEIGHTS", raising=False)
    facts = yaml.safe_load((ROOT / "shop.yml").read_text(encoding="utf-8"))
    facts["business_hours"]["weekly"]["sat"] = []  # Mon-Fri 09:00-18:00 only
    facts["csi"] = {"speed": 0.2, "problem_solving": 0.5, "attitude": 0.3}
    shop_file = tmp_path / "shop.yml"
    shop_file.write_text(yaml.safe_dump(facts, allow_unicode=True), encoding="utf-8")
    return Settings(
        database_url=database_url,
        rasa_url=rasa_url,
        internal_token=INTERNAL_TOKEN,
        rasa_timeout=1.0,
        shop_file=str(shop_file),
        rate_limits=GENEROUS_LIMITS,
    )


@pytest.fixture
async def client(aiohttp_client, settings):
    return await aiohttp_client(init_app(settings))


@pytest.fixture
async def world(hub, make_staff):
    """Staff (Dana and Lee agents, Sam supervisor, Ada admin) and the fixture history."""
    staff = {
        "dana": await make_staff("dana@example.com", name="Dana"),
        "lee": await make_staff("lee@example.com", name="Lee"),
        "sam": await make_staff("sam@example.com", role="supervisor", name="Sam"),
        "ada": await make_staff("ada@example.com", role="admin", name="Ada"),
    }
    ids = await seed(hub, staff["dana"].user["id"], staff["lee"].user["id"])
    return {**staff, **ids}


async def seed(hub, dana: int, lee: int) -> dict:
    now = utcnow()
    async with hub.sessions() as db, db.begin():
        teams = {t.key: t.id for t in (await db.execute(select(Team))).scalars()}
        ann = Customer(email="ann@example.com", name="Ann Smith")
        bob = Customer(email="bob@example.com", name="Bob Jones")
        db.add_all([ann, bob])
        await db.flush()
        convs: dict[str, Conversation] = {}
        msgs: dict[str, list[Message]] = {}

        async def chat(key, created, turns, status="closed", closed=None, offered=None, **extra):
            customer_times = [t[0] for t in turns if t[1] == "customer"]
            conv = Conversation(
                public_id=f"conv-{key.lower()}",
                token_hash=f"token-{key}",
                status=status,
                created_at=created,
                closed_at=closed,
                survey_offered_at=offered,
                last_customer_message_at=max(customer_times) if customer_times else None,
                customer_seen_at=max(customer_times) if customer_times else None,
                **extra,
            )
            db.add(conv)
            await db.flush()
            convs[key] = conv
            msgs[key] = [
                Message(
                    conversation_id=conv.id,
                    sender=sender,
                    text=text,
                    intent=intent,
                    confidence=confidence,
                    emotion="angry" if intent == "complaint" else None,
                    author_id=author,
                    created_at=when,
                    buttons=[],
                )
                for when, sender, text, intent, confidence, author in turns
            ]
            db.add_all(msgs[key])
            return conv

        def c(when, text, intent=None, confidence=None):
            return (when, "customer", text, intent, confidence, None)

        def bot(when, text):
            return (when, "bot", text, None, None, None)

        def agent(when, text, author):
            return (when, "agent", text, None, None, author)

        fb = "nlu_fallback"
        await chat(
            "P1",
            feb(25, 10),
            [c(feb(25, 10), "hello", "greet", 0.99), bot(feb(25, 10), "Hi!")],
            closed=feb(25, 10, 5),
        )
        await chat(
            "P2",
            feb(27, 17, 20),
            [
                c(feb(27, 17, 20), "I need a human please", "request_human", 0.95),
                bot(feb(27, 17, 20), "Passing you to a person."),
                agent(mar(2, 9, 30), "Hello, Lee here. How can I help?", lee),
                c(mar(2, 9, 40), "my parcel never arrived"),
                agent(mar(2, 10, 10), "I have re-sent it today.", lee),
            ],
            closed=mar(2, 12, 35),
            offered=mar(2, 12, 35),
            agent_id=lee,
            customer_id=bob.id,
            customer_name="Bob Jones",
            customer_email="bob@example.com",
        )
        await chat("C0", mar(2, 8), [bot(mar(2, 8), "Hello! How can I help?")], status="bot")
        await chat(
            "C1",
            mar(2, 10),
            [
                c(mar(2, 10), "how much is shipping", "faq/shipping_cost", 0.95),
                bot(mar(2, 10), "Standard delivery costs 3.95."),
                c(mar(2, 10, 1), "thanks", "thank", 0.9),
                bot(mar(2, 10, 1), "You're welcome!"),
            ],
            closed=mar(2, 10, 2),
            offered=mar(2, 10, 2),
        )
        await chat(
            "C2",
            mar(2, 11),
            [
                c(mar(2, 11), "blorp my thing!!", fb, 0.3),
                bot(mar(2, 11), "Sorry, I didn't understand."),
                c(mar(2, 11, 1), "what does delivery cost", "faq/shipping_cost", 0.91),
                bot(mar(2, 11, 1), "Standard delivery costs 3.95."),
            ],
            closed=mar(2, 11, 5),
            offered=mar(2, 11, 5),
        )
        await chat(
            "C3",
            mar(2, 12),
            [
                c(mar(2, 12), "asdf qwerty refund??", fb, 0.25),
                bot(mar(2, 12), "Sorry?"),
                c(mar(2, 12, 1), "Where is my order NW-123456??", fb, 0.4),
                bot(mar(2, 12, 1), "Sorry?"),
                c(mar(2, 12, 2), "where is my order NW-654321", fb, 0.45),
                bot(mar(2, 12, 2), "Sorry?"),
                c(mar(2, 12, 3), "where is my order please", fb, 0.35),
                bot(mar(2, 12, 3), "Sorry?"),
            ],
            status="bot",
        )
        await chat(
            "C4",
            mar(3, 9, 30),
            [
                c(
                    mar(3, 9, 30),
                    "I want to talk to a person about my refund",
                    "request_human",
                    0.97,
                ),
                bot(mar(3, 9, 30), "I'm passing you to a person."),
                agent(mar(3, 9, 45), "Hi, Dana here.", dana),
                c(mar(3, 10), "still waiting for the refund"),
                agent(mar(3, 10, 20), "Refund issued.", dana),
                c(mar(3, 10, 30), "when will it arrive? call me on +44 7700 900123"),
                agent(mar(3, 10, 40), "In 5-10 business days.", dana),
                # the chat went back to the bot: this wait is not the agent's
                c(mar(3, 10, 50), "ok thanks"),
                bot(mar(3, 10, 51), "Is there anything else I can help with?"),
                agent(mar(3, 10, 55), "Bye!", dana),
            ],
            closed=mar(3, 11, 35),
            offered=mar(3, 11, 35),
            agent_id=dana,
            customer_name="Carl",
            customer_email="carl@example.com",
        )
        await chat(
            "C5",
            mar(3, 13, 58),
            [
                c(mar(3, 13, 58), "=cmd|' /C calc'!A0", fb, 0.2),
                bot(mar(3, 13, 58), "Sorry?"),
                c(mar(3, 14), "agent please", fb, 0.4),
            ],
            closed=mar(3, 14, 20),
        )
        await chat(
            "C6",
            mar(4, 10),
            [
                c(mar(4, 10), "My lamp arrived broken and nobody answers", "complaint", 0.92),
                bot(mar(4, 10), "I'm sorry. I've filed your complaint."),
                agent(mar(4, 12, 30), "Lee here, so sorry about the lamp.", lee),
                c(mar(4, 12, 40), "I want a replacement"),
                agent(mar(4, 13), "A replacement is on its way.", lee),
            ],
            closed=mar(5, 10, 2),
            offered=mar(5, 10, 2),
            agent_id=lee,
            customer_id=ann.id,
            customer_name="Ann Smith",
            customer_email="ann@example.com",
        )
        await chat(
            "C7",
            mar(7, 20),
            [
                c(mar(7, 20), "the replacement lamp is also broken, broken!", "complaint", 0.88),
                bot(mar(7, 20), "I've filed your complaint."),
            ],
            status="queued",
            customer_id=ann.id,
            customer_name="Ann Smith",
            customer_email="ann@example.com",
        )
        convs["C7"].customer_seen_at = now  # still in the chat: not abandoned
        await chat(
            "C8",
            mar(8, 23, 30),
            [
                c(mar(8, 23, 30), "how do returns work", "faq/returns_policy", 0.55),
                bot(mar(8, 23, 30), "You can return within 30 days."),
            ],
            closed=mar(8, 23, 40),
            offered=mar(8, 23, 40),
        )
        await chat(
            "C9", mar(9, 0, 10), [c(mar(9, 0, 10), "hi", "greet", 0.99)], closed=mar(9, 0, 15)
        )
        await db.flush()

        def ticket(number, conv, created, reason, team, **fields):
            row = Ticket(
                number=number,
                conversation_id=convs[conv].id if conv else None,
                reason=reason,
                kind=fields.pop("kind", "escalation"),
                priority=fields.pop("priority", "P3"),
                status=fields.pop("status", "resolved"),
                created_at=created,
                team_id=teams[team],
                tags=[],
                pauses=fields.pop("pauses", []),
                **fields,
            )
            db.add(row)
            return row

        ta = ticket(
            "T-000100",
            "P2",
            feb(27, 17, 30),
            "requested",
            "delivery",
            category="delivery",
            assignee_id=lee,
            first_response_at=mar(2, 9, 30),
            resolved_at=mar(2, 12, 30),
            customer_id=bob.id,
        )
        t1 = ticket(
            "T-000101",
            "C4",
            mar(3, 9, 30),
            "requested",
            "billing",
            category="billing",
            assignee_id=dana,
            first_response_at=mar(3, 9, 45),
            resolved_at=mar(3, 11, 30),
            pauses=[{"start": "2026-03-03T10:45:00Z", "end": "2026-03-03T11:00:00Z"}],
            customer_name="Carl",
            customer_email="carl@example.com",
        )
        t2 = ticket("T-000102", "C5", mar(3, 14), "fallback", "general", status="new")
        t3 = ticket(
            "T-000103",
            "C6",
            mar(4, 10),
            "complaint",
            "complaints",
            kind="complaint",
            priority="P2",
            category="quality",
            assignee_id=lee,
            first_response_at=mar(4, 12, 30),
            resolved_at=mar(5, 10),
            breached=True,
            sla_state="breached",
            customer_id=ann.id,
            customer_name="Ann Smith",
            customer_email="ann@example.com",
        )
        t4 = ticket(
            "T-000104",
            "C7",
            mar(7, 20),
            "complaint",
            "complaints",
            kind="complaint",
            priority="P2",
            category="quality",
            status="new",
            customer_id=ann.id,
            customer_name="Ann Smith",
            customer_email="ann@example.com",
        )
        t5 = ticket(
            "T-000105",
            None,
            feb(26, 11),
            "complaint",
            "complaints",
            kind="complaint",
            priority="P2",
            category="staff_attitude",
            assignee_id=lee,
            first_response_at=feb(26, 11, 30),
            resolved_at=feb(26, 15),
            customer_id=bob.id,
            customer_name="Bob Jones",
            customer_email="bob@example.com",
        )
        await db.flush()

        def events(row, *entries):
            for when, kind, actor, data in entries:
                db.add(
                    TicketEvent(
                        ticket_id=row.id, kind=kind, actor_id=actor, data=data, created_at=when
                    )
                )

        events(
            ta,
            (feb(27, 17, 30), "created", None, {"reason": "requested"}),
            (mar(2, 9, 25), "assigned", lee, {"assignee": "Lee"}),
            (mar(2, 9, 30), "message", lee, {"first_response": True}),
            (mar(2, 10, 10), "message", lee, {"first_response": False}),
            (mar(2, 12, 30), "status_changed", lee, {"old": "open", "new": "resolved"}),
            (mar(2, 12, 40), "rating", None, {"csat": 4}),
        )
        events(
            t1,
            (mar(3, 9, 30), "created", None, {"reason": "requested"}),
            (mar(3, 9, 31), "assigned", dana, {"assignee": "Dana"}),
            (mar(3, 9, 45), "message", dana, {"first_response": True}),
            (mar(3, 10, 5), "note", dana, {"text": "Customer email carl@example.com, ref 42"}),
            (mar(3, 10, 20), "message", dana, {"first_response": False}),
            (mar(3, 10, 40), "message", dana, {"first_response": False}),
            (mar(3, 10, 45), "status_changed", dana, {"old": "open", "new": "pending"}),
            (mar(3, 11), "status_changed", None, {"old": "pending", "new": "open"}),
            (mar(3, 11, 30), "status_changed", dana, {"old": "open", "new": "resolved"}),
            (mar(3, 11, 36), "rating", None, {"csat": 2}),
        )
        events(t2, (mar(3, 14), "created", None, {"reason": "fallback"}))
        events(
            t3,
            (mar(4, 10), "created", None, {"reason": "complaint"}),
            (mar(4, 12, 1), "sla_breached", None, {"clocks": ["first_response"]}),
            (mar(4, 12, 25), "assigned", lee, {"assignee": "Lee"}),
            (mar(4, 12, 30), "message", lee, {"first_response": True}),
            (mar(4, 13), "message", lee, {"first_response": False}),
            (mar(5, 10), "status_changed", lee, {"old": "open", "new": "resolved"}),
            (mar(5, 10, 5), "rating", None, {"csat": 1}),
        )
        events(t4, (mar(7, 20), "created", None, {"reason": "complaint"}))
        db.add_all(
            [
                Complaint(
                    ticket_id=t3.id,
                    category="quality",
                    created_at=mar(4, 10),
                    satisfaction=1,
                    description="The lamp arrived broken, the box was crushed. Order "
                    "NW-104233. Broken again!",
                ),
                Complaint(
                    ticket_id=t4.id,
                    category="quality",
                    created_at=mar(7, 20),
                    description="Replacement lamp also broken. Terrible quality.",
                ),
                Complaint(
                    ticket_id=t5.id,
                    category="staff_attitude",
                    created_at=feb(26, 11),
                    description="The agent was rude and hung up on me",
                ),
            ]
        )

        def rating(conv, created, csat, resolved, speed, solving, attitude, stage="bot", **kw):
            db.add(
                Rating(
                    conversation_id=convs[conv].id,
                    created_at=created,
                    csat=csat,
                    resolved=resolved,
                    speed=speed,
                    problem_solving=solving,
                    attitude=attitude,
                    stage=stage,
                    **kw,
                )
            )

        rating("C1", mar(2, 10, 3), 5, True, 5, 5, 5)
        rating("C2", mar(2, 11, 6), 3, True, 4, 3, 2)
        rating("P2", mar(2, 12, 40), 4, True, 3, 4, 5, "human", agent_id=lee, ticket_id=ta.id)
        rating("C4", mar(3, 11, 36), 2, False, 2, 1, 3, "human", agent_id=dana, ticket_id=t1.id)
        rating(
            "C6",
            mar(5, 10, 5),
            1,
            True,
            1,
            2,
            2,
            "human",
            agent_id=lee,
            ticket_id=t3.id,
            about="resolution",
        )
        rating("C8", mar(8, 23, 41), None, None, None, None, None, skipped=True)
        await db.flush()
        return {
            "teams": teams,
            "msg": {key: [m.id for m in rows] for key, rows in msgs.items()},
            "session": {key: conv.public_id for key, conv in convs.items()},
        }


# ------------------------------------------------------------------ dashboard summary


async def test_summary_figures_and_previous_period(world):
    sam = world["sam"]
    s = await sam.get(f"/api/reports/summary?{WEEK}")
    assert s["period"]["from"] == "2026-03-02" and s["period"]["days"] == 7
    assert s["period"]["start_utc"] == "2026-03-02T00:00:00Z"  # GMT: local = UTC
    assert s["previous"]["period"]["from"] == "2026-02-23"
    assert s["previous"]["period"]["to"] == "2026-03-01"

    # C1..C8 (C0: the customer never wrote; C9: after the period)
    assert s["conversations"]["total"] == 8
    # Mon: C1 C2 C3, Tue: C4 C5, Wed: C6, Sat: C7, Sun: C8
    assert [d["count"] for d in s["conversations"]["per_day"]] == [3, 2, 1, 0, 0, 1, 1]
    assert s["conversations"]["per_day"][0]["date"] == "2026-03-02"
    # contained C1 C2 C8; escalated C4 C6; abandoned C3 (bot), C5 (queue); ongoing C7
    assert s["outcomes"] == {
        "contained": 3,
        "escalated": 2,
        "abandoned_bot": 1,
        "abandoned_queue": 1,
        "ongoing": 1,
        "abandoned": 2,
        "containment_rate": 0.375,  # 3 / 8
        "escalation_rate": 0.25,  # 2 / 8
        "abandonment_rate": 0.25,  # 2 / 8
    }
    # tickets from chats created in the period: T1 requested, T2 fallback, T3 + T4 complaint
    assert s["handoffs"] == {
        "total": 4,
        "by_reason": {"complaint": 2, "fallback": 1, "requested": 1},
    }
    # customer turns with an intent: C1 2, C2 2, C3 4, C4 1, C5 2, C6 1, C7 1, C8 1 = 14;
    # nlu_fallback: C2 1 + C3 4 + C5 2 = 7 -> 7 / 14
    assert s["fallback"] == {"customer_turns": 14, "fallback_turns": 7, "rate": 0.5}
    assert s["top_intents"] == [
        {"intent": "complaint", "count": 2, "share": 0.1429},  # 2 / 14
        {"intent": "faq/shipping_cost", "count": 2, "share": 0.1429},
        {"intent": "faq/returns_policy", "count": 1, "share": 0.0714},  # 1 / 14
        {"intent": "request_human", "count": 1, "share": 0.0714},
        {"intent": "thank", "count": 1, "share": 0.0714},
    ]
    assert s["faq_topics"] == [
        {"topic": "shipping_cost", "intent": "faq/shipping_cost", "count": 2},
        {"topic": "returns_policy", "intent": "faq/returns_policy", "count": 1},
    ]

    # scores given in the period: C1 5, C2 3, P2 4 (Mon 12:40), C4 2, C6 1 (C8 skipped)
    csat = s["csat"]
    assert csat["count"] == 5
    assert csat["average"] == 3.0  # (5 + 3 + 4 + 2 + 1) / 5
    assert csat["distribution"] == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1}
    assert csat["satisfaction_rate"] == 0.4  # 4 and 5: 2 of 5
    # survey offered in the period: C1 C2 P2 C4 C6 C8 = 6, of which 5 have a score
    assert (csat["offered"], csat["rated"], csat["response_rate"]) == (6, 5, 0.8333)
    by_agent = {item["agent"]["name"]: item for item in csat["by_agent"]}
    assert (by_agent["Dana"]["average"], by_agent["Dana"]["count"]) == (2.0, 1)
    assert (by_agent["Lee"]["average"], by_agent["Lee"]["count"]) == (2.5, 2)  # (4 + 1) / 2
    assert by_agent["Lee"]["satisfaction_rate"] == 0.5
    by_team = {item["team"]["key"]: item["average"] for item in csat["by_team"]}
    assert by_team == {"billing": 2.0, "complaints": 1.0, "delivery": 4.0}
    by_category = {item["category"]: item["average"] for item in csat["by_category"]}
    assert by_category == {"billing": 2.0, "delivery": 4.0, "quality": 1.0}
    # "resolved?": yes C1 C2 P2 C6, no C4 -> 4 / 5
    assert s["resolved"] == {"answered": 5, "resolved": 4, "rate": 0.8}

    times = s["times"]
    # first replies in the period: TA Fri 17:30 -> Mon 09:30 = 30 + 30 = 60 business minutes
    # (Saturday closed), T1 09:30 -> 09:45 = 15, T3 10:00 -> 12:30 = 150; nearest rank
    assert times["first_response"] == {"count": 3, "avg": 75.0, "p50": 60.0, "p90": 150.0}
    # replies to customer messages while an agent handles the chat: P2 09:40 -> 10:10 = 30,
    # C4 10:00 -> 10:20 = 20 and 10:30 -> 10:40 = 10 (not 10:50 -> 10:55: the bot answered
    # in between), C6 12:40 -> 13:00 = 20
    assert times["next_response"] == {"count": 4, "avg": 20.0, "p50": 20.0, "p90": 30.0}
    # resolved in the period: TA 30 + 210 = 240; T1 120 - 15 pending = 105;
    # T3 Wed 10:00 -> Thu 10:00 = 480 + 60 = 540
    assert times["resolution"] == {"count": 3, "avg": 295.0, "p50": 240.0, "p90": 540.0}
    # T3 breached its first-response clock (P2: 120 min); 4 tickets created in the period
    assert s["sla"] == {
        "breached_tickets": 1,
        "by_clock": {"first_response": 1},
        "tickets_created": 4,
        "breach_rate": 0.25,
    }

    live = s["live"]
    assert live["queue_size"] == 2  # T2 and T4, unclaimed
    assert live["oldest_waiting"]["ticket"] == "T-000102"
    assert live["oldest_waiting"]["session_id"] == world["session"]["C5"]
    assert live["oldest_waiting"]["waiting_since"] == "2026-03-03T14:00:00Z"

    previous = s["previous"]
    assert previous["conversations"]["total"] == 2  # P1, P2
    assert [d["count"] for d in previous["conversations"]["per_day"]] == [0, 0, 1, 0, 1, 0, 0]
    assert previous["outcomes"]["contained"] == 1 and previous["outcomes"]["escalated"] == 1
    assert previous["outcomes"]["containment_rate"] == 0.5
    assert previous["handoffs"] == {"total": 1, "by_reason": {"requested": 1}}  # TA (T5: no chat)
    assert previous["fallback"]["rate"] == 0.0  # greet, request_human
    assert previous["csat"]["count"] == 0 and previous["csat"]["average"] is None
    assert previous["csat"]["response_rate"] is None
    # T5: first reply 11:00 -> 11:30, resolved 11:00 -> 15:00 (Thu)
    assert previous["times"]["first_response"]["p50"] == 30.0
    assert previous["times"]["resolution"]["p50"] == 240.0
    assert previous["times"]["next_response"]["count"] == 0
    assert previous["sla"]["tickets_created"] == 2 and previous["sla"]["breach_rate"] == 0.0

    deltas = s["deltas"]
    assert deltas["conversations"] == {"change": 6, "relative": 3.0}  # 8 vs 2
    assert deltas["containment_rate"] == {"change": -0.125, "relative": -0.25}
    assert deltas["fallback_rate"] == {"change": 0.5, "relative": None}  # from 0
    assert deltas["csat_average"] == {"change": None, "relative": None}  # no previous scores
    assert deltas["first_response_p50"] == {"change": 30.0, "relative": 1.0}  # 60 vs 30
    assert deltas["resolution_p50"] == {"change": 0.0, "relative": 0.0}
    assert set(s["how"]) >= {"conversations", "outcomes", "fallback", "csat", "times", "sla"}
    assert "abandoned" in s["how"]["outcomes"]


async def test_summary_defaults_and_bad_periods(world):
    sam = world["sam"]
    s = await sam.get("/api/reports/summary")
    assert s["period"]["days"] == 7 and len(s["conversations"]["per_day"]) == 7
    for query in (
        "from=2026-03-08&to=2026-03-02",
        "from=yesterday",
        "from=2020-01-01&to=2026-01-01",
    ):
        response = await sam.client.get(
            f"/api/reports/summary?{query}", headers=sam.headers(write=False)
        )
        assert response.status == 422, query
    one_day = await sam.get("/api/reports/summary?from=2026-03-02&to=2026-03-02")
    assert one_day["conversations"]["total"] == 3
    assert one_day["previous"]["period"]["from"] == "2026-03-01"


# ------------------------------------------------------------------ other reports


async def test_complaints_report(world):
    r = await world["sam"].get(f"/api/reports/complaints?{TWO_WEEKS}&group=week")
    assert [b["label"] for b in r["buckets"]] == ["2026-W09", "2026-W10"]
    assert r["total"] == 3 and r["per_bucket"] == [1, 2]  # T5 | T3, T4
    cats = {item["category"]: item for item in r["by_category"]}
    assert cats["quality"]["counts"] == [0, 2]
    assert cats["quality"]["trend"] == {"slope": 2.0, "direction": "up"}
    assert cats["staff_attitude"]["counts"] == [1, 0]
    assert cats["staff_attitude"]["trend"] == {"slope": -1.0, "direction": "down"}
    assert cats["other"]["trend"]["direction"] == "flat"
    assert cats["quality"]["previous_total"] == 0  # nothing in 02-09 .. 02-22
    # T5 240, T3 540 resolved; T4 open
    assert r["resolution"] == {
        "unit": "business_minutes",
        "resolved": 2,
        "unresolved": 1,
        "count": 2,
        "avg": 390.0,
        "p50": 240.0,
        "p90": 540.0,
    }
    after = r["satisfaction_after"]  # the C6 rating about the resolution
    assert (after["count"], after["average"], after["satisfaction_rate"]) == (1, 1.0, 0.0)
    assert after["by_category"][0]["category"] == "quality"
    repeat = r["repeat_complainants"]
    assert repeat["count"] == 1
    assert repeat["customers"][0]["customer"] == {"name": "Ann Smith", "email": "ann@example.com"}
    assert repeat["customers"][0]["tickets"] == ["T-000103", "T-000104"]
    # broken: T3 twice + T4; lamp: T3 + T4; then single words alphabetically
    assert r["top_words"][:4] == [
        {"word": "broken", "count": 3},
        {"word": "lamp", "count": 2},
        {"word": "agent", "count": 1},
        {"word": "arrived", "count": 1},
    ]
    words = {w["word"] for w in r["top_words"]}
    assert not words & {"the", "was", "nw", "104233", "also"}

    monthly = await world["sam"].get(f"/api/reports/complaints?{TWO_WEEKS}&group=month")
    assert [b["label"] for b in monthly["buckets"]] == ["2026-02", "2026-03"]
    assert monthly["per_bucket"] == [1, 2]


async def test_agents_report(world):
    r = await world["sam"].get(f"/api/reports/agents?{WEEK}")
    agents = {item["agent"]["name"]: item for item in r["agents"]}
    assert set(agents) == {"Dana", "Lee"}  # agents; the supervisor and admin did nothing
    dana, lee = agents["Dana"], agents["Lee"]
    assert (dana["chats_handled"], dana["messages_sent"]) == (1, 4)  # C4
    assert (lee["chats_handled"], lee["messages_sent"]) == (2, 4)  # P2, C6
    assert (dana["tickets_handled"], lee["tickets_handled"]) == (1, 2)  # T1 | TA, T3
    assert (dana["tickets_resolved"], lee["tickets_resolved"]) == (1, 2)
    assert dana["first_response"] == {"count": 1, "avg": 15.0, "p50": 15.0, "p90": 15.0}
    assert lee["first_response"] == {"count": 2, "avg": 105.0, "p50": 60.0, "p90": 150.0}
    assert dana["next_response"]["p50"] == 10.0 and dana["next_response"]["p90"] == 20.0
    assert lee["next_response"] == {"count": 2, "avg": 25.0, "p50": 20.0, "p90": 30.0}
    assert dana["resolution"]["p50"] == 105.0
    assert lee["resolution"] == {"count": 2, "avg": 390.0, "p50": 240.0, "p90": 540.0}
    assert (dana["csat"]["average"], dana["csat"]["count"]) == (2.0, 1)
    assert (lee["csat"]["average"], lee["csat"]["count"]) == (2.5, 2)
    teams = {item["team"]["key"]: item for item in r["teams"]}
    assert (teams["billing"]["tickets_handled"], teams["billing"]["chats_handled"]) == (1, 1)
    assert teams["billing"]["resolution"]["p50"] == 105.0
    assert teams["delivery"]["first_response"]["p50"] == 60.0
    assert teams["complaints"]["first_response"]["p50"] == 150.0
    assert teams["complaints"]["csat"]["average"] == 1.0
    assert teams["general"]["tickets_handled"] == 0  # T2: nobody touched it
    assert teams["general"]["csat"]["count"] == 0


async def test_satisfaction_report(world, hub):
    r = await world["sam"].get(f"/api/reports/satisfaction?{TWO_WEEKS}&group=week")
    assert r["weights_source"] == "shop.yml"
    assert r["weights"] == {"speed": 0.2, "problem_solving": 0.5, "attitude": 0.3}
    score = r["score"]
    assert (score["count"], score["average"], score["satisfaction_rate"]) == (5, 3.0, 0.4)
    assert (score["offered"], score["rated"], score["response_rate"]) == (6, 5, 0.8333)
    assert score["resolved_rate"] == 0.8
    dims = r["dimensions"]
    assert dims["speed"] == {"count": 5, "average": 3.0, "score": 50.0}  # (5+4+3+2+1)/5
    assert dims["problem_solving"] == {"count": 5, "average": 3.0, "score": 50.0}  # 5 3 4 1 2
    assert dims["attitude"] == {"count": 5, "average": 3.4, "score": 60.0}  # 5 2 5 3 2
    assert r["csi"] == 53.0  # 0.2 x 50 + 0.5 x 50 + 0.3 x 60
    # speed 5 4 3 2 1 vs csat 5 3 4 2 1: sum dxdy = 9, sum dx2 = sum dy2 = 10 -> 0.9
    assert r["correlation"]["speed"] == {"r": 0.9, "pairs": 5}
    assert r["correlation"]["problem_solving"] == {"r": 0.9, "pairs": 5}
    # attitude: sum dxdy = 8, sum dx2 = 9.2, sum dy2 = 10 -> 8 / sqrt(92)
    assert r["correlation"]["attitude"] == {"r": 0.8341, "pairs": 5}
    assert [t["label"] for t in r["trend"]] == ["2026-W09", "2026-W10"]
    assert r["trend"][0]["count"] == 0 and r["trend"][0]["csi"] is None
    assert r["trend"][1]["csi"] == 53.0
    bot, human = r["by_stage"]["bot"], r["by_stage"]["human"]
    assert (bot["count"], bot["average"], bot["satisfaction_rate"]) == (2, 4.0, 0.5)  # C1 C2
    # speed 4.5 -> 87.5, problem solving 4.0 -> 75, attitude 3.5 -> 62.5
    assert bot["csi"] == 73.75  # 17.5 + 37.5 + 18.75
    assert (human["count"], human["average"]) == (3, 2.3333)  # P2 4, C4 2, C6 1
    # speed 2 -> 25, problem solving 7/3 -> 33.33, attitude 10/3 -> 58.33
    assert human["csi"] == 39.17  # 5 + 16.667 + 17.5
    assert "csi" in r["how"] and "correlation" in r["how"]

    hub.settings = replace(hub.settings, csi_weights="speed=1,problem_solving=1,attitude=2")
    r = await world["sam"].get(f"/api/reports/satisfaction?{WEEK}")
    assert r["weights_source"] == "env"
    assert r["csi"] == 55.0  # (50 + 50 + 2 x 60) / 4


# ------------------------------------------------------------------ transcripts


async def _sessions(staff, query: str) -> list[str]:
    data = await staff.get(f"/api/conversations?{query}")
    return [item["session_id"] for item in data["conversations"]]


async def test_transcript_search_and_filters(world):
    sam, s = world["sam"], world["session"]

    def ids(*keys):
        return [s[k] for k in keys]

    listing = await sam.get(f"/api/conversations?{WEEK}")
    assert listing["total"] == 8
    assert [i["session_id"] for i in listing["conversations"]] == ids(
        "C8", "C7", "C6", "C5", "C4", "C3", "C2", "C1"
    )
    assert (await sam.get("/api/conversations"))["total"] == 11  # P1 P2 C1..C9, not C0
    item = next(i for i in listing["conversations"] if i["session_id"] == s["C6"])
    assert item["customer"] == {"name": "Ann Smith", "email": "ann@example.com"}
    assert item["message_count"] == 5 and item["csat"] == 1 and not item["had_fallback"]
    assert item["handoff_reason"] == "complaint" and not item["contained"]
    assert item["ticket"]["number"] == "T-000103" and item["ticket"]["priority"] == "P2"
    assert item["ticket"]["assignee"] == "Lee" and item["ticket"]["team"] == "complaints"
    assert item["snippet"] == "My lamp arrived broken and nobody answers"

    page = await sam.get(f"/api/conversations?{WEEK}&per_page=3&page=2")
    assert [i["session_id"] for i in page["conversations"]] == ids("C5", "C4", "C3")
    assert (page["total"], page["pages"]) == (8, 3)

    assert await _sessions(sam, f"{WEEK}&q=broken") == ids("C7", "C6")
    assert await _sessions(sam, f"{WEEK}&q=refunds") == ids("C4", "C3")  # stemmed
    assert await _sessions(sam, "q=broken&status=queued") == ids("C7")
    assert await _sessions(sam, 'q=lamp" OR "x') == []  # user input is never FTS syntax
    assert await _sessions(sam, "q=lamp*)") == ids("C7", "C6")
    assert await _sessions(sam, "q=NEAR(") == []
    assert await _sessions(sam, "q=T-000103") == ids("C6")  # a ticket number
    assert await _sessions(sam, f"{WEEK}&contained=true") == ids("C8", "C3", "C2", "C1")
    assert await _sessions(sam, f"{WEEK}&contained=false") == ids("C7", "C6", "C5", "C4")
    assert await _sessions(sam, f"{WEEK}&reason=complaint") == ids("C7", "C6")
    assert await _sessions(sam, f"{WEEK}&agent={world['lee'].user['id']}") == ids("C6")
    assert await _sessions(sam, f"agent={world['lee'].user['id']}") == ids("C6", "P2")
    assert await _sessions(sam, f"{WEEK}&team=billing") == ids("C4")
    assert await _sessions(sam, f"{WEEK}&category=quality&priority=P2") == ids("C7", "C6")
    assert await _sessions(sam, f"{WEEK}&csat=1") == ids("C6")
    assert await _sessions(sam, "csat=4,5") == ids("C1", "P2")
    assert await _sessions(sam, f"{WEEK}&intent=faq/shipping_cost") == ids("C2", "C1")
    assert await _sessions(sam, f"{WEEK}&fallback=true") == ids("C5", "C3", "C2")
    assert len(await _sessions(sam, f"{WEEK}&fallback=false")) == 5
    assert len(await _sessions(sam, f"{WEEK}&status=closed")) == 6
    for bad in ("status=open", "contained=maybe", "csat=9", "team=nope", "agent=me", "priority=P9"):
        response = await sam.client.get(
            f"/api/conversations?{bad}", headers=sam.headers(write=False)
        )
        assert response.status == 422, bad


async def test_transcript_detail_and_masking(world, hub):
    sam, admin, s = world["sam"], world["ada"], world["session"]
    detail = await sam.get(f"/api/conversations/{s['C4']}")
    turns = detail["messages"]
    assert [t["sender"] for t in turns] == [
        "customer",
        "bot",
        "agent",
        "customer",
        "agent",
        "customer",
        "agent",
        "customer",
        "bot",
        "agent",
    ]
    assert (turns[0]["intent"], turns[0]["confidence"]) == ("request_human", 0.97)
    assert turns[2]["author"] == "Dana" and turns[0]["created_at"] == "2026-03-03T09:30:00Z"
    assert "+44 7700 900123" in turns[5]["text"]
    (ticket,) = detail["tickets"]
    assert ticket["number"] == "T-000101"
    assert [e["kind"] for e in ticket["timeline"]][:4] == ["created", "assigned", "message", "note"]
    assert ticket["notes"][0]["data"]["text"] == "Customer email carl@example.com, ref 42"
    assert detail["rating"]["csat"] == 2 and detail["rating"]["agent"] == "Dana"
    complaint = await sam.get(f"/api/conversations/{s['C6']}")
    assert [e["kind"] for e in complaint["tickets"][0]["sla_events"]] == ["sla_breached"]
    assert complaint["tickets"][0]["complaint"]["category"] == "quality"
    await sam.get("/api/conversations/no-such-session", expect=404)

    hub.settings = replace(hub.settings, mask_pii_for_supervisors=True)
    masked = await sam.get(f"/api/conversations/{s['C6']}")
    assert masked["conversation"]["customer"] == {"name": "A** S****", "email": "a**@example.com"}
    assert masked["tickets"][0]["customer"]["email"] == "a**@example.com"
    masked = await sam.get(f"/api/conversations/{s['C4']}")
    assert "900123" not in masked["messages"][5]["text"]
    assert (
        masked["tickets"][0]["notes"][0]["data"]["text"]
        == "Customer email c***@example.com, ref 42"
    )
    listing = await sam.get(f"/api/conversations?{WEEK}&reason=complaint")
    assert listing["conversations"][0]["customer"]["email"] == "a**@example.com"
    report = await sam.get(f"/api/reports/complaints?{TWO_WEEKS}")
    assert report["repeat_complainants"]["customers"][0]["customer"]["email"] == "a**@example.com"
    # admins always see everything
    full = await admin.get(f"/api/conversations/{s['C6']}")
    assert full["conversation"]["customer"]["email"] == "ann@example.com"


# ------------------------------------------------------------------ CSV


async def _csv(staff, path: str) -> list[list[str]]:
    response = await staff.client.get(path, headers=staff.headers(write=False))
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(await response.text())))


async def test_csv_exports(world, hub):
    sam = world["sam"]
    rows = await _csv(sam, f"/api/conversations.csv?{WEEK}")
    header, body = rows[0], rows[1:]
    assert header[:3] == ["session_id", "created_at", "closed_at"]
    assert [r[0] for r in body] == [
        world["session"][k] for k in ("C8", "C7", "C6", "C5", "C4", "C3", "C2", "C1")
    ]
    c5 = dict(zip(header, body[3], strict=True))
    assert c5["first_customer_message"] == "'=cmd|' /C calc'!A0"  # formula defused
    assert c5["ticket"] == "T-000102" and c5["had_fallback"] == "true"
    assert [r[0] for r in (await _csv(sam, "/api/conversations.csv?q=broken"))[1:]] == [
        world["session"]["C7"],
        world["session"]["C6"],
    ]
    # keyset pages of 3 give the same rows as one page
    async with hub.sessions() as db:
        filters = await transcripts.parse_filters(
            db, {"from": "2026-03-02", "to": "2026-03-08"}, ZoneInfo("Europe/London")
        )
        paged = [row async for row in transcripts.iter_csv_rows(db, filters, False, batch=3)]
    assert [r[0] for r in paged] == [r[0] for r in body]

    tickets = await _csv(sam, "/api/tickets.csv")
    header = tickets[0]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in tickets[1:]}
    assert [row[0] for row in tickets[1:]] == [
        "T-000104",
        "T-000103",
        "T-000102",
        "T-000101",
        "T-000100",
        "T-000105",
    ]
    assert by_number["T-000103"]["first_response_business_minutes"] == "150.0"
    assert by_number["T-000103"]["resolution_business_minutes"] == "540.0"
    assert by_number["T-000100"]["first_response_business_minutes"] == "60.0"
    assert by_number["T-000103"]["csat"] == "1" and by_number["T-000103"]["breached"] == "true"
    new = await _csv(sam, "/api/tickets.csv?status=new&team=complaints")
    assert [row[0] for row in new[1:]] == ["T-000104"]

    summary = await _csv(sam, f"/api/reports/summary.csv?{WEEK}")
    assert summary[0] == ["figure", "key", "value", "previous", "change_or_count"]
    assert ["headline", "conversations", "8", "2", "6"] in summary
    assert ["conversations_per_day", "2026-03-02", "3", "0", ""] in summary
    assert ["headline", "containment_rate", "0.375", "0.5", "-0.125"] in summary  # a number
    complaints = await _csv(sam, f"/api/reports/complaints.csv?{TWO_WEEKS}")
    assert ["complaints", "quality", "2026-W10", "2"] in complaints
    agents = await _csv(sam, f"/api/reports/agents.csv?{WEEK}")
    assert ["agent", "Lee", "2", "2", "2", "60.0", "150.0", "240.0", "540.0", "2.5", "2"] in agents
    satisfaction = await _csv(sam, f"/api/reports/satisfaction.csv?{WEEK}")
    assert satisfaction[1][:3] == ["period", "2026-03-02..2026-03-08", "5"]
    assert satisfaction[1][-1] == "53.0"


# ------------------------------------------------------------------ improvement loop


async def test_nlu_review_labels_and_export(world, hub):
    sam, msg = world["sam"], world["msg"]
    review = await sam.get(f"/api/nlu/review?{WEEK}&threshold=0.6")
    # C2 1, C3 4, C5 2 fallbacks + C8 at 0.55 = 8 messages
    assert (review["messages"], review["groups_total"]) == (8, 6)
    first = review["groups"][0]
    assert first["key"] == "where is my order" and first["count"] == 3  # 2 exact + 1 at 0.8
    assert first["intents"] == {"nlu_fallback": 3}
    assert first["examples"] == [
        "where is my order please",
        "where is my order NW-654321",
        "Where is my order NW-123456??",
    ]
    keys = [g["key"] for g in review["groups"]]
    assert keys[1:] == [
        "agent please",
        "asdf qwerty refund",
        "blorp my thing",
        "cmd c",
        "how do returns work",
    ]
    assert (await sam.get(f"/api/nlu/review?{WEEK}&threshold=0.5"))["messages"] == 7  # not C8

    faq = sorted(label for label in improvement.label_vocabulary() if label.startswith("faq/"))[0]
    labelled = await sam.post(
        "/api/nlu/labels", {"message_ids": first["message_ids"], "label": faq}, expect=201
    )
    assert {item["label"] for item in labelled["labels"]} == {faq}
    blorp, cmd, agent_please = msg["C2"][0], msg["C5"][0], msg["C5"][2]
    await sam.post(
        "/api/nlu/labels", {"message_ids": [cmd, blorp], "label": "out_of_scope"}, expect=201
    )
    await sam.post(
        "/api/nlu/labels", {"message_ids": [agent_please], "label": "request_human"}, expect=201
    )
    for body in (
        {"message_ids": [blorp], "label": "no_such_intent"},
        {"message_ids": [blorp], "label": "faq/no_such_topic"},
        {"message_ids": [blorp], "label": "nlu_fallback"},
        {"message_ids": [], "label": "out_of_scope"},
        {"message_ids": ["1"], "label": "out_of_scope"},
        {"message_ids": [msg["C2"][1]], "label": "out_of_scope"},  # a bot message
        {"message_ids": [10**9], "label": "out_of_scope"},
    ):
        await sam.post("/api/nlu/labels", body, expect=422)
    assert await count_rows(hub, "nlu_labels") == 6
    # a new label replaces the old one
    await sam.post(
        "/api/nlu/labels", {"message_ids": [agent_please], "label": "out_of_scope"}, expect=201
    )
    listing = await sam.get("/api/nlu/labels")
    blorp_label = next(item for item in listing["labels"] if item["message_id"] == blorp)
    response = await sam.client.delete(
        f"/api/nlu/labels/{blorp_label['id']}", headers=sam.headers()
    )
    assert response.status == 204
    response = await sam.client.delete(
        f"/api/nlu/labels/{blorp_label['id']}", headers=sam.headers()
    )
    assert response.status == 404
    review = await sam.get(f"/api/nlu/review?{WEEK}")
    assert [g["key"] for g in review["groups"]] == [
        "asdf qwerty refund",
        "blorp my thing",
        "how do returns work",
    ]

    # a plain GET reads only; mark=true records the export
    peek = await sam.client.get("/api/nlu/export", headers=sam.headers(write=False))
    async with hub.sessions() as db:
        assert not any((await db.execute(select(NluLabel.exported_at))).scalars().all())
    response = await sam.client.get("/api/nlu/export?mark=true", headers=sam.headers(write=False))
    assert yaml.safe_load(await peek.text()) == yaml.safe_load(await response.text())
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    exported = yaml.safe_load(await response.text())
    assert exported["version"] == "3.1"
    examples = {
        block["intent"]: [line[2:] for line in block["examples"].splitlines()]
        for block in exported["nlu"]
    }
    assert examples == {
        faq: [
            "Where is my order NW-123456??",
            "where is my order NW-654321",
            "where is my order please",
        ],
        "out_of_scope": ["=cmd|' /C calc'!A0", "agent please"],
    }
    async with hub.sessions() as db:
        marks = (await db.execute(select(NluLabel.exported_at))).scalars().all()
    assert len(marks) == 5 and all(marks)
    only_new = await sam.client.get("/api/nlu/export?only_new=true", headers=sam.headers(False))
    assert yaml.safe_load(await only_new.text())["nlu"] == []


# ------------------------------------------------------------------ improvement actions


async def test_improvement_actions(world, hub):
    sam = world["sam"]
    action = {
        "title": "Stronger lamp packaging",
        "department": "Warehouse",
        "owner": "Pat",
        "due_date": "2020-01-31",
        "acceptance_criteria": "No broken-lamp complaints for 4 weeks",
        "source": f"/supervisor#conversation={world['session']['C6']}",
    }
    late = await sam.post("/api/improvement-actions", action, expect=201)
    assert late["status"] == "open" and late["overdue"] is True and late["created_by"]
    later = await sam.post(
        "/api/improvement-actions",
        {
            **action,
            "title": "Retrain on refunds",
            "due_date": "2999-01-01",
            "status": "in_progress",
        },
        expect=201,
    )
    assert later["overdue"] is False
    for bad in (
        {k: v for k, v in action.items() if k != "owner"},
        {**action, "due_date": "2026-13-01"},
        {**action, "status": "finished"},
        {**action, "title": "  "},
        {**action, "priority": "high"},
        ["not", "an", "object"],
    ):
        await sam.post("/api/improvement-actions", bad, expect=422)
    assert await count_rows(hub, "improvement_actions") == 2
    listing = await sam.get("/api/improvement-actions")
    assert [a["id"] for a in listing["actions"]] == [late["id"], later["id"]]
    assert listing["overdue"] == 1
    done = await sam.patch(f"/api/improvement-actions/{late['id']}", {"status": "done"})
    assert done["status"] == "done" and done["overdue"] is False and done["done_at"]
    listing = await sam.get("/api/improvement-actions")
    assert [a["id"] for a in listing["actions"]] == [later["id"], late["id"]]
    assert listing["overdue"] == 0
    assert [
        a["id"] for a in (await sam.get("/api/improvement-actions?status=done"))["actions"]
    ] == [late["id"]]
    await sam.patch(f"/api/improvement-actions/{late['id']}", {"status": "nope"}, expect=422)
    await sam.patch(f"/api/improvement-actions/{late['id']}", {"due_date": None}, expect=422)
    await sam.patch("/api/improvement-actions/99999", {"status": "done"}, expect=404)
    assert (await sam.get(f"/api/improvement-actions/{late['id']}"))["status"] == "done"


# ------------------------------------------------------------------ roles


SUPERVISOR_GETS = [
    "/api/reports/summary",
    "/api/reports/summary.csv",
    "/api/reports/complaints",
    "/api/reports/complaints.csv",
    "/api/reports/agents",
    "/api/reports/agents.csv",
    "/api/reports/satisfaction",
    "/api/reports/satisfaction.csv",
    "/api/conversations",
    "/api/conversations.csv",
    "/api/conversations/conv-c1",
    "/api/tickets.csv",
    "/api/nlu/review",
    "/api/nlu/labels",
    "/api/nlu/export",
    "/api/improvement-actions",
    "/api/improvement-actions/1",
]
SUPERVISOR_WRITES = [
    ("POST", "/api/nlu/labels"),
    ("DELETE", "/api/nlu/labels/1"),
    ("POST", "/api/improvement-actions"),
    ("PATCH", "/api/improvement-actions/1"),
]


async def test_agents_get_403_everywhere(client, make_staff):
    dana = await make_staff("dana@example.com")
    for path in SUPERVISOR_GETS:
        response = await client.get(path, headers=dana.headers(write=False))
        assert response.status == 403, path
        assert (await response.json())["error"]["code"] == "forbidden"
        assert (await client.get(path)).status == 401, path
    for method, path in SUPERVISOR_WRITES:
        response = await client.request(method, path, json={}, headers=dana.headers())
        assert response.status == 403, (method, path)


async def test_period_bounds_follow_daylight_saving(world):
    # 2026-03-29: clocks go forward in London, so that local day lasts 23 hours
    s = await world["sam"].get("/api/reports/summary?from=2026-03-29&to=2026-03-29")
    assert s["period"]["start_utc"] == "2026-03-29T00:00:00Z"
    assert s["period"]["end_utc"] == "2026-03-29T23:00:00Z"
    summer = await world["sam"].get("/api/reports/summary?from=2026-04-01&to=2026-04-01")
    assert summer["period"]["start_utc"] == "2026-03-31T23:00:00Z"
    assert summer["previous"]["period"]["end_utc"] == "2026-03-31T23:00:00Z"
