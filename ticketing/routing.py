"""Optional round-robin auto-assignment (``AUTO_ASSIGN=true``).

A queued ticket goes to the online agent of its team with spare capacity who was assigned
least recently; the same conditional update as a manual claim keeps it to one owner.
"""

from __future__ import annotations

from sqlalchemy import func, nulls_first, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import tickets
from .errors import HelpdeskError
from .models import Ticket, User, user_teams


async def candidates(db: AsyncSession, team_id: int | None) -> list[User]:
    """Online agents of the team under their capacity, least recently assigned first."""
    load = (
        select(Ticket.assignee_id, func.count(Ticket.id).label("load"))
        .where(Ticket.status.in_(("open", "reopened", "new")), Ticket.assignee_id.isnot(None))
        .group_by(Ticket.assignee_id)
        .subquery()
    )
    query = (
        select(User)
        .outerjoin(load, load.c.assignee_id == User.id)
        .where(
            User.active.is_(True),
            User.presence == "online",
            func.coalesce(load.c.load, 0) < User.capacity,
        )
        .order_by(nulls_first(User.last_assigned_at.asc()), User.id)
    )
    if team_id is not None:
        query = query.join(user_teams, user_teams.c.user_id == User.id).where(
            user_teams.c.team_id == team_id
        )
    return list((await db.execute(query)).scalars().unique())


async def auto_assign(db: AsyncSession, ticket: Ticket) -> User | None:
    """Assign ``ticket`` to the next agent in turn; ``None`` when nobody is free."""
    if ticket.assignee_id is not None or ticket.status not in tickets.QUEUED_STATUSES:
        return None
    for agent in await candidates(db, ticket.team_id):
        try:
            if await tickets.claim(db, agent, ticket, how="auto-assigned"):
                return agent
        except HelpdeskError as error:
            if error.code in ("conflict", "not_claimable"):
                return None  # someone else took it meanwhile
            continue  # at capacity since we looked: try the next agent
    return None


async def assign_waiting(db: AsyncSession, limit: int = 50) -> list[tuple[Ticket, User]]:
    """One pass over the queue (used by the background worker when agents free up)."""
    done = []
    queued = (await db.execute(tickets.queue_query().limit(limit))).scalars().all()
    for ticket in queued:
        agent = await auto_assign(db, ticket)
        if agent is not None:
            done.append((ticket, agent))
    return done
