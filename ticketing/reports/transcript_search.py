"""Transcript search: the filters of the transcript list and the SQL that applies them.

Full-text search runs on the database: PostgreSQL matches ``to_tsvector('english', text)``
(the expression of the GIN index from migration 0002) against ``plainto_tsquery``; SQLite
matches the FTS5 table ``messages_fts``, every word of the query quoted so that nothing the
user types is read as FTS5 syntax. Either way all words must occur in one message (stemmed:
"refunds" finds "refund"). A query that is exactly a session id or ticket number finds it too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import false, literal_column, or_, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ..errors import invalid
from ..models import (
    CONVERSATION_STATUSES,
    HANDOFF_REASONS,
    PRIORITIES,
    Conversation,
    Message,
    Rating,
    Team,
    Ticket,
)
from .common import FALLBACK_INTENT, in_period, query_bool, query_choices
from .periods import parse_period

WORD = re.compile(r"\w+", re.UNICODE)
ID_LIKE = re.compile(r"[A-Za-z0-9_-]{4,64}")
MAX_QUERY = 200


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    period: Any = None
    statuses: tuple[str, ...] = ()
    contained: bool | None = None
    reason: str | None = None
    agent_id: int | None = None
    team_id: int | None = None
    category: str | None = None
    priority: str | None = None
    csat: tuple[int, ...] = ()
    intent: str | None = None
    fallback: bool | None = None


async def parse_filters(db: AsyncSession, query: Mapping[str, str], tz: ZoneInfo) -> Filters:
    """The transcript filters of a query string; 422 for values that cannot match."""
    q = (query.get("q") or "").strip() or None
    if q is not None and len(q) > MAX_QUERY:
        raise invalid(f"q must be at most {MAX_QUERY} characters", field="q")
    period = None
    if query.get("from") or query.get("to"):
        period = parse_period(query, tz, max_days=3660)
    agent_id = None
    if query.get("agent"):
        if not query["agent"].strip().isdigit():
            raise invalid("agent must be a user id", field="agent")
        agent_id = int(query["agent"])
    team_id = None
    if query.get("team"):
        key = query["team"].strip()
        team_id = await db.scalar(
            select(Team.id).where(Team.id == int(key) if key.isdigit() else Team.key == key)
        )
        if team_id is None:
            raise invalid(f"unknown team {key!r}", field="team")
    csat = ()
    if query.get("csat"):
        try:
            csat = tuple(int(v) for v in query["csat"].split(",") if v.strip())
        except ValueError:
            csat = (0,)
        if not csat or any(v not in (1, 2, 3, 4, 5) for v in csat):
            raise invalid("csat must be scores from 1 to 5 (e.g. 1,2)", field="csat")
    reasons = query_choices(query, "reason", HANDOFF_REASONS)
    priorities = query_choices(query, "priority", PRIORITIES)
    return Filters(
        q=q,
        period=period,
        statuses=query_choices(query, "status", CONVERSATION_STATUSES),
        contained=query_bool(query, "contained"),
        reason=reasons[0] if reasons else None,
        agent_id=agent_id,
        team_id=team_id,
        category=(query.get("category") or "").strip() or None,
        priority=priorities[0] if priorities else None,
        csat=csat,
        intent=(query.get("intent") or "").strip() or None,
        fallback=query_bool(query, "fallback"),
    )


# ------------------------------------------------------------------ SQL


def fts_query(q: str) -> str | None:
    """An FTS5 MATCH string for ``q``: each word quoted (an implicit AND), nothing else."""
    words = WORD.findall(q)
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def _exact(q: str) -> ColumnElement | None:
    """The conversation with session id or ticket number ``q``, when ``q`` looks like one."""
    if not ID_LIKE.fullmatch(q) or not any(ch.isdigit() for ch in q):
        return None
    return or_(
        Conversation.public_id == q,
        Conversation.id.in_(select(Ticket.conversation_id).where(Ticket.number == q.upper())),
    )


def text_match(q: str, dialect: str) -> ColumnElement:
    """Conversations with a message containing every word of ``q`` (or that id/number)."""
    exact = _exact(q)
    if dialect == "postgresql":
        matching = (
            select(Message.conversation_id)
            .where(
                text(
                    "to_tsvector('english', messages.text) @@ plainto_tsquery('english', :fts_q)"
                ).bindparams(fts_q=q)
            )
            # OFFSET 0 keeps PostgreSQL from flattening this into a semi-join that it may run
            # as a nested loop computing to_tsvector() for every message of every
            # conversation (seconds); this way the GIN index is read once (milliseconds).
            .offset(0)
        )
    else:
        match = fts_query(q)
        if match is None:
            return exact if exact is not None else false()
        rowids = (
            select(literal_column("rowid"))
            .select_from(table("messages_fts"))
            .where(text("messages_fts MATCH :fts_q").bindparams(fts_q=match))
        )
        matching = select(Message.conversation_id).where(Message.id.in_(rowids))
    found = Conversation.id.in_(matching)
    return found if exact is None else or_(found, exact)


def _ticket_exists(*conditions: Any) -> ColumnElement:
    return select(Ticket.id).where(Ticket.conversation_id == Conversation.id, *conditions).exists()


def _customer_said(*conditions: Any) -> ColumnElement:
    return (
        select(Message.id)
        .where(
            Message.conversation_id == Conversation.id, Message.sender == "customer", *conditions
        )
        .exists()
    )


def where_clauses(filters: Filters, dialect: str) -> list[ColumnElement]:
    clauses: list[ColumnElement] = [Conversation.last_customer_message_at.isnot(None)]
    if filters.q:
        clauses.append(text_match(filters.q, dialect))
    if filters.period is not None:
        clauses.append(in_period(Conversation.created_at, filters.period))
    if filters.statuses:
        clauses.append(Conversation.status.in_(filters.statuses))
    if filters.contained is True:
        clauses.append(~_ticket_exists())
    elif filters.contained is False:
        clauses.append(_ticket_exists())
    if filters.reason:
        clauses.append(_ticket_exists(Ticket.reason == filters.reason))
    if filters.agent_id is not None:
        clauses.append(
            or_(
                Conversation.agent_id == filters.agent_id,
                _ticket_exists(Ticket.assignee_id == filters.agent_id),
            )
        )
    if filters.team_id is not None:
        clauses.append(_ticket_exists(Ticket.team_id == filters.team_id))
    if filters.category:
        clauses.append(_ticket_exists(Ticket.category == filters.category))
    if filters.priority:
        clauses.append(_ticket_exists(Ticket.priority == filters.priority))
    if filters.csat:
        clauses.append(
            Conversation.id.in_(select(Rating.conversation_id).where(Rating.csat.in_(filters.csat)))
        )
    if filters.intent:
        clauses.append(_customer_said(Message.intent == filters.intent))
    if filters.fallback is True:
        clauses.append(_customer_said(Message.intent == FALLBACK_INTENT))
    elif filters.fallback is False:
        clauses.append(~_customer_said(Message.intent == FALLBACK_INTENT))
    return clauses


COLUMNS = (
    Conversation.id,
    Conversation.public_id,
    Conversation.created_at,
    Conversation.closed_at,
    Conversation.status,
    Conversation.customer_name,
    Conversation.customer_email,
)
