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
    COMPLAINT_CATEGORIES,
    PRIORITIES,
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


MAX_TAGS = 20


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
    allowed = {"priority", "category", "tags", "subject"}
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(f"cannot change {', '.join(sorted(unknown))}", allowed=sorted(allowed))
    if "priority" in changes and changes["priority"] not in PRIORITIES:
        raise invalid(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")
    if "tags" in changes:
        tags = changes["tags"]
        if (
            not isinstance(tags, list)
            or len(tags) > MAX_TAGS
            or not all(isinstance(t, str) and 0 < len(t.strip()) <= 40 for t in tags)
        ):
            raise invalid(f"tags must be a list of at most {MAX_TAGS} short strings", field="tags")
        changes["tags"] = sorted({t.strip().lower() for t in tags})
    for field in ("category", "subject"):
        value = changes.get(field)
        if value is not None and not (isinstance(value, str) and len(value) <= 200):
            raise invalid(f"{field} must be a short string", field=field)
    for field, value in changes.items():
        old = getattr(ticket, field)
        if old == value:
            continue
        setattr(ticket, field, value)
        kind = "classified" if field in ("category", "tags") else f"{field}_changed"
        add_event(db, ticket, kind, actor_id=actor.id, field=field, old=old, new=value)
    if "priority" in changes:
        refresh_sla(shop, ticket)


COMPLAINT_FIELDS = {
    "category": COMPLAINT_CATEGORIES,
    "verification": str,
    "root_cause": str,
    "corrective_action": str,
    "evaluation_note": str,
    "stage": None,
    "satisfaction": int,
}


async def update_complaint(
    db: AsyncSession, ticket: Ticket, actor: User, changes: dict[str, Any]
) -> Complaint:
    from ..models import COMPLAINT_STAGES

    complaint = await complaint_of(db, ticket)
    if complaint is None:
        raise not_found(f"complaint record of {ticket.number}")
    unknown = set(changes) - set(COMPLAINT_FIELDS)
    if unknown:
        raise invalid(
            f"cannot change {', '.join(sorted(unknown))}", allowed=sorted(COMPLAINT_FIELDS)
        )
    if "category" in changes and changes["category"] not in COMPLAINT_CATEGORIES:
        raise invalid(f"category must be one of {', '.join(COMPLAINT_CATEGORIES)}")
    if "stage" in changes and changes["stage"] not in COMPLAINT_STAGES:
        raise invalid(f"stage must be one of {', '.join(COMPLAINT_STAGES)}", field="stage")
    if "satisfaction" in changes and changes["satisfaction"] not in (None, 1, 2, 3, 4, 5):
        raise invalid("satisfaction must be 1 to 5", field="satisfaction")
    for field in ("verification", "root_cause", "corrective_action", "evaluation_note"):
        if field in changes and not (changes[field] is None or isinstance(changes[field], str)):
            raise invalid(f"{field} must be text", field=field)
    for field, value in changes.items():
        setattr(complaint, field, value)
    if "verification" in changes and complaint.stage == "received":
        complaint.stage = "verified"
    if "category" in changes:
        ticket.category = changes["category"]
    add_event(db, ticket, "complaint_updated", actor_id=actor.id, fields=sorted(changes))
    return complaint
