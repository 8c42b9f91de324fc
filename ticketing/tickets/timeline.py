"""The ticket timeline: one entry per thing that happened to a ticket.

Functions here take an ``AsyncSession`` inside the caller's transaction and never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Ticket, TicketEvent
from ..serializers import iso


def add_event(
    db: AsyncSession, ticket: Ticket, what: str, /, actor_id: int | None = None, **data: Any
) -> TicketEvent:
    """Append to the ticket's timeline; ``data`` is stored as the entry's JSON."""
    event = TicketEvent(ticket_id=ticket.id, kind=what, actor_id=actor_id, data=data)
    db.add(event)
    return event


def event_json(event: TicketEvent, actor_name: str | None = None) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "data": event.data or {},
        "actor": actor_name,
        "created_at": iso(event.created_at),
    }
