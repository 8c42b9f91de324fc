"""Ownership: team rights, the atomic claim, assignment and transfer.

Functions here take an ``AsyncSession`` inside the caller's transaction and never commit.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import outbox
from ..errors import Conflict, Forbidden, invalid
from ..models import (
    Conversation,
    Team,
    Ticket,
    User,
    utcnow,
)
from .clocks import resume_clocks
from .lifecycle import ticket_brief_full
from .queue import QUEUED_STATUSES, team_by_key
from .timeline import add_event


async def check_team_rights(db: AsyncSession, user: User, ticket: Ticket) -> None:
    """Agents act on their teams' tickets; supervisors and admins on every ticket."""
    from ..staff import has_role, team_ids_of

    if has_role(user, "supervisor") or ticket.team_id is None:
        return
    if ticket.team_id not in await team_ids_of(db, user.id):
        raise Forbidden("forbidden", "this ticket belongs to another team")


def check_owner(user: User, ticket: Ticket) -> None:
    from ..staff import has_role

    if ticket.assignee_id == user.id or has_role(user, "supervisor"):
        return
    if ticket.assignee_id is None:
        raise Conflict("not_claimed", "claim the ticket before acting on it")
    raise Conflict("conflict", "another agent holds this ticket")


async def active_load(db: AsyncSession, user_id: int) -> int:
    return int(
        await db.scalar(
            select(func.count(Ticket.id)).where(
                Ticket.assignee_id == user_id, Ticket.status.in_(("open", "reopened", "new"))
            )
        )
        or 0
    )


async def claim(
    db: AsyncSession,
    user: User,
    ticket: Ticket,
    *,
    enforce_capacity: bool = True,
    how: str = "claimed",
):
    """Atomically take an unassigned ticket: one winner, 409 for everyone else."""
    await check_team_rights(db, user, ticket)
    if ticket.assignee_id == user.id:
        return False
    if ticket.status not in QUEUED_STATUSES and ticket.assignee_id is None:
        raise Conflict(
            "not_claimable",
            f"a {ticket.status} ticket cannot be claimed",
            status=ticket.status,
        )
    if enforce_capacity and await active_load(db, user.id) >= user.capacity:
        raise Conflict("at_capacity", f"you already handle {user.capacity} chats (your capacity)")
    if ticket.conversation_id is not None:
        # The hub's lock order: conversation, then ticket (see desk._load).
        await db.execute(
            select(Conversation.id)
            .where(Conversation.id == ticket.conversation_id)
            .with_for_update()
        )
    now = utcnow()
    result = await db.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket.id,
            Ticket.assignee_id.is_(None),
            Ticket.status.in_(QUEUED_STATUSES),
        )
        .values(assignee_id=user.id, status="open", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        holder = await db.scalar(
            select(User.name)
            .join(Ticket, Ticket.assignee_id == User.id)
            .where(Ticket.id == ticket.id)
        )
        raise Conflict(
            "conflict",
            f"{holder or 'another agent'} already claimed this ticket",
            holder=holder,
        )
    await db.refresh(ticket)
    user.last_assigned_at = now
    add_event(db, ticket, "assigned", actor_id=user.id, assignee=user.name, how=how)
    await outbox.emit(db, "ticket.assigned", {**ticket_brief_full(ticket), "agent": user.name})
    return True


async def assign(db: AsyncSession, ticket: Ticket, agent: User, actor: User | None, how: str):
    ticket.assignee_id = agent.id
    if ticket.status in QUEUED_STATUSES:
        ticket.status = "open"
    agent.last_assigned_at = utcnow()
    add_event(
        db, ticket, "assigned", actor_id=actor.id if actor else None, assignee=agent.name, how=how
    )
    await outbox.emit(db, "ticket.assigned", {**ticket_brief_full(ticket), "agent": agent.name})


def unassign(db: AsyncSession, ticket: Ticket, actor: User) -> None:
    if ticket.status in ("resolved", "closed"):
        raise invalid(f"a {ticket.status} ticket cannot be unassigned")
    ticket.assignee_id = None
    ticket.status = "new" if ticket.status in ("open", "pending") else ticket.status
    add_event(db, ticket, "unassigned", actor_id=actor.id)


async def transfer(
    db: AsyncSession,
    ticket: Ticket,
    actor: User,
    *,
    team_key: str | None,
    agent_id: int | None,
    escalate: bool = False,
):
    if ticket.status in ("resolved", "closed"):
        raise invalid(f"a {ticket.status} ticket cannot be transferred")
    if team_key is None and agent_id is None:
        raise invalid("give a team or an agent to transfer to")
    old_team = ticket.team_id
    old_key = await db.scalar(select(Team.key).where(Team.id == old_team)) if old_team else None
    new_key = old_key
    if team_key is not None:
        team = await team_by_key(db, team_key)
        ticket.team_id, new_key = team.id, team.key
    if escalate:
        ticket.escalated = True
    target = None
    if agent_id is not None:
        target = await db.get(User, agent_id)
        if target is None or not target.active:
            raise invalid("unknown or disabled agent", field="agent_id")
        await check_team_rights(db, target, ticket)
        await assign(db, ticket, target, actor, how="transferred")
    else:
        ticket.assignee_id = None
        if ticket.status in ("open", "pending"):
            if ticket.status == "pending":
                resume_clocks(ticket, utcnow())
            ticket.status = "new"
    add_event(
        db,
        ticket,
        "escalated" if escalate else "transferred",
        actor_id=actor.id,
        from_team=old_key,
        to_team=new_key,
        to_agent=target.name if target else None,
    )
    return target
