"""The retention job: personal data older than its period is removed, aggregates stay.

Periods by kind of data come from shop.yml (``privacy.retention_days``, ``notice.py``):

- ``transcripts``: conversations whose last activity is older are anonymised
  (``anonymise.scrub_conversations``: messages, contact details, tickets' free text, Rasa's
  tracker); conversations still open with an agent are left alone;
- ``rating_comments``: the free-text comments of satisfaction answers;
- ``audit_log``: entries of the audit log itself are deleted;
- ``outbox``: settled deliveries and e-mails (delivered, logged, failed, cancelled).

A run works in batches, each its own transaction (``services/privacy.py``): stopped halfway,
the next run picks up where it stopped, and nothing is half-done inside a batch.
``plan`` counts what a run would do (the dry run) without changing anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import AuditEntry, Conversation, OutboxItem, Rating
from .anonymise import RASA_ERASE, scrub_conversations

BATCH = 200
SETTLED = ("delivered", "logged", "failed", "cancelled")


def cutoffs(days: dict[str, int], now: datetime) -> dict[str, datetime | None]:
    """The oldest time kept, by kind (None: kept for ever)."""
    return {kind: (now - timedelta(days=n) if n > 0 else None) for kind, n in days.items()}


def _last_activity():
    return func.coalesce(
        Conversation.closed_at, Conversation.last_customer_message_at, Conversation.created_at
    )


def _expired_conversations(cutoff: datetime):
    return and_(
        Conversation.anonymised_at.is_(None),
        Conversation.status.in_(("bot", "closed")),
        _last_activity() < cutoff,
        Conversation.updated_at < cutoff,
    )


def _expired_comments(cutoff: datetime):
    return and_(Rating.comment.is_not(None), Rating.created_at < cutoff)


def _expired_audit(cutoff: datetime):
    return AuditEntry.created_at < cutoff


def _expired_outbox(cutoff: datetime):
    return and_(
        OutboxItem.status.in_(SETTLED),
        OutboxItem.created_at < cutoff,
        # a tracker erasure Rasa never confirmed stays, for an operator to see
        or_(OutboxItem.kind != RASA_ERASE, OutboxItem.status != "failed"),
    )


EXPIRED = {
    "transcripts": (Conversation.id, _expired_conversations),
    "rating_comments": (Rating.id, _expired_comments),
    "audit_log": (AuditEntry.id, _expired_audit),
    "outbox": (OutboxItem.id, _expired_outbox),
}


async def plan(db: AsyncSession, limits: dict[str, datetime | None]) -> dict[str, int]:
    """What a run would remove, by kind (the dry run)."""
    counts = {}
    for kind, (column, expired) in EXPIRED.items():
        cutoff = limits.get(kind)
        counts[kind] = (
            (await db.scalar(select(func.count(column)).where(expired(cutoff))) or 0)
            if cutoff
            else 0
        )
    return counts


async def transcripts_batch(db: AsyncSession, cutoff: datetime, size: int = BATCH) -> int:
    """Anonymise up to ``size`` expired conversations; how many it did (0: none left)."""
    query = select(Conversation.id).where(_expired_conversations(cutoff)).limit(size)
    ids = list((await db.execute(query)).scalars())
    await scrub_conversations(db, ids)
    return len(ids)


async def comments(db: AsyncSession, cutoff: datetime) -> int:
    result = await db.execute(update(Rating).where(_expired_comments(cutoff)).values(comment=None))
    return result.rowcount or 0


async def audit_entries(db: AsyncSession, cutoff: datetime) -> int:
    result = await db.execute(delete(AuditEntry).where(_expired_audit(cutoff)))
    return result.rowcount or 0


async def outbox(db: AsyncSession, cutoff: datetime) -> int:
    result = await db.execute(delete(OutboxItem).where(_expired_outbox(cutoff)))
    return result.rowcount or 0
