"""Lifecycle: status transitions, resolution, fields, the complaint record, timeline.

Functions here take an ``AsyncSession`` inside the caller's transaction and never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import outbox
from ..errors import invalid, not_found
from ..models import (
    Complaint,
    Ticket,
    User,
    utcnow,
)
from ..serializers import iso, ticket_brief
from ..shop import Shop
from .clocks import pause_clocks, refresh_sla, resume_clocks
from .timeline import add_event

# status -> statuses an agent may move it to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "pending", "resolved", "closed"),
    "reopened": ("open", "pending", "resolved", "closed"),
    "open": ("pending", "resolved", "closed"),
    "pending": ("open", "resolved", "closed"),
    "resolved": ("closed", "reopened"),
    "closed": (),
}


def reopen(ticket: Ticket, now: datetime) -> None:
    ticket.status = "reopened"
    ticket.reopened_count = (ticket.reopened_count or 0) + 1
    ticket.resolved_at = None
    ticket.assignee_id = None
    ticket.awaiting_reply_since = now


def ticket_brief_full(ticket: Ticket) -> dict[str, Any]:
    return {
        **ticket_brief(ticket),
        "kind": ticket.kind,
        "reason": ticket.reason,
        "category": ticket.category,
        "assignee_id": ticket.assignee_id,
        "team_id": ticket.team_id,
        "created_at": iso(ticket.created_at),
    }


async def set_status(
    db: AsyncSession, shop: Shop, ticket: Ticket, new: str, actor: User | None
) -> None:
    allowed = TRANSITIONS.get(ticket.status, ())
    if new == ticket.status:
        return
    if new not in allowed:
        raise invalid(
            f"a {ticket.status} ticket cannot become {new}",
            allowed=list(allowed),
            field="status",
        )
    if new == "resolved":
        raise invalid("use the resolve action, which records the resolution", allowed=list(allowed))
    old = ticket.status
    now = utcnow()
    if old == "pending":
        resume_clocks(ticket, now)
    if new == "pending":
        pause_clocks(ticket, now)
    if new == "closed":
        ticket.closed_at = now
    if new == "reopened":
        reopen(ticket, now)
    ticket.status = new
    refresh_sla(shop, ticket)
    add_event(db, ticket, "status_changed", actor_id=actor.id if actor else None, old=old, new=new)
    await outbox.emit(db, "ticket.status_changed", {**ticket_brief_full(ticket), "old": old})


async def resolve(
    db: AsyncSession,
    shop: Shop,
    ticket: Ticket,
    actor: User,
    *,
    resolution: str,
    root_cause: str | None,
    corrective_action: str | None,
) -> Complaint | None:
    if ticket.status not in ("new", "open", "pending", "reopened"):
        raise invalid(
            f"a {ticket.status} ticket cannot be resolved",
            allowed=list(TRANSITIONS.get(ticket.status, ())),
        )
    resolution = (resolution or "").strip()
    if not resolution:
        raise invalid("the resolution (what was done, told to the customer) is required")
    complaint = await complaint_of(db, ticket)
    if complaint is not None and not (root_cause or complaint.root_cause or "").strip():
        raise invalid("resolving a complaint requires its root cause", field="root_cause")
    now = utcnow()
    old = ticket.status
    if old == "pending":
        resume_clocks(ticket, now)
    ticket.status = "resolved"
    ticket.resolved_at = now
    if ticket.first_response_at is None:
        # the resolution is told to the customer: it is the agent's first response, and the
        # first-response clock must not go on running (and breach) on a resolved ticket
        ticket.first_response_at = now
    ticket.awaiting_reply_since = None
    if ticket.assignee_id is None:
        ticket.assignee_id = actor.id
    refresh_sla(shop, ticket)
    if complaint is not None:
        complaint.resolution = resolution
        if root_cause:
            complaint.root_cause = root_cause.strip()
        if corrective_action:
            complaint.corrective_action = corrective_action.strip()
        complaint.stage = "resolved_notified"
        complaint.result_notified_at = now
    add_event(
        db,
        ticket,
        "status_changed",
        actor_id=actor.id,
        old=old,
        new="resolved",
        resolution=resolution,
    )
    await outbox.emit(db, "ticket.status_changed", {**ticket_brief_full(ticket), "old": old})
    return complaint


async def complaint_of(db: AsyncSession, ticket: Ticket) -> Complaint | None:
    if ticket.kind != "complaint":
        return None
    return (
        await db.execute(select(Complaint).where(Complaint.ticket_id == ticket.id))
    ).scalar_one_or_none()


async def update_fields(
    db: AsyncSession, shop: Shop, ticket: Ticket, actor: User, changes: dict[str, Any]
) -> None:
    """Priority, category, tags or subject, in the shape ``PATCH /api/tickets/{number}``'s
    schema in openapi.yaml gives them (the web layer checks it)."""
    if "tags" in changes:
        changes["tags"] = sorted({t.strip().lower() for t in changes["tags"]})
    for field, value in changes.items():
        old = getattr(ticket, field)
        if old == value:
            continue
        setattr(ticket, field, value)
        kind = "classified" if field in ("category", "tags") else f"{field}_changed"
        add_event(db, ticket, kind, actor_id=actor.id, field=field, old=old, new=value)
    if "priority" in changes:
        refresh_sla(shop, ticket)


async def update_complaint(
    db: AsyncSession, ticket: Ticket, actor: User, changes: dict[str, Any]
) -> Complaint:
    """The complaint record's fields, in the shape ``PATCH .../complaint``'s schema in
    openapi.yaml gives them (the web layer checks it)."""
    complaint = await complaint_of(db, ticket)
    if complaint is None:
        raise not_found(f"complaint record of {ticket.number}")
    for field, value in changes.items():
        setattr(complaint, field, value)
    if "verification" in changes and complaint.stage == "received":
        complaint.stage = "verified"
    if "category" in changes:
        ticket.category = changes["category"]
    add_event(db, ticket, "complaint_updated", actor_id=actor.id, fields=sorted(changes))
    return complaint
