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
import itertools
import logging
import math
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from . import db as database
from .models import (
    Complaint,
    Conversation,
    Customer,
    ImprovementAction,
    Message,
    Rating,
    Team,
    Ticket,
    TicketEvent,
    User,
    user_teams,
)
from .shop import Shop, load_shop
from .staff import hash_password

log = logging.getLogger(__name__)
UTC = timezone.utc
ROOT = Path(__file__).resolve().parent.parent
CHUNK = 2000  # conversations per transaction
BATCH = 5000  # rows per INSERT

# local hour -> relative traffic (quiet nights, peaks 10-12, 14-16 and 19-21)
HOURLY = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 4, 6, 8, 8, 7, 6, 7, 7, 6, 5, 5, 6, 6, 5, 3, 2]
WEEKDAY = [1.0, 1.05, 1.0, 0.95, 0.9, 0.7, 0.55]  # Mon..Sun

SCENARIOS = {
    "faq": 0.45,
    "order": 0.11,
    "smalltalk": 0.07,
    "fallback_recovered": 0.06,
    "abandoned_bot": 0.05,
    "handoff": 0.26,
}
HANDOFF_REASONS = {
    "requested": 0.38,
    "fallback": 0.2,
    "complaint": 0.24,
    "sentiment": 0.1,
    "order_lookup_failed": 0.08,
}
COMPLAINT_CATEGORIES = {
    "quality": 0.35,
    "promise_not_kept": 0.3,
    "need_not_met": 0.15,
    "staff_attitude": 0.1,
    "other": 0.1,
}
CATEGORY_TEAM = {"delivery": "delivery", "billing": "billing", "technical": "technical"}
MEDIAN_FIRST_RESPONSE = {"P1": 10, "P2": 35, "P3": 60, "P4": 120}  # business minutes

AGENT_NAMES = ["Priya", "Tom", "Maria", "Kofi", "Elena", "Jonas", "Aisha", "Wei"]
AGENT_TEAMS = [
    ["general", "delivery"],
    ["general", "billing"],
    ["general", "technical"],
    ["complaints", "general"],
    ["delivery", "billing"],
    ["complaints", "delivery"],
    ["technical", "billing"],
    ["general", "complaints"],
]
FIRST_NAMES = (
    "Ann Ben Chloe Dev Emma Finn Grace Hugo Isla Jack Lena Mo Nina Omar Pia Raj Sara".split()
)
LAST_NAMES = "Smith Jones Taylor Brown Wilson Evans Khan Patel Wright Walker Green Hall Li".split()
PRODUCTS = [
    "oak desk lamp",
    "wool throw",
    "ceramic mug set",
    "garden chair",
    "linen bedding set",
    "LED bulb pack",
    "walnut side table",
    "cotton towels",
    "glass vase",
    "bamboo shelf",
]

# unclear requests: not understood (nlu_fallback); the bot asks again or declines
FALLBACK_TEXTS = [
    "the thing from before",
    "hmm",
    "i need the form thingy",
    "ok but why",
    "is the blue one better",
    "help me with the the the",
    "my order order order",
    "price match amazon?",
    "where is the nearest store to me",
    "my cat ate the charger lol",
]
# off-topic text: the out-of-domain gate turns it into out_of_scope and the bot declines it;
# (text, the gate's reason, whether the reason comes with a similarity score)
OFF_TOPIC_TEXTS = [
    ("can you do my homework", "closer_to_off_topic", True),
    ("is it raining in leeds today", "closer_to_off_topic", True),
    ("what's the meaning of life", "closer_to_off_topic", True),
    ("tell me about crypto", "closer_to_off_topic", True),
    ("who is the prime minister", "closer_to_off_topic", True),
    ("write me a poem about cheese", "closer_to_off_topic", True),
    ("what's the best football team", "classifier", True),
    ("do you sell cars", "classifier", True),
    ("asdfgh", "unlike_training", True),
    ("blorp", "unlike_training", True),
    ("qwerty 123", "unlike_training", True),
    ("???", "no_words", False),
    ("<b>hi</b> <script>", "markup", False),
    ("¿dónde está mi pedido?", "language", True),
    ("wo de dingdan zai nali", "unlike_training", True),
]
DECLINE_ANSWER = (
    "Sorry, that's not something I can help with. I can answer questions about orders, "
    "delivery, returns and payments, or connect you with a person."
)
UNHELPFUL_ANSWER = (
    "Sorry that didn't help. Was it one of these instead, or shall I get you a person?"
)
# the out-of-domain gate's threshold (config.yml): scores above it are off-topic
OOD_THRESHOLD = -0.02
REQUEST_HUMAN_TEXTS = [
    "I want to talk to a person",
    "agent please",
    "can I speak to a human",
    "real person please",
    "connect me to customer service",
]
ORDER_TEXTS = [
    "where is my order {order}",
    "has {order} shipped yet?",
    "order status {order}",
    "when will {order} arrive",
    "track my order {order} please",
]
COMPLAINTS = {
    "quality": [
        "The {product} arrived broken, the box was crushed.",
        "My {product} stopped working after two days.",
        "The {product} is scratched and the colour is wrong.",
    ],
    "promise_not_kept": [
        "I was promised delivery by Friday and nothing came.",
        "You said the refund would take 5 days, it's been three weeks.",
        "Express delivery took a week, I want my shipping back.",
    ],
    "need_not_met": [
        "Nobody could tell me whether the {product} fits my room.",
        "I asked for an invoice with my company name and never got one.",
    ],
    "staff_attitude": [
        "The agent was rude and ended the chat on me.",
        "The courier was rude and threw the parcel over the fence.",
    ],
    "other": [
        "Your website keeps logging me out during checkout.",
        "I keep getting marketing e-mails after unsubscribing.",
    ],
}
AGENT_LINES = [
    "Hi, {agent} here from Northwind Goods. Let me look into this for you.",
    "Thanks for waiting. I can see your order now.",
    "I'm sorry about that. I've arranged a replacement.",
    "I've issued the refund; it shows in 5-10 business days.",
    "Could you confirm the delivery address for me?",
    "Done! Is there anything else I can help with?",
]
CUSTOMER_LINES = [
    "ok thanks",
    "it's the one from last week",
    "yes that's right",
    "how long will that take?",
    "great, thank you",
    "still not working",
    "the address is the same as before",
    "can you email me the details?",
]
NOTES = [
    "Customer called before about this.",
    "Checked with the warehouse: stock arrives Tue.",
    "Refund approved by billing.",
    "Possible repeat complaint, keep an eye on it.",
]


def _weighted(options: dict[str, float]) -> tuple[list[str], list[float]]:
    names = list(options)
    return names, list(itertools.accumulate(options[n] for n in names))


HUMAN_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}
SOMETHING_ELSE_BUTTON = {"title": "Something else", "payload": "/something_else"}


def topic_button(topic: str) -> dict[str, str]:
    """A "Did you mean" button for the FAQ topic ``faq/<name>``."""
    name = topic.removeprefix("faq/")
    payload = f'/faq{{"faq_topic": "faq/{name}"}}'
    return {"title": name.replace("_", " ").capitalize(), "payload": payload}


# ------------------------------------------------------------------ corpus


@dataclass
class Corpus:
    """Customer wording and bot answers, from the assistant's training data when present."""

    faq: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    intents: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path = ROOT) -> Corpus:
        corpus = cls()
        for path in sorted((root / "bot" / "data").glob("**/*.yml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                continue
            for block in data.get("nlu") or []:
                name, examples = block.get("intent"), block.get("examples")
                if not isinstance(name, str) or not isinstance(examples, str):
                    continue
                lines = [line.strip()[1:].strip() for line in examples.splitlines() if line.strip()]
                lines = [line for line in lines if line and "[" not in line]
                target = corpus.faq if name.startswith("faq/") else corpus.intents
                target.setdefault(name, []).extend(lines)
            for key, variants in (data.get("responses") or {}).items():
                if str(key).startswith("utter_faq/") and variants:
                    corpus.answers["faq/" + key.split("/", 1)[1]] = variants[0].get("text", "")
        if not corpus.faq:
            corpus.faq = {
                "faq/shipping_cost": ["how much is delivery", "what does shipping cost"],
                "faq/return_policy": ["how do returns work", "can I send it back"],
                "faq/payment_methods": ["do you take paypal", "which cards do you accept"],
            }
        return corpus

    def intent_examples(self, *names: str, default: list[str]) -> tuple[str, list[str]]:
        for name in names:
            if self.intents.get(name):
                return name, self.intents[name]
        return names[0], default


# ------------------------------------------------------------------ ids and rows


@dataclass
class Rows:
    conversations: list[dict] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    complaints: list[dict] = field(default_factory=list)
    ratings: list[dict] = field(default_factory=list)

    def tables(self) -> list[tuple[Any, list[dict]]]:
        return [
            (Conversation.__table__, self.conversations),
            (Ticket.__table__, self.tickets),
            (Message.__table__, self.messages),
            (TicketEvent.__table__, self.events),
            (Complaint.__table__, self.complaints),
            (Rating.__table__, self.ratings),
        ]


class Ids:
    def __init__(self, start: dict[str, int]) -> None:
        self.next = dict(start)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class Staff:
    agents_by_team: dict[str, list[tuple[int, str]]]
    teams: dict[str, int]


# ------------------------------------------------------------------ the generator


class History:
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

    # -------------------------------------------------------------- helpers

    def pick(self, weighted: tuple[list[str], list[float]]) -> str:
        names, cumulative = weighted
        return names[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def lognormal(self, median: float, sigma: float = 0.9) -> float:
        return median * math.exp(self.rng.gauss(0, sigma))

    def order_number(self) -> str:
        return f"NW-{self.rng.randint(100000, 299999)}"

    def message(self, cid: int, when: datetime, sender: str, text_: str, **extra: Any) -> int:
        mid = self.ids.take("messages")
        if sender == "customer":
            self.last_customer_message = when
        self.rows.messages.append(
            {
                "id": mid,
                "conversation_id": cid,
                "sender": sender,
                "text": text_,
                "buttons": extra.get("buttons") or [],
                "payload": extra.get("payload"),
                "intent": extra.get("intent"),
                "confidence": extra.get("confidence"),
                "entities": extra.get("entities"),
                "emotion": extra.get("emotion"),
                "decision": extra.get("decision"),
                "ood_score": extra.get("ood_score"),
                "ood_reason": extra.get("ood_reason"),
                "faq_topic": extra.get("faq_topic"),
                "faq_confidence": extra.get("faq_confidence"),
                "rateable": extra.get("rateable", False),
                "helpful": extra.get("helpful"),
                "feedback_at": extra.get("feedback_at"),
                "author_id": extra.get("author"),
                "reply_to_id": extra.get("reply_to"),
                "created_at": when,
            }
        )
        return mid

    def in_domain_score(self) -> float:
        """The out-of-domain gate's score of a message it let through."""
        return round(self.rng.uniform(-0.45, OOD_THRESHOLD - 0.03), 4)

    def turn(
        self,
        cid: int,
        when: datetime,
        text_: str,
        intent: str,
        confidence: float,
        answer: str,
        decision: str = "answered",
        **extra: Any,
    ) -> datetime:
        """A customer message with its NLU result, the bot's decision and answer; the time after.

        Free text gets the gate's in-domain score unless ``ood_score`` is given (``None`` for
        text the gate does not score: with an entity, or a button's payload).
        """
        buttons = extra.pop("buttons", None)
        if "ood_score" not in extra:
            gated = extra.get("entities") is None and extra.get("payload") is None
            extra["ood_score"] = self.in_domain_score() if gated else None
        mid = self.message(
            cid,
            when,
            "customer",
            text_,
            intent=intent,
            confidence=round(confidence, 4),
            decision=decision,
            **extra,
        )
        reply_at = when + timedelta(seconds=self.rng.randint(1, 3))
        rating: dict[str, Any] = {}
        if decision == "answered" and extra.get("faq_topic"):
            rating = self.answer_rating(reply_at, extra.get("faq_confidence"))
        self.message(cid, reply_at, "bot", answer, reply_to=mid, buttons=buttons, **rating)
        if rating.get("helpful") is False:
            # a 👎 in bot mode: the bot offers the next-best topics and a person
            others = self.other_topics(f"faq/{extra['faq_topic']}", 2)
            self.message(
                cid,
                rating["feedback_at"] + timedelta(seconds=1),
                "bot",
                UNHELPFUL_ANSWER,
                reply_to=mid,
                buttons=[*map(topic_button, others), HUMAN_BUTTON],
            )
        return reply_at + timedelta(seconds=self.rng.randint(15, 120))

    def other_topics(self, topic: str, n: int) -> list[str]:
        """``n`` FAQ topics other than ``topic`` (fewer when there are not that many)."""
        others = [name for name in self.faq_topics if name != topic]
        return self.rng.sample(others, min(n, len(others)))

    def answer_rating(self, reply_at: datetime, faq_confidence: float | None) -> dict[str, Any]:
        """A FAQ answer the customer may rate; about a third of them are rated."""
        rated = {"rateable": True}
        if self.rng.random() < 0.35:
            feedback_at = reply_at + timedelta(seconds=self.rng.randint(3, 12))
            helpful_p = 0.55 if faq_confidence is not None and faq_confidence < 0.6 else 0.85
            helpful = self.rng.random() < helpful_p
            if feedback_at < self.end:
                rated.update(helpful=helpful, feedback_at=feedback_at)
        return rated

    def faq_turn(self, cid: int, when: datetime) -> datetime:
        topic = self.rng.choice(self.faq_topics)
        text_ = self.rng.choice(self.corpus.faq[topic])
        name = topic.removeprefix("faq/")
        chance = self.rng.random()
        if chance < 0.03:
            # the selector's best topic is too weak: the gate declines it as off-topic
            return self.turn(
                cid,
                when,
                text_,
                "out_of_scope",
                self.rng.uniform(0.6, 0.9),
                DECLINE_ANSWER,
                decision="declined",
                ood_reason="weak_faq_match",
            )
        if chance < 0.09:
            # two topics too close to choose: "Did you mean ...?", then the customer's pick
            other = self.other_topics(topic, 1)
            faq_confidence = self.rng.uniform(0.3, 0.55)
            when = self.turn(
                cid,
                when,
                text_,
                topic,
                self.rng.uniform(0.5, 0.8),
                "Did you mean one of these?",
                decision="clarified",
                faq_topic=name,
                faq_confidence=round(faq_confidence, 4),
                buttons=[topic_button(topic), *map(topic_button, other), SOMETHING_ELSE_BUTTON],
            )
            button = topic_button(topic)
            return self.turn(
                cid,
                when,
                button["title"],
                topic,
                1.0,
                self.corpus.answers.get(topic) or "Here is what I found.",
                payload=button["payload"],
                faq_topic=name,
                faq_confidence=None,
            )
        low = chance > 0.92  # understood, but not confidently
        confidence = self.rng.uniform(0.45, 0.6) if low else self.rng.uniform(0.7, 0.995)
        faq_confidence = self.rng.uniform(0.35, 0.6) if low else self.rng.uniform(0.65, 0.99)
        answer = self.corpus.answers.get(topic) or "Here is what I found."
        return self.turn(
            cid,
            when,
            text_,
            topic,
            confidence,
            answer,
            faq_topic=name,
            faq_confidence=round(faq_confidence, 4),
        )

    def fallback_turn(
        self, cid: int, when: datetime, emotion: str | None = None, decision: str | None = None
    ) -> datetime:
        """An unclear request (nlu_fallback): the bot asks again or declines it."""
        text_ = self.rng.choice(FALLBACK_TEXTS)
        if self.rng.random() < 0.2:
            text_ += f" {self.order_number()}"
        decision = decision or ("clarified" if self.rng.random() < 0.5 else "declined")
        answer = (
            "Sorry, I didn't quite understand that. Could you rephrase it?"
            if decision == "clarified"
            else "Sorry, I still don't understand. I can connect you with a person."
        )
        return self.turn(
            cid,
            when,
            text_,
            "nlu_fallback",
            self.rng.uniform(0.15, 0.5),
            answer,
            decision=decision,
            emotion=emotion,
        )

    def off_topic_turn(
        self, cid: int, when: datetime, emotion: str | None = None, decision: str = "declined"
    ) -> datetime:
        """Off-topic text: out_of_scope with the gate's score and reason, declined."""
        text_, reason, scored = self.rng.choice(OFF_TOPIC_TEXTS)
        if not scored:
            score = None
        elif reason == "unlike_training":  # no closer to off-topic text, but unlike anything
            score = self.rng.uniform(-0.2, OOD_THRESHOLD - 0.01)
        else:
            score = self.rng.uniform(OOD_THRESHOLD + 0.01, 0.3)
        return self.turn(
            cid,
            when,
            text_,
            "out_of_scope",
            self.rng.uniform(0.6, 0.99),
            DECLINE_ANSWER,
            decision=decision,
            emotion=emotion,
            ood_score=None if score is None else round(score, 4),
            ood_reason=reason,
        )

    def unhelped_turn(self, cid: int, when: datetime, **extra: Any) -> datetime:
        """A request the bot could not help with: off-topic or not understood."""
        if self.rng.random() < 0.5:
            return self.off_topic_turn(cid, when, **extra)
        return self.fallback_turn(cid, when, **extra)

    def simple_turn(
        self,
        cid: int,
        when: datetime,
        names: tuple[str, ...],
        default: list[str],
        answer: str,
        **extra: Any,
    ) -> datetime:
        intent, examples = self.corpus.intent_examples(*names, default=default)
        return self.turn(
            cid,
            when,
            self.rng.choice(examples),
            intent,
            self.rng.uniform(0.8, 0.99),
            answer,
            **extra,
        )

    def order_turn(self, cid: int, when: datetime, found: bool = True, **extra: Any) -> datetime:
        number = self.order_number()
        text_ = self.rng.choice(ORDER_TEXTS).format(order=number)
        answer = (
            f"Your order {number} is on its way with DPD and should arrive in 2 days."
            if found
            else f"I couldn't find an order {number}. Could you check the number?"
        )
        intent = (
            "check_order_status" if "check_order_status" in self.corpus.intents else "order_status"
        )
        return self.turn(
            cid,
            when,
            text_,
            intent,
            self.rng.uniform(0.85, 0.99),
            answer,
            entities=[{"entity": "order_number", "value": number}],
            **extra,
        )

    # -------------------------------------------------------------- one conversation

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

    # -------------------------------------------------------------- hand-off and agent

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

    # -------------------------------------------------------------- survey

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


# ------------------------------------------------------------------ timestamps


def _timestamps(rng: random.Random, n: int, shop: Shop, end: datetime, days: int) -> list[datetime]:
    tz = ZoneInfo(shop.calendar.timezone)
    last_day = end.astimezone(tz).date()
    first_day = last_day - timedelta(days=days - 1)
    days_list = [first_day + timedelta(days=i) for i in range(days)]
    day_weights = list(itertools.accumulate(WEEKDAY[d.weekday()] for d in days_list))
    hour_weights = list(itertools.accumulate(HOURLY))
    stamps = []
    while len(stamps) < n:
        day = days_list[bisect.bisect(day_weights, rng.random() * day_weights[-1])]
        hour = bisect.bisect(hour_weights, rng.random() * hour_weights[-1])
        local = datetime.combine(day, time(hour), tzinfo=tz) + timedelta(
            seconds=rng.randrange(3600)
        )
        moment = local.astimezone(UTC)
        if moment < end - timedelta(minutes=5):
            stamps.append(moment)
    stamps.sort()
    return stamps


# ------------------------------------------------------------------ setup


async def _next_ids(conn) -> dict[str, int]:
    tables = {
        "conversations": Conversation,
        "messages": Message,
        "tickets": Ticket,
        "ticket_events": TicketEvent,
        "complaints": Complaint,
        "ratings": Rating,
    }
    return {
        name: int(await conn.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1
        for name, model in tables.items()
    }


async def _staff(conn) -> Staff:
    teams = dict((await conn.execute(select(Team.key, Team.id))).all())
    rows = (
        await conn.execute(
            select(User.id, User.name, Team.key)
            .join(user_teams, user_teams.c.user_id == User.id)
            .join(Team, Team.id == user_teams.c.team_id)
            .where(User.role == "agent")
        )
    ).all()
    if len({r.id for r in rows}) < 4:
        password = hash_password(secrets.token_urlsafe(24))  # nobody can sign in as them
        for name, keys in zip(AGENT_NAMES, AGENT_TEAMS, strict=True):
            email = f"{name.lower()}.demo@northwind.example"
            user_id = await conn.scalar(select(User.id).where(User.email == email))
            if user_id is None:
                user_id = (
                    await conn.execute(
                        insert(User.__table__).values(
                            email=email,
                            name=name,
                            role="agent",
                            password_hash=password,
                            active=False,
                            presence="offline",
                            capacity=4,
                            created_at=datetime.now(UTC),
                        )
                    )
                ).inserted_primary_key[0]
                await conn.execute(
                    insert(user_teams),
                    [{"user_id": user_id, "team_id": teams[k]} for k in keys if k in teams],
                )
        return await _staff(conn)
    by_team: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        by_team.setdefault(row.key, []).append((row.id, row.name))
    if "general" not in by_team:
        by_team["general"] = sorted({(r.id, r.name) for r in rows})
    return Staff(agents_by_team=by_team, teams=teams)


async def _customers(conn, rng: random.Random, count: int) -> list[tuple[int, str, str]]:
    emails = [f"demo.customer{i}@example.com" for i in range(count)]
    existing = dict(
        (
            await conn.execute(
                select(Customer.email, Customer.id).where(Customer.email.like("demo.customer%"))
            )
        ).all()
    )
    missing = [e for e in emails if e not in existing]
    now = datetime.now(UTC)
    for start in range(0, len(missing), BATCH):
        await conn.execute(
            insert(Customer.__table__),
            [
                {
                    "email": e,
                    "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    "tier": rng.choice(("high", "medium", "medium", "low")),
                    "lifecycle": "mature",
                    "vip": rng.random() < 0.03,
                    "dispute": False,
                    "marketing_consent": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for e in missing[start : start + BATCH]
            ],
        )
    rows = await conn.execute(
        select(Customer.id, Customer.name, Customer.email).where(Customer.email.in_(emails))
    )
    return sorted((r.id, r.name, r.email) for r in rows)


async def _insert(conn, rows: Rows) -> None:
    for table, items in rows.tables():
        for start in range(0, len(items), BATCH):
            await conn.execute(insert(table), items[start : start + BATCH])


async def _fix_sequences(conn) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in (
        "conversations",
        "messages",
        "tickets",
        "ticket_events",
        "complaints",
        "ratings",
        "customers",
        "users",
        "improvement_actions",
    ):
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


async def _sample_actions(conn, end: datetime) -> None:
    if await conn.scalar(select(func.count(ImprovementAction.id))):
        return
    today = end.date()
    await conn.execute(
        insert(ImprovementAction.__table__),
        [
            {
                "title": "Stronger packaging for lamps and glass",
                "department": "Warehouse",
                "owner": "Warehouse lead",
                "due_date": today - timedelta(days=5),
                "status": "in_progress",
                "acceptance_criteria": "Breakage complaints halved over 4 weeks",
                "source": "/supervisor#report=complaints",
                "created_at": end,
                "updated_at": end,
            },
            {
                "title": "Teach the bot more ways to ask where an order is",
                "department": "Support",
                "owner": "Bot trainer",
                "due_date": today + timedelta(days=14),
                "status": "open",
                "acceptance_criteria": "Fallback rate under 8 % for a week",
                "source": "/supervisor#report=nlu",
                "created_at": end,
                "updated_at": end,
            },
        ],
    )


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
