"""Hand-off: a conversation becomes a ticket in a team's queue (or reopens one).

Functions here take an ``AsyncSession`` inside the caller's transaction and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from .. import outbox
from ..errors import invalid
from ..models import (
    HANDOFF_REASONS,
    PRIORITIES,
    TICKET_KINDS,
    Conversation,
    Team,
    Ticket,
    utcnow,
)
from ..shop import Shop
from .clocks import refresh_sla
from .lifecycle import reopen, ticket_brief_full
from .queue import active_ticket, latest_ticket, queue_position, team_by_key
from .timeline import add_event

CATEGORY_TEAMS = {
    "delivery": "delivery",
    "order": "delivery",
    "billing": "billing",
    "payment": "billing",
    "refund": "billing",
    "technical": "technical",
    "account": "technical",
}


@dataclass
class Handoff:
    ticket: Ticket
    created: bool
    reopened: bool
    queue_position: int | None


def validate_handoff(reason: str, kind: str, priority: str) -> None:
    if reason not in HANDOFF_REASONS:
        raise invalid(f"reason must be one of {', '.join(HANDOFF_REASONS)}", field="reason")
    if kind not in TICKET_KINDS:
        raise invalid(f"kind must be one of {', '.join(TICKET_KINDS)}", field="kind")
    if priority not in PRIORITIES:
        raise invalid(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")


async def _default_team(db: AsyncSession, category: str | None) -> Team:
    key = CATEGORY_TEAMS.get((category or "").split("/")[0], "general")
    return await team_by_key(db, key)


async def hand_off(
    db: AsyncSession,
    shop: Shop,
    conversation: Conversation,
    reason: str,
    *,
    kind: str = "escalation",
    priority: str = "P3",
    summary: str | None = None,
    category: str | None = None,
    subject: str | None = None,
) -> Handoff:
    """Queue the conversation for a human; one active ticket per conversation.

    A resolved ticket of the same conversation within the reopen window is reopened instead
    of creating a new one.
    """
    validate_handoff(reason, kind, priority)
    now = utcnow()
    ticket = await active_ticket(db, conversation.id)
    created = reopened = False
    if ticket is None:
        latest = await latest_ticket(db, conversation.id)
        window = timedelta(days=shop.reopen_window_days)
        if (
            latest is not None
            and latest.status == "resolved"
            and latest.resolved_at is not None
            and now - latest.resolved_at <= window
        ):
            ticket = latest
            reopen(ticket, now)
            add_event(db, ticket, "status_changed", old="resolved", new="reopened", why=reason)
            reopened = True
    if ticket is None:
        team = await _default_team(db, category)
        ticket = Ticket(
            conversation_id=conversation.id,
            kind=kind,
            reason=reason,
            priority=priority,
            summary=summary,
            category=category,
            subject=subject,
            status="new",
            team_id=team.id,
            customer_id=conversation.customer_id,
            customer_name=conversation.customer_name,
            customer_email=conversation.customer_email,
            created_at=now,
            awaiting_reply_since=now,
            tags=[],
            pauses=[],
        )
        db.add(ticket)
        await db.flush()
        ticket.number = f"T-{ticket.id:06d}"
        add_event(db, ticket, "created", reason=reason, kind=kind, priority=priority)
        created = True
    elif summary and not ticket.summary:
        ticket.summary = summary
    refresh_sla(shop, ticket)
    if conversation.status in ("bot", "closed"):
        conversation.status = "queued"
        conversation.closed_at = None
        conversation.agent_id = None
        conversation.handed_off_at = now
    await db.flush()
    if created:
        await outbox.emit(db, "ticket.created", ticket_brief_full(ticket))
    elif reopened:
        await outbox.emit(
            db, "ticket.status_changed", {**ticket_brief_full(ticket), "old": "resolved"}
        )
    return Handoff(
        ticket=ticket,
        created=created,
        reopened=reopened,
        queue_position=await queue_position(db, ticket),
    )
