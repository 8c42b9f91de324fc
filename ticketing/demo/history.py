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
    CHUNK,
    COMPLAINT_CATEGORIES,
    HANDOFF_REASONS,
    SCENARIOS,
    UTC,
    Corpus,
    _weighted,
    log,
)
from .handoff import HandoffTurns
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


class History(HandoffTurns, BotTurns):
    """Builds the rows of one conversation at a time (see the module docstring).

    The bot's turns come from ``BotTurns`` (turns.py), the ticket and the agent's part from
    ``HandoffTurns`` (handoff.py); this class holds the state and tells the story.
    """

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
