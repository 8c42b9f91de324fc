"""The queue: looking tickets up, who waits, in which order, and who is online.

Functions here take an ``AsyncSession`` inside the caller's transaction and never commit.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import invalid, not_found
from ..models import (
    Customer,
    Team,
    Ticket,
    User,
)

ACTIVE_STATUSES = ("new", "open", "pending", "reopened")


QUEUED_STATUSES = ("new", "reopened")


async def by_number(db: AsyncSession, number: str, *, lock: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.number == number.upper())
    if lock:
        query = query.with_for_update()
    ticket = (await db.execute(query)).scalar_one_or_none()
    if ticket is None:
        raise not_found(f"ticket {number}")
    return ticket


async def active_ticket(db: AsyncSession, conversation_id: int) -> Ticket | None:
    return (
        await db.execute(
            select(Ticket)
            .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(ACTIVE_STATUSES))
            .order_by(Ticket.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def latest_ticket(db: AsyncSession, conversation_id: int) -> Ticket | None:
    return (
        await db.execute(
            select(Ticket)
            .where(Ticket.conversation_id == conversation_id)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def team_by_key(db: AsyncSession, key: str) -> Team:
    team = (await db.execute(select(Team).where(Team.key == key))).scalar_one_or_none()
    if team is None:
        raise invalid(f"unknown team {key!r}", field="team")
    return team


def _service_level():
    """0 for customers routed first (VIP or dispute), 1 for everyone else."""
    return case(
        (or_(Customer.vip.is_(True), Customer.dispute.is_(True)), 0),
        else_=1,
    )


def queue_query(team_ids: set[int] | None = None):
    """Unassigned tickets in queue order: service level, priority, waiting time."""
    query = (
        select(Ticket)
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.status.in_(QUEUED_STATUSES), Ticket.assignee_id.is_(None))
        .order_by(_service_level(), Ticket.priority, Ticket.created_at, Ticket.id)
    )
    if team_ids is not None:
        query = query.where(Ticket.team_id.in_(team_ids))
    return query


async def queue_position(db: AsyncSession, ticket: Ticket) -> int | None:
    """1-based place of an unassigned ticket in its team's queue."""
    if ticket.status not in QUEUED_STATUSES or ticket.assignee_id is not None:
        return None
    level = await db.scalar(
        select(_service_level())
        .select_from(Ticket)
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.id == ticket.id)
    )
    ahead = await db.scalar(
        select(func.count(Ticket.id))
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(
            Ticket.status.in_(QUEUED_STATUSES),
            Ticket.assignee_id.is_(None),
            Ticket.id != ticket.id,
            Ticket.team_id == ticket.team_id if ticket.team_id else Ticket.team_id.is_(None),
            or_(
                _service_level() < level,
                and_(
                    _service_level() == level,
                    or_(
                        Ticket.priority < ticket.priority,
                        and_(
                            Ticket.priority == ticket.priority,
                            or_(
                                Ticket.created_at < ticket.created_at,
                                and_(
                                    Ticket.created_at == ticket.created_at,
                                    Ticket.id < ticket.id,
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


async def online_agents(db: AsyncSession, team_id: int | None = None) -> int:
    from ..models import user_teams

    query = select(func.count(func.distinct(User.id))).where(
        User.active.is_(True), User.presence == "online"
    )
    if team_id is not None:
        query = query.join(user_teams, user_teams.c.user_id == User.id).where(
            user_teams.c.team_id == team_id
        )
    return int(await db.scalar(query) or 0)
