"""Transcripts for supervisors: the searchable, filterable list and one full transcript.

Full-text search runs on the database: PostgreSQL matches ``to_tsvector('english', text)``
(the expression of the GIN index from migration 0002) against ``plainto_tsquery``; SQLite
matches the FTS5 table ``messages_fts``, every word of the query quoted so that nothing the
user types is read as FTS5 syntax. Either way all words must occur in one message (stemmed:
"refunds" finds "refund"). A query that is exactly a session id or ticket number finds it too.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, literal_column, or_, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ..errors import invalid, not_found
from ..models import (
    CONVERSATION_STATUSES,
    HANDOFF_REASONS,
    PRIORITIES,
    Complaint,
    Conversation,
    Message,
    Rating,
    Team,
    Ticket,
    TicketEvent,
)
from ..shop import Shop
from ..ticket_detail import (
    complaint_json,
    messages_of,
    rating_json,
    staff_message_json,
    ticket_json,
)
from ..tickets import event_json
from . import privacy
from .common import (
    FALLBACK_INTENT,
    dialect,
    in_period,
    iso,
    query_bool,
    query_choices,
    users_by_id,
)
from .periods import parse_period

WORD = re.compile(r"\w+", re.UNICODE)
ID_LIKE = re.compile(r"[A-Za-z0-9_-]{4,64}")
SNIPPET = 160
MAX_PER_PAGE = 100
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


# ------------------------------------------------------------------ list items


async def _extras(db: AsyncSession, ids: list[int]) -> dict[str, dict[int, Any]]:
    """Per conversation: message count, fallback flag, first customer message, tickets, CSAT."""
    if not ids:
        return {"count": {}, "fallback": {}, "first": {}, "ticket": {}, "csat": {}, "users": {}}
    counts = dict(
        (
            await db.execute(
                select(Message.conversation_id, func.count())
                .where(Message.conversation_id.in_(ids))
                .group_by(Message.conversation_id)
            )
        ).all()
    )
    fallback = {
        cid: True
        for cid in (
            await db.execute(
                select(Message.conversation_id)
                .where(
                    Message.conversation_id.in_(ids),
                    Message.sender == "customer",
                    Message.intent == FALLBACK_INTENT,
                )
                .distinct()
            )
        ).scalars()
    }
    first_ids = (
        select(func.min(Message.id))
        .where(Message.conversation_id.in_(ids), Message.sender == "customer")
        .group_by(Message.conversation_id)
    )
    first = dict(
        (
            await db.execute(
                select(Message.conversation_id, Message.text).where(Message.id.in_(first_ids))
            )
        ).all()
    )
    latest: dict[int, Any] = {}
    for row in await db.execute(
        select(
            Ticket.conversation_id,
            Ticket.number,
            Ticket.priority,
            Ticket.status,
            Ticket.reason,
            Ticket.category,
            Ticket.assignee_id,
            Ticket.team_id,
        )
        .where(Ticket.conversation_id.in_(ids))
        .order_by(Ticket.id)
    ):
        latest[row.conversation_id] = row
    csat = dict(
        (
            await db.execute(
                select(Rating.conversation_id, Rating.csat).where(Rating.conversation_id.in_(ids))
            )
        ).all()
    )
    users = await users_by_id(db, (t.assignee_id for t in latest.values()))
    return {
        "count": counts,
        "fallback": fallback,
        "first": first,
        "ticket": latest,
        "csat": csat,
        "users": users,
    }


def _item(row: Any, extras: dict[str, dict[int, Any]], teams: dict[int, str], masked: bool):
    ticket = extras["ticket"].get(row.id)
    snippet = extras["first"].get(row.id) or ""
    if masked:
        snippet = privacy.mask_text(snippet) or ""
    assignee = extras["users"].get(ticket.assignee_id) if ticket and ticket.assignee_id else None
    return {
        "session_id": row.public_id,
        "created_at": iso(row.created_at),
        "closed_at": iso(row.closed_at),
        "status": row.status,
        "customer": privacy.customer(row.customer_name, row.customer_email, masked),
        "message_count": extras["count"].get(row.id, 0),
        "contained": ticket is None,
        "handoff_reason": ticket.reason if ticket else None,
        "ticket": (
            {
                "number": ticket.number,
                "priority": ticket.priority,
                "status": ticket.status,
                "category": ticket.category,
                "team": teams.get(ticket.team_id),
                "assignee": assignee.name if assignee else None,
            }
            if ticket
            else None
        ),
        "csat": extras["csat"].get(row.id),
        "had_fallback": extras["fallback"].get(row.id, False),
        "snippet": snippet[:SNIPPET] + ("…" if len(snippet) > SNIPPET else ""),
    }


async def _team_keys(db: AsyncSession) -> dict[int, str]:
    return dict((await db.execute(select(Team.id, Team.key))).all())


async def list_conversations(
    db: AsyncSession, filters: Filters, page: int, per_page: int, masked: bool
) -> dict[str, Any]:
    clauses = where_clauses(filters, dialect(db))
    # the total comes with the page (a window count), so a search runs once, not twice
    rows = (
        await db.execute(
            select(*COLUMNS, func.count().over().label("total"))
            .where(*clauses)
            .order_by(Conversation.created_at.desc(), Conversation.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    ).all()
    if rows:
        total = rows[0].total
    elif page == 1:
        total = 0
    else:  # past the last page
        total = await db.scalar(
            select(func.count()).select_from(select(Conversation.id).where(*clauses).subquery())
        )
    extras = await _extras(db, [r.id for r in rows])
    teams = await _team_keys(db)
    return {
        "total": total or 0,
        "page": page,
        "per_page": per_page,
        "pages": -(-(total or 0) // per_page),
        "conversations": [_item(r, extras, teams, masked) for r in rows],
    }


CSV_HEADER = [
    "session_id",
    "created_at",
    "closed_at",
    "status",
    "customer_name",
    "customer_email",
    "message_count",
    "contained",
    "handoff_reason",
    "ticket",
    "priority",
    "ticket_status",
    "category",
    "team",
    "assignee",
    "csat",
    "had_fallback",
    "first_customer_message",
]


async def iter_csv_rows(
    db: AsyncSession, filters: Filters, masked: bool, batch: int = 2000
) -> AsyncIterator[list[Any]]:
    """Every matching conversation, newest first, fetched ``batch`` rows at a time by keyset
    (created_at, id), so memory stays flat whatever the export's size."""
    clauses = where_clauses(filters, dialect(db))
    teams = await _team_keys(db)
    last: tuple[Any, int] | None = None
    while True:
        query = select(*COLUMNS).where(*clauses)
        if last is not None:
            query = query.where(
                or_(
                    Conversation.created_at < last[0],
                    and_(Conversation.created_at == last[0], Conversation.id < last[1]),
                )
            )
        rows = (
            await db.execute(
                query.order_by(Conversation.created_at.desc(), Conversation.id.desc()).limit(batch)
            )
        ).all()
        if not rows:
            return
        extras = await _extras(db, [r.id for r in rows])
        for row in rows:
            item = _item(row, extras, teams, masked)
            ticket = item["ticket"] or {}
            yield [
                item["session_id"],
                item["created_at"],
                item["closed_at"],
                item["status"],
                item["customer"]["name"],
                item["customer"]["email"],
                item["message_count"],
                item["contained"],
                item["handoff_reason"],
                ticket.get("number"),
                ticket.get("priority"),
                ticket.get("status"),
                ticket.get("category"),
                ticket.get("team"),
                ticket.get("assignee"),
                item["csat"],
                item["had_fallback"],
                extras["first"].get(row.id) if not masked else item["snippet"],
            ]
        last = (rows[-1].created_at, rows[-1].id)


# ------------------------------------------------------------------ one transcript


def _masked_message(data: dict[str, Any]) -> dict[str, Any]:
    data = {**data, "text": privacy.mask_text(data.get("text"))}
    if data.get("entities"):
        data["entities"] = [
            {**e, "value": privacy.mask_text(str(e.get("value")))} if isinstance(e, dict) else e
            for e in data["entities"]
        ]
    return data


async def conversation_detail(
    db: AsyncSession, shop: Shop, session_id: str, masked: bool
) -> dict[str, Any]:
    conversation = (
        await db.execute(select(Conversation).where(Conversation.public_id == session_id))
    ).scalar_one_or_none()
    if conversation is None:
        raise not_found(f"conversation {session_id}")
    messages = await messages_of(db, conversation.id)
    tickets = (
        (
            await db.execute(
                select(Ticket).where(Ticket.conversation_id == conversation.id).order_by(Ticket.id)
            )
        )
        .scalars()
        .all()
    )
    ticket_ids = [t.id for t in tickets]
    events = (
        (
            await db.execute(
                select(TicketEvent)
                .where(TicketEvent.ticket_id.in_(ticket_ids))
                .order_by(TicketEvent.id)
            )
        )
        .scalars()
        .all()
        if ticket_ids
        else []
    )
    complaints = {
        c.ticket_id: c
        for c in (
            await db.execute(select(Complaint).where(Complaint.ticket_id.in_(ticket_ids)))
        ).scalars()
    }
    rating = (
        await db.execute(select(Rating).where(Rating.conversation_id == conversation.id))
    ).scalar_one_or_none()
    users = await users_by_id(
        db,
        {m.author_id for m in messages}
        | {e.actor_id for e in events}
        | {t.assignee_id for t in tickets}
        | {conversation.agent_id, rating.agent_id if rating else None},
    )
    names = {i: u.name for i, u in users.items()}
    teams = {t.id: t for t in (await db.execute(select(Team))).scalars()}
    turns = [staff_message_json(m, names) for m in messages]
    if masked:
        turns = [_masked_message(t) for t in turns]
    return {
        "conversation": {
            "session_id": conversation.public_id,
            "status": conversation.status,
            "locale": conversation.locale,
            "created_at": iso(conversation.created_at),
            "closed_at": iso(conversation.closed_at),
            "handed_off_at": iso(conversation.handed_off_at),
            "survey_offered_at": iso(conversation.survey_offered_at),
            "agent": names.get(conversation.agent_id) if conversation.agent_id else None,
            "customer": privacy.customer(
                conversation.customer_name, conversation.customer_email, masked
            ),
        },
        "messages": turns,
        "tickets": [
            _ticket_with_timeline(t, shop, teams, names, events, complaints.get(t.id), masked)
            for t in tickets
        ],
        "rating": (
            {**rating_json(rating), "agent": names.get(rating.agent_id)}
            if rating is not None
            else None
        ),
    }


def _ticket_with_timeline(ticket, shop, teams, names, events, complaint, masked):
    data = ticket_json(ticket, shop, teams, names)
    timeline = [event_json(e, names.get(e.actor_id)) for e in events if e.ticket_id == ticket.id]
    record = complaint_json(complaint) if complaint is not None else None
    if masked:
        data["customer"] = privacy.customer(ticket.customer_name, ticket.customer_email, True)
        for entry in timeline:
            if isinstance(entry["data"].get("text"), str):
                entry["data"] = {**entry["data"], "text": privacy.mask_text(entry["data"]["text"])}
        if record is not None:
            record["description"] = privacy.mask_text(record["description"])
    data["timeline"] = timeline
    data["notes"] = [entry for entry in timeline if entry["kind"] == "note"]
    data["sla_events"] = [entry for entry in timeline if entry["kind"].startswith("sla_")]
    data["complaint"] = record
    return data
