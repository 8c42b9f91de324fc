"""A realistic, varied chat history for the demo and the benchmarks (``demo-data
--conversations N``).

Conversations follow the shop's rhythm (busier on weekdays, peaks late morning, early afternoon
and evening), most are answered by the bot (FAQ topics, order status, small talk), some fail
(fallbacks, customers who give up) and about a fifth are handed off: tickets with an agent
conversation, business-hours response times drawn per priority (so some breach their SLA),
complaints with their record, and post-chat surveys whose scores follow how the chat went.
Customer texts are the assistant's own training examples (bot/data), so search and the NLU
review list have real wording to work on.

Every customer turn the bot handled carries the assistant's decision (answered, clarified,
declined, handed_off) and the out-of-domain gate's score and reason as the hub stores them:
off-topic questions are declined as ``out_of_scope``, unclear ones get a clarifying question or
are declined (``nlu_fallback``), FAQ answers record their topic and the selector's confidence,
and a share of them is rated by the customer ("Was this helpful?", 👍 / 👎).

Rows are written with Core ``insert()`` in batches of explicit ids (no ORM, no RETURNING), a
chunk of conversations per transaction: 100,000 conversations (~1,000,000 messages) take a few
minutes on PostgreSQL. Running it again adds more history after the ids already there.
"""

from __future__ import annotations

import bisect
import math
import random
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from .. import db as database
from ..shop import Shop, load_shop
from .corpus import (
    AGENT_LINES,
    CATEGORY_TEAM,
    CHUNK,
    COMPLAINT_CATEGORIES,
    COMPLAINTS,
    CUSTOMER_LINES,
    HANDOFF_REASONS,
    MEDIAN_FIRST_RESPONSE,
    NOTES,
    PRODUCTS,
    REQUEST_HUMAN_TEXTS,
    SCENARIOS,
    UTC,
    Corpus,
    _weighted,
    log,
)
from .store import (
    Ids,
    Rows,
    Staff,
    _customers,
    _fix_sequences,
    _insert,
    _next_ids,
    _sample_actions,
    _staff,
    _timestamps,
)
from .turns import BotTurns


class History(BotTurns):
    """Builds the rows of one conversation at a time (see the module docstring)."""

    def __init__(
        self,
        shop: Shop,
        rng: random.Random,
        corpus: Corpus,
        staff: Staff,
        customers: list[tuple[int, str, str]],
        ids: Ids,
        end: datetime,
    ) -> None:
        self.shop, self.rng, self.corpus, self.staff = shop, rng, corpus, staff
        self.customers, self.ids, self.end = customers, ids, end
        self.cal = shop.calendar
        self.rows = Rows()
        self.scenarios = _weighted(SCENARIOS)
        self.reasons = _weighted(HANDOFF_REASONS)
        self.categories = _weighted(COMPLAINT_CATEGORIES)
        self.faq_topics = sorted(corpus.faq)
        self.frequent = max(1, len(customers) // 20)
        self.last_customer_message = end

    def pick(self, weighted: tuple[list[str], list[float]]) -> str:
        names, cumulative = weighted
        return names[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def lognormal(self, median: float, sigma: float = 0.9) -> float:
        return median * math.exp(self.rng.gauss(0, sigma))

    def order_number(self) -> str:
        return f"NW-{self.rng.randint(100000, 299999)}"

    def conversation(self, created: datetime) -> None:
        cid = self.ids.take("conversations")
        conv: dict[str, Any] = {
            "id": cid,
            "public_id": f"{cid:08x}{secrets.token_hex(12)}",
            "token_hash": secrets.token_hex(32),
            "status": "closed",
            "locale": "en",
            "created_at": created,
            "updated_at": created,
            "customer_name": None,
            "customer_email": None,
            "customer_id": None,
            "closed_at": None,
            "agent_id": None,
            "handed_off_at": None,
            "survey_offered_at": None,
        }
        if self.customers and self.rng.random() < 0.55:
            pool = self.frequent if self.rng.random() < 0.3 else len(self.customers)
            conv["customer_id"], conv["customer_name"], conv["customer_email"] = self.customers[
                self.rng.randrange(pool)
            ]
        self.message(
            cid, created, "bot", "Hello! I'm the Northwind Goods assistant. How can I help?"
        )
        when = created + timedelta(seconds=self.rng.randint(5, 90))
        scenario = self.pick(self.scenarios)
        ticket = None
        if scenario in ("faq", "order") and self.rng.random() < 0.4:
            when = self.simple_turn(cid, when, ("greet",), ["hi"], "Hello! How can I help?")
        if scenario == "faq":
            for _ in range(self.rng.choice((1, 2, 2, 3, 3, 4))):
                when = self.faq_turn(cid, when)
            if self.rng.random() < 0.06:  # an off-topic aside, then back to the shop
                when = self.off_topic_turn(cid, when)
                when = self.faq_turn(cid, when)
        elif scenario == "order":
            when = self.order_turn(cid, when)
            if self.rng.random() < 0.5:
                when = self.faq_turn(cid, when)
        if scenario in ("faq", "order"):
            if self.rng.random() < 0.6:
                when = self.simple_turn(cid, when, ("thank",), ["thanks!"], "You're welcome!")
            if self.rng.random() < 0.3:
                when = self.simple_turn(cid, when, ("goodbye",), ["bye"], "Goodbye!")
        elif scenario == "smalltalk":
            when = self.simple_turn(cid, when, ("greet",), ["hi"], "Hello! How can I help?")
            when = self.simple_turn(cid, when, ("goodbye",), ["bye"], "Goodbye!")
        elif scenario == "fallback_recovered":
            when = self.unhelped_turn(cid, when)
            when = self.faq_turn(cid, when)
        elif scenario == "abandoned_bot":
            for _ in range(self.rng.choice((1, 1, 2))):
                when = self.unhelped_turn(cid, when)
        else:
            when, ticket = self.handoff(cid, conv, when)
        last = self.last_customer_message
        conv["last_customer_message_at"] = conv["customer_seen_at"] = last
        if scenario == "abandoned_bot" or (ticket is not None and ticket.get("_waiting")):
            conv["status"] = "queued" if ticket is not None else "bot"
            conv["closed_at"] = None
        elif conv["status"] == "closed":
            conv["closed_at"] = when + timedelta(minutes=self.rng.randint(1, 3))
            if conv["closed_at"] >= self.end:
                conv["status"], conv["closed_at"] = ("agent" if ticket else "bot"), None
            else:
                self.message(cid, conv["closed_at"], "system", "The chat has ended. Thank you!")
        conv["updated_at"] = conv["closed_at"] or when
        if conv["closed_at"] is not None and self.rng.random() < 0.75:
            conv["survey_offered_at"] = conv["closed_at"]
            if self.rng.random() < 0.45:
                self.rating(conv, scenario, ticket)
        if ticket is not None:
            ticket.pop("_waiting", None)
            ticket.pop("_first_minutes", None)
        self.rows.conversations.append(conv)

    def handoff(self, cid: int, conv: dict, when: datetime) -> tuple[datetime, dict]:
        reason = self.pick(self.reasons)
        emotion = None
        kind, category, priority = (
            "escalation",
            None,
            self.rng.choice(("P3", "P3", "P3", "P4", "P2")),
        )
        complaint = None
        if reason == "requested":
            when = self.simple_turn(
                cid,
                when,
                ("request_human",),
                REQUEST_HUMAN_TEXTS,
                "Of course, I'm passing you to a person.",
                decision="handed_off",
            )
            category = self.rng.choice(("delivery", "billing", "technical", None))
        elif reason == "fallback":
            when = self.unhelped_turn(cid, when)
            when = self.unhelped_turn(cid, when, emotion="frustrated", decision="handed_off")
        elif reason == "sentiment":
            emotion = "angry"
            when = self.unhelped_turn(cid, when, emotion=emotion, decision="handed_off")
        elif reason == "order_lookup_failed":
            when = self.order_turn(cid, when, found=False)
            when = self.order_turn(cid, when, found=False, decision="handed_off")
            category = "delivery"
        else:  # complaint
            kind = "complaint"
            category = self.pick(self.categories)
            emotion = self.rng.choice(("angry", "frustrated", None))
            priority = "P1" if self.rng.random() < 0.05 else "P2"
            description = self.rng.choice(COMPLAINTS[category]).format(
                product=self.rng.choice(PRODUCTS)
            )
            number = self.order_number() if self.rng.random() < 0.7 else None
            if number:
                description += f" Order {number}."
            when = self.simple_turn(
                cid,
                when,
                ("file_complaint", "complaint"),
                [description],
                "I'm sorry something went wrong. I'll record your complaint.",
                emotion=emotion,
            )
            when = self.turn(
                cid,
                when,
                description,
                "inform",
                self.rng.uniform(0.6, 0.95),
                "Thank you. I've recorded your complaint.",
                decision="handed_off",
                emotion=emotion,
            )
            complaint = {
                "category": category,
                "description": description,
                "order_number": number,
                "emotion": emotion,
            }
        created = when
        if not self.cal.is_open(created) and kind != "complaint" and self.rng.random() < 0.7:
            kind, reason = "offline", "after_hours"
        team_key = (
            "complaints" if kind == "complaint" else CATEGORY_TEAM.get(category or "", "general")
        )
        tid = self.ids.take("tickets")
        ticket: dict[str, Any] = {
            "id": tid,
            "number": f"T-{tid:06d}",
            "conversation_id": cid,
            "kind": kind,
            "reason": reason,
            "status": "new",
            "priority": priority,
            "summary": None,
            "created_at": created,
            "updated_at": created,
            "team_id": self.staff.teams.get(team_key),
            "assignee_id": None,
            "customer_id": conv["customer_id"],
            "category": category,
            "tags": [],
            "subject": None,
            "customer_name": conv["customer_name"],
            "customer_email": conv["customer_email"],
            "escalated": False,
            "pauses": [],
            "sla_state": "ok",
            "breached": False,
            "reopened_count": 0,
            "first_response_at": None,
            "resolved_at": None,
            "closed_at": None,
            "awaiting_reply_since": created,
        }
        self.rows.tickets.append(ticket)
        conv["handed_off_at"] = created
        self.event(tid, created, "created", None, reason=reason, kind=kind, priority=priority)
        if complaint is not None:
            self.rows.complaints.append(
                {
                    "id": self.ids.take("complaints"),
                    "ticket_id": tid,
                    "stage": "received",
                    "created_at": created,
                    "updated_at": created,
                    **complaint,
                }
            )
        self.message(
            cid,
            created + timedelta(seconds=2),
            "system",
            f"Your ticket number is {ticket['number']}. An agent will reply here.",
        )
        when = created + timedelta(seconds=30)
        # some customers give up waiting (more often out of hours)
        gives_up = self.rng.random() < (0.08 if self.cal.is_open(created) else 0.25)
        if kind != "offline" and gives_up:
            left = created + timedelta(minutes=self.rng.randint(3, 25))
            if left < self.end:
                self.message(cid, left - timedelta(minutes=1), "customer", "hello? anyone there?")
                closed = self.cal.add_business_minutes(created, self.lognormal(240))
                if closed < self.end:
                    ticket.update(status="closed", closed_at=closed, awaiting_reply_since=None)
                    self.event(tid, closed, "status_changed", None, old="new", new="closed")
                return left, ticket
        return self.agent_part(cid, conv, ticket, created), ticket

    def event(self, tid: int, when: datetime, what: str, actor: int | None, **data: Any) -> None:
        self.rows.events.append(
            {
                "id": self.ids.take("ticket_events"),
                "ticket_id": tid,
                "kind": what,
                "actor_id": actor,
                "data": data,
                "created_at": when,
            }
        )

    def sla_events(self, ticket: dict, clock: str, start: datetime, minutes: float) -> None:
        target = self.shop.sla.target(ticket["priority"]).minutes(clock)
        if minutes >= self.shop.sla.warn_at * target:
            at = self.cal.add_business_minutes(start, self.shop.sla.warn_at * target)
            if at < self.end:
                self.event(ticket["id"], at, "sla_warning", None, clocks=[clock])
                ticket["sla_state"] = "warning"
        if minutes > target:
            at = self.cal.add_business_minutes(start, target) + timedelta(minutes=1)
            if at < self.end:
                self.event(ticket["id"], at, "sla_breached", None, clocks=[clock])
                ticket["sla_state"], ticket["breached"] = "breached", True

    def agent_part(self, cid: int, conv: dict, ticket: dict, created: datetime) -> datetime:
        team = next((k for k, v in self.staff.teams.items() if v == ticket["team_id"]), "general")
        agents = self.staff.agents_by_team.get(team) or self.staff.agents_by_team["general"]
        agent_id, agent_name = self.rng.choice(agents)
        minutes = self.lognormal(MEDIAN_FIRST_RESPONSE[ticket["priority"]], 1.1)
        first = self.cal.add_business_minutes(created, minutes)
        self.sla_events(ticket, "first_response", created, minutes)
        ticket["_first_minutes"] = minutes
        if first >= self.end:
            ticket["_waiting"] = True  # still in the queue
            return created
        ticket.update(status="open", assignee_id=agent_id, first_response_at=first)
        conv["agent_id"] = agent_id
        self.event(
            ticket["id"],
            first - timedelta(seconds=40),
            "assigned",
            agent_id,
            assignee=agent_name,
            how="claimed",
        )
        when = first
        lines = AGENT_LINES
        exchanges = 0 if ticket["kind"] == "offline" else self.rng.randint(2, 8)
        for number in range(exchanges + 1):
            line = lines[0].format(agent=agent_name) if number == 0 else self.rng.choice(lines[1:])
            mid = self.message(cid, when, "agent", line, author=agent_id)
            self.event(
                ticket["id"], when, "message", agent_id, message_id=mid, first_response=number == 0
            )
            if number == exchanges:
                break
            asked = when + timedelta(minutes=self.rng.uniform(0.5, 6))
            if asked >= self.end:
                return when
            self.message(cid, asked, "customer", self.rng.choice(CUSTOMER_LINES))
            when = self.cal.add_business_minutes(asked, self.lognormal(3, 0.8))
            if when >= self.end:
                return asked
        if self.rng.random() < 0.2:
            self.event(ticket["id"], when, "note", agent_id, text=self.rng.choice(NOTES))
        work = self.lognormal(600 if ticket["kind"] == "complaint" else 15, 1.0)
        resolved = self.cal.add_business_minutes(when, work)
        total = self.cal.business_minutes_between(created, resolved)
        self.sla_events(ticket, "resolution", created, total)
        if resolved >= self.end:
            return when
        ticket.update(
            status="resolved", resolved_at=resolved, updated_at=resolved, awaiting_reply_since=None
        )
        self.event(
            ticket["id"],
            resolved,
            "status_changed",
            agent_id,
            old="open",
            new="resolved",
            resolution="Resolved in chat.",
        )
        closed = resolved + timedelta(days=3)
        if closed < self.end and self.rng.random() < 0.6:
            ticket.update(status="closed", closed_at=closed)
        return when

    def rating(self, conv: dict, scenario: str, ticket: dict | None) -> None:
        rng = self.rng
        human = ticket is not None and ticket.get("assignee_id") is not None
        if ticket is None:
            mean = {"faq": 4.3, "order": 4.2, "smalltalk": 4.0}.get(scenario, 3.4)
            resolved_p = 0.85 if scenario != "fallback_recovered" else 0.6
        else:
            first = ticket.get("_first_minutes")
            mean = 3.9 if first is None else (4.4 if first < 15 else 3.7 if first < 60 else 2.8)
            if ticket["kind"] == "complaint":
                mean -= 0.7
            if not human:
                mean = 2.2
            resolved_p = 0.8 if ticket.get("resolved_at") else 0.35

        def score(center: float, spread: float = 0.9) -> int:
            return max(1, min(5, round(rng.gauss(center, spread))))

        csat = score(mean)
        created = conv["survey_offered_at"] + timedelta(minutes=1)
        if created >= self.end:
            return
        first = ticket.get("_first_minutes") if ticket else None
        speed_center = csat if first is None else (csat + (0.7 if first < 15 else -0.8))
        about = "resolution" if ticket is not None and ticket["kind"] == "complaint" else "service"
        self.rows.ratings.append(
            {
                "id": self.ids.take("ratings"),
                "conversation_id": conv["id"],
                "ticket_id": ticket["id"] if ticket else None,
                "agent_id": ticket["assignee_id"] if ticket else None,
                "stage": "human" if human else "bot",
                "about": about,
                "csat": csat,
                "resolved": rng.random() < resolved_p,
                "speed": score(speed_center, 0.8) if rng.random() < 0.8 else None,
                "problem_solving": score(csat, 0.7) if rng.random() < 0.8 else None,
                "attitude": score(csat + 0.4, 0.9) if rng.random() < 0.8 else None,
                "comment": rng.choice((None, None, None, "Quick and helpful.", "Took too long.")),
                "skipped": False,
                "created_at": created,
                "updated_at": created,
            }
        )
        if ticket is not None:
            self.event(ticket["id"], created, "rating", None, csat=csat)


async def generate(
    target: str | AsyncEngine,
    n: int,
    seed: int = 7,
    *,
    days: int = 180,
    end: datetime | None = None,
    shop: Shop | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Add ``n`` conversations spread over the ``days`` before ``end`` (default: now).

    ``target`` is a database URL (migrated already, e.g. by ``db upgrade``) or an engine.
    Deterministic for a given ``seed`` apart from the random session ids and tokens. Returns
    how many rows of each kind were written.
    """
    if n < 0 or days < 1:
        raise ValueError("n must be >= 0 and days >= 1")
    engine = database.create_engine(target) if isinstance(target, str) else target
    shop = shop or load_shop()
    end = (end or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    rng = random.Random(seed)
    corpus = Corpus.load()
    counts = {
        "conversations": 0,
        "messages": 0,
        "tickets": 0,
        "ticket_events": 0,
        "complaints": 0,
        "ratings": 0,
    }
    try:
        async with engine.begin() as conn:
            staff = await _staff(conn)
            customers = await _customers(conn, rng, min(20_000, max(50, n // 5)))
            ids = Ids(await _next_ids(conn))
            await _sample_actions(conn, end)
        stamps = _timestamps(rng, n, shop, end, days)
        for start in range(0, n, CHUNK):
            history = History(shop, rng, corpus, staff, customers, ids, end)
            for created in stamps[start : start + CHUNK]:
                history.conversation(created)
            async with engine.begin() as conn:
                await _insert(conn, history.rows)
            for table, items in zip(
                counts,
                (
                    history.rows.conversations,
                    history.rows.messages,
                    history.rows.tickets,
                    history.rows.events,
                    history.rows.complaints,
                    history.rows.ratings,
                ),
                strict=True,
            ):
                counts[table] += len(items)
            if progress:
                progress(min(start + CHUNK, n), n)
        async with engine.begin() as conn:
            await _fix_sequences(conn)
    finally:
        if isinstance(target, str):
            await engine.dispose()
    log.info("demo history: %s", counts)
    return counts
