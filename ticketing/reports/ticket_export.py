"""The ticket list as CSV (``/api/tickets.csv``): same filters as the ticket list, streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ..errors import invalid
from ..models import PRIORITIES, TICKET_KINDS, TICKET_STATUSES, Conversation, Rating, Team, Ticket
from ..privacy import masking as privacy
from ..shop import Shop
from .common import in_period, query_choices, users_by_id
from .periods import Period, parse_period
from .timing import BusinessClock


@dataclass(frozen=True)
class TicketFilters:
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    team_id: int | None = None
    assignee_id: int | None = None
    category: str | None = None
    breached: bool | None = None
    period: Period | None = None


async def parse_ticket_filters(
    db: AsyncSession, query: Mapping[str, str], tz: ZoneInfo
) -> TicketFilters:
    team_id = None
    if query.get("team"):
        key = query["team"].strip()
        team_id = await db.scalar(select(Team.id).where(Team.key == key))
        if team_id is None:
            raise invalid(f"unknown team {key!r}", field="team")
    assignee = (query.get("assignee") or "").strip()
    if assignee and not assignee.isdigit():
        raise invalid("assignee must be a user id", field="assignee")
    breached = (query.get("breached") or "").strip().lower()
    if breached not in ("", "true", "false", "1", "0"):
        raise invalid("breached must be true or false", field="breached")
    period = (
        parse_period(query, tz, max_days=3660) if query.get("from") or query.get("to") else None
    )
    return TicketFilters(
        statuses=query_choices(query, "status", TICKET_STATUSES),
        priorities=query_choices(query, "priority", PRIORITIES),
        kinds=query_choices(query, "kind", TICKET_KINDS),
        team_id=team_id,
        assignee_id=int(assignee) if assignee else None,
        category=(query.get("category") or "").strip() or None,
        breached=None if not breached else breached in ("true", "1"),
        period=period,
    )


def _clauses(filters: TicketFilters) -> list[ColumnElement]:
    clauses: list[ColumnElement] = []
    if filters.statuses:
        clauses.append(Ticket.status.in_(filters.statuses))
    if filters.priorities:
        clauses.append(Ticket.priority.in_(filters.priorities))
    if filters.kinds:
        clauses.append(Ticket.kind.in_(filters.kinds))
    if filters.team_id is not None:
        clauses.append(Ticket.team_id == filters.team_id)
    if filters.assignee_id is not None:
        clauses.append(Ticket.assignee_id == filters.assignee_id)
    if filters.category:
        clauses.append(Ticket.category == filters.category)
    if filters.breached is not None:
        clauses.append(Ticket.breached.is_(filters.breached))
    if filters.period is not None:
        clauses.append(in_period(Ticket.created_at, filters.period))
    return clauses


CSV_HEADER = [
    "number",
    "created_at",
    "status",
    "priority",
    "kind",
    "reason",
    "category",
    "team",
    "assignee",
    "customer_name",
    "customer_email",
    "session_id",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "first_response_business_minutes",
    "resolution_business_minutes",
    "sla_state",
    "breached",
    "reopened_count",
    "csat",
]


async def iter_ticket_rows(
    db: AsyncSession, shop: Shop, filters: TicketFilters, masked: bool, batch: int = 2000
) -> AsyncIterator[list[Any]]:
    """Matching tickets, newest first, by keyset pages of ``batch`` rows."""
    clauses = _clauses(filters)
    clock = BusinessClock(shop.calendar)
    teams = dict((await db.execute(select(Team.id, Team.key))).all())
    last: tuple[Any, int] | None = None
    while True:
        query = (
            select(
                Ticket.id,
                Ticket.number,
                Ticket.created_at,
                Ticket.status,
                Ticket.priority,
                Ticket.kind,
                Ticket.reason,
                Ticket.category,
                Ticket.team_id,
                Ticket.assignee_id,
                Ticket.customer_name,
                Ticket.customer_email,
                Ticket.first_response_at,
                Ticket.resolved_at,
                Ticket.closed_at,
                Ticket.pauses,
                Ticket.sla_state,
                Ticket.breached,
                Ticket.reopened_count,
                Conversation.public_id,
                Rating.csat,
            )
            .outerjoin(Conversation, Conversation.id == Ticket.conversation_id)
            .outerjoin(Rating, Rating.ticket_id == Ticket.id)
            .where(*clauses)
        )
        if last is not None:
            query = query.where(
                or_(
                    Ticket.created_at < last[0],
                    and_(Ticket.created_at == last[0], Ticket.id < last[1]),
                )
            )
        rows = (
            await db.execute(
                query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(batch)
            )
        ).all()
        if not rows:
            return
        users = await users_by_id(db, (r.assignee_id for r in rows))
        for r in rows:
            customer = privacy.customer(r.customer_name, r.customer_email, masked)
            yield [
                r.number,
                r.created_at,
                r.status,
                r.priority,
                r.kind,
                r.reason,
                r.category,
                teams.get(r.team_id),
                users[r.assignee_id].name if r.assignee_id in users else None,
                customer["name"],
                customer["email"],
                r.public_id,
                r.first_response_at,
                r.resolved_at,
                r.closed_at,
                round(clock.minutes(r.created_at, r.first_response_at, r.pauses), 1)
                if r.first_response_at
                else None,
                round(clock.minutes(r.created_at, r.resolved_at, r.pauses), 1)
                if r.resolved_at
                else None,
                r.sla_state,
                r.breached,
                r.reopened_count,
                r.csat,
            ]
        last = (rows[-1].created_at, rows[-1].id)
