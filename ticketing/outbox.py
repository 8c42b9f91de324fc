"""Durable outgoing work, written in the same transaction as the change that causes it.

``emit`` records a webhook delivery for every active webhook subscribed to the event;
``enqueue_email`` records an e-mail. The delivery worker (ticketing/delivery.py) sends them
with retries and backoff, so a slow receiver or SMTP server never blocks a request and a
crash never loses an event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import OutboxItem, Webhook, utcnow
from .serializers import iso

WEBHOOK_EVENTS = (
    "ticket.created",
    "ticket.assigned",
    "ticket.status_changed",
    "message.created",
    "rating.created",
)


async def emit(db: AsyncSession, event: str, data: dict[str, Any]) -> int:
    """Queue ``event`` for each subscribed webhook; the number of deliveries queued."""
    assert event in WEBHOOK_EVENTS, event
    hooks = (await db.execute(select(Webhook).where(Webhook.active.is_(True)))).scalars().all()
    now = utcnow()
    queued = 0
    for hook in hooks:
        if hook.events and event not in hook.events and "*" not in hook.events:
            continue
        db.add(
            OutboxItem(
                kind="webhook",
                target_id=hook.id,
                payload={"event": event, "occurred_at": iso(now), "data": data},
                next_attempt_at=now,
            )
        )
        queued += 1
    return queued


async def enqueue_email(
    db: AsyncSession, to: str, subject: str, body: str, **meta: Any
) -> OutboxItem:
    item = OutboxItem(
        kind="email",
        payload={"to": to, "subject": subject, "body": body, **meta},
        next_attempt_at=utcnow(),
    )
    db.add(item)
    return item
