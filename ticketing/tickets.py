"""Tickets: hand-off from the bot, queue position."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .errors import invalid
from .models import HANDOFF_REASONS, PRIORITIES, TICKET_KINDS, Conversation, Ticket, TicketEvent

ACTIVE_STATUSES = ("new", "open", "pending", "reopened")
QUEUED_STATUSES = ("new", "reopened")


@dataclass
class Handoff:
    ticket: Ticket
    created: bool
    queue_position: int | None


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


async def queue_position(db: AsyncSession, ticket: Ticket) -> int | None:
    """1-based place of an unassigned ticket in the queue (priority, then waiting time)."""
    if ticket.status not in QUEUED_STATUSES:
        return None
    ahead = await db.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.status.in_(QUEUED_STATUSES),
            Ticket.id != ticket.id,
            or_(
                Ticket.priority < ticket.priority,
                and_(
                    Ticket.priority == ticket.priority,
                    or_(
                        Ticket.created_at < ticket.created_at,
                        and_(Ticket.created_at == ticket.created_at, Ticket.id < ticket.id),
                    ),
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


def validate_handoff(reason: str, kind: str, priority: str) -> None:
    if reason not in HANDOFF_REASONS:
        raise invalid(f"reason must be one of {', '.join(HANDOFF_REASONS)}", field="reason")
    if kind not in TICKET_KINDS:
        raise invalid(f"kind must be one of {', '.join(TICKET_KINDS)}", field="kind")
    if priority not in PRIORITIES:
        raise invalid(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")


async def hand_off(
    db: AsyncSession,
    conversation: Conversation,
    reason: str,
    *,
    kind: str = "escalation",
    priority: str = "P3",
    summary: str | None = None,
) -> Handoff:
    """Queue the conversation for a human; one active ticket per conversation.

    Must run inside a transaction; the caller commits.
    """
    validate_handoff(reason, kind, priority)
    ticket = await active_ticket(db, conversation.id)
    created = ticket is None
    if ticket is None:
        ticket = Ticket(
            conversation_id=conversation.id,
            kind=kind,
            reason=reason,
            priority=priority,
            summary=summary,
            status="new",
        )
        db.add(ticket)
        await db.flush()
        ticket.number = f"T-{ticket.id:06d}"
        db.add(
            TicketEvent(ticket_id=ticket.id, kind="created", data={"reason": reason, "kind": kind})
        )
    if conversation.status in ("bot", "closed"):
        conversation.status = "queued"
        conversation.closed_at = None
    await db.flush()
    return Handoff(ticket=ticket, created=created, queue_position=await queue_position(db, ticket))
