"""The transcript list: one page of matching conversations, and every one as CSV rows.

Both render a conversation the same way (``_item``): its status, customer (masked for roles
that should not see personal data), message count, latest ticket, CSAT, whether the bot fell
back, and a snippet of the first customer message. Which conversations match is decided in
:mod:`.transcript_search`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Conversation, Message, Rating, Team, Ticket
from ..privacy import masking as privacy
from .common import FALLBACK_INTENT, dialect, iso, users_by_id
from .transcript_search import COLUMNS, Filters, where_clauses

SNIPPET = 160
MAX_PER_PAGE = 100


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
        snippet = (
            privacy.mask_text(snippet, privacy.known_names({"customer_name": row.customer_name}))
            or ""
        )
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
    # The total comes with the page (a window count), so a search runs once, not twice. It
    # is counted in a subquery and sorted outside it: with ORDER BY ... LIMIT on the same
    # level, PostgreSQL walked the created_at index backwards in a nested loop over the
    # full-text matches, not seeing that the count must read every row first (a frequent
    # word took 4-5 s at 100k messages and over 60 s at 1M; bench/bench_reports.py --growth).
    counted = (
        select(*COLUMNS, func.count().over().label("total")).where(*clauses).subquery("counted")
    )
    rows = (
        await db.execute(
            select(counted)
            .order_by(counted.c.created_at.desc(), counted.c.id.desc())
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


# ------------------------------------------------------------------ CSV export


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
