"""Conversation outcomes: contained by the bot, escalated to a person, abandoned, ongoing.

A conversation the bot could not help at the end (its last request declined or not
understood, or its last rated answer marked unhelpful) is never "contained".

``outcome`` is the rule (``HOW["outcomes"]`` in :mod:`.summary` says it in words); the
database counts the conversations of a period per local day and per outcome, so only a few
dozen rows come back whatever the traffic.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ..models import Conversation, Message, Ticket
from .common import FALLBACK_INTENT, ONE, ZERO, in_period
from .periods import Period, local_midnight
from .stats import rate, rounded

IDLE = timedelta(minutes=30)
OUTCOMES = ("contained", "escalated", "abandoned_bot", "abandoned_queue", "ongoing")


# Small talk is not a request: "thanks, bye" after a declined question does not make the
# conversation contained.
SMALL_TALK = ("greet", "goodbye", "thank", "affirm", "deny", "stop")


def outcome(handed_off: bool, handled: bool, gone: bool, ended_unhelped: bool) -> str:
    """One of :data:`OUTCOMES` (see ``HOW["outcomes"]``)."""
    if not handed_off:
        if not gone:
            return "ongoing"
        return "abandoned_bot" if ended_unhelped else "contained"
    if handled:
        return "escalated"
    return "abandoned_queue" if gone else "ongoing"


def gone_clause(now: datetime) -> ColumnElement:
    """SQL: the customer has left (closed the chat, or not seen nor writing for 30 min)."""
    cutoff = now - IDLE
    return or_(
        Conversation.status == "closed",
        and_(
            Conversation.last_customer_message_at <= cutoff,
            or_(Conversation.customer_seen_at.is_(None), Conversation.customer_seen_at <= cutoff),
        ),
    )


def _period_conversations(period: Period):
    return select(Conversation.id).where(
        in_period(Conversation.created_at, period),
        Conversation.last_customer_message_at.isnot(None),
    )


def _flag(condition: ColumnElement) -> ColumnElement:
    return case((condition, ONE), else_=ZERO)


async def outcome_counts(
    db: AsyncSession, period: Period, now: datetime
) -> list[tuple[int, str, int]]:
    """``(day index, outcome, conversations)`` of the period's conversations in which the
    customer wrote, counted by the database: each conversation's facts come from its tickets
    and its customer messages (aggregated once, not per conversation), its local day from the
    UTC bounds of the period's days."""
    ids = _period_conversations(period)
    handled = or_(
        Ticket.assignee_id.isnot(None),
        Ticket.first_response_at.isnot(None),
        Ticket.kind == "offline",
    )
    # A ticket or message of a conversation is never older than the conversation: the time
    # bounds let the database use its timestamp indexes instead of visiting every row.
    tickets = (
        select(Ticket.conversation_id.label("cid"), func.max(_flag(handled)).label("handled"))
        .where(Ticket.created_at >= period.start_utc, Ticket.conversation_id.in_(ids))
        .group_by(Ticket.conversation_id)
        .subquery("handed_off")
    )
    latest = await db.scalar(
        select(func.max(Conversation.last_customer_message_at)).where(
            in_period(Conversation.created_at, period)
        )
    )
    if latest is None:
        return []
    # the bot did not help at the end: the last request was not understood or was declined,
    # or the last rated answer was marked unhelpful
    in_range = (
        Message.created_at >= period.start_utc,
        Message.created_at <= latest + timedelta(seconds=1),
        Message.conversation_id.in_(ids),
    )
    unhelped_id = case(
        (or_(Message.intent == FALLBACK_INTENT, Message.decision == "declined"), Message.id)
    )
    unhelped_requests = (
        select(Message.conversation_id.label("cid"))
        .where(
            Message.sender == "customer",
            or_(Message.intent.is_(None), Message.intent.notin_(SMALL_TALK)),
            *in_range,
        )
        .group_by(Message.conversation_id)
        .having(func.max(Message.id) == func.max(unhelped_id))
    )
    unhelpful_id = case((Message.helpful.is_(False), Message.id))
    unhelpful_answers = (
        select(Message.conversation_id.label("cid"))
        .where(Message.sender == "bot", Message.helpful.isnot(None), *in_range)
        .group_by(Message.conversation_id)
        .having(func.max(Message.id) == func.max(unhelpful_id))
    )
    fallbacks = unhelped_requests.union(unhelpful_answers).subquery("ended_unhelped")
    bounds = [local_midnight(day, period.tz) for day in period.dates()[1:]]
    last_day = literal_column(str(len(bounds)))
    whens = [(Conversation.created_at < b, literal_column(str(i))) for i, b in enumerate(bounds)]
    day = case(*whens, else_=last_day) if whens else last_day
    facts = (
        select(
            day.label("day"),
            _flag(tickets.c.cid.isnot(None)).label("handed_off"),
            func.coalesce(tickets.c.handled, ZERO).label("handled"),
            _flag(gone_clause(now)).label("gone"),
            _flag(fallbacks.c.cid.isnot(None)).label("fallback"),
        )
        .outerjoin(tickets, tickets.c.cid == Conversation.id)
        .outerjoin(fallbacks, fallbacks.c.cid == Conversation.id)
        .where(
            in_period(Conversation.created_at, period),
            Conversation.last_customer_message_at.isnot(None),
        )
        .subquery("facts")
    )
    columns = (facts.c.day, facts.c.handed_off, facts.c.handled, facts.c.gone, facts.c.fallback)
    rows = await db.execute(select(*columns, func.count()).group_by(*columns))
    return [
        (int(day), outcome(bool(off), bool(done), bool(gone), bool(fell)), count)
        for day, off, done, gone, fell, count in rows
    ]


async def conversation_figures(db: AsyncSession, period: Period, now: datetime) -> dict[str, Any]:
    per_day = [0] * period.days
    outcomes: Counter = Counter({name: 0 for name in OUTCOMES})
    for day, result, count in await outcome_counts(db, period, now):
        per_day[day] += count
        outcomes[result] += count
    total = sum(per_day)
    abandoned = outcomes["abandoned_bot"] + outcomes["abandoned_queue"]
    return {
        "conversations": {
            "total": total,
            "per_day": [
                {"date": d.isoformat(), "count": n}
                for d, n in zip(period.dates(), per_day, strict=True)
            ],
        },
        "outcomes": {
            **{name: outcomes[name] for name in OUTCOMES},
            "abandoned": abandoned,
            "containment_rate": rounded(rate(outcomes["contained"], total)),
            "escalation_rate": rounded(rate(outcomes["escalated"], total)),
            "abandonment_rate": rounded(rate(abandoned, total)),
        },
    }
