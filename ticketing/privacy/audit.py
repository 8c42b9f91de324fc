"""The audit log: who opened, exported or erased personal data, and when.

Entries are only ever added (the database refuses updates: migration 0005); the retention
job removes entries older than their own period. ``target`` names an object by id
(``conversation:<public id>``, ``customer:<id>``, ``ticket:<number>``, ``report:<name>``),
never by a customer's e-mail or name, so the log itself holds no contact data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import AuditEntry, User
from ..serializers import iso

ACTIONS = (
    "conversation.viewed",  # a transcript opened in the supervisor console
    "customer.viewed",  # a customer profile opened
    "customer.updated",  # a profile changed (marketing consent withdrawn by staff, ...)
    "masking.lifted",  # a masked supervisor saw one answer whole, giving the reason
    "report.exported",  # a CSV export downloaded
    "nlu.exported",  # customer messages exported as training data
    "audit.exported",  # this log downloaded
    "subject.exported",  # an access request: everything held about one customer
    "subject.erased",  # an erasure request
    "retention.run",  # the retention job removed old personal data
)


def record(
    db: AsyncSession,
    actor: User | str,
    action: str,
    target: str,
    **detail: Any,
) -> AuditEntry:
    """Add an entry; ``actor`` is the staff member, or a name such as ``"cli"``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        action=action,
        target=target[:120],
        actor_id=actor.id if isinstance(actor, User) else None,
        actor=actor.email if isinstance(actor, User) else actor,
        detail=detail,
    )
    db.add(entry)
    return entry


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "action": entry.action,
        "target": entry.target,
        "actor": entry.actor,
        "actor_id": entry.actor_id,
        "detail": entry.detail or {},
        "created_at": iso(entry.created_at),
    }


async def entries(
    db: AsyncSession,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 200,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Newest first; ``before_id`` pages back."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor.strip().lower())
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list((await db.execute(query)).scalars())
