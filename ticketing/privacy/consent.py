"""Consent records: given or withdrawn, when, through which channel, with the wording shown.

The records are append-only; the current state of a kind is its latest record.
``customers.marketing_consent`` mirrors the latest marketing record, so lists and filters can
read it without a join; nothing but :func:`record` changes it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Consent, Conversation, Customer
from ..serializers import iso
from .notice import Notice

KINDS = ("chat", "marketing")
CHANNELS = ("widget", "chat", "profile", "api", "cli")


def record(
    db: AsyncSession,
    notice: Notice,
    granted: bool,
    channel: str,
    *,
    customer: Customer | None = None,
    conversation: Conversation | None = None,
    recorded_by: int | None = None,
) -> Consent:
    """Add a consent record (flushed with the session's next write)."""
    if notice.kind not in KINDS:
        raise ValueError(f"unknown consent kind {notice.kind!r}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown consent channel {channel!r}")
    entry = Consent(
        kind=notice.kind,
        granted=granted,
        channel=channel,
        wording=notice.text,
        version=notice.version,
        customer_id=customer.id if customer else None,
        conversation_id=conversation.id if conversation else None,
        recorded_by=recorded_by,
    )
    db.add(entry)
    if customer is not None and notice.kind == "marketing":
        customer.marketing_consent = granted
    return entry


def consent_json(entry: Consent) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "granted": entry.granted,
        "channel": entry.channel,
        "wording": entry.wording,
        "version": entry.version,
        "conversation_id": entry.conversation_id,
        "recorded_by": entry.recorded_by,
        "created_at": iso(entry.created_at),
    }


async def history(
    db: AsyncSession, customer_id: int | None, conversation_ids: list[int] = ()
) -> list[Consent]:
    """Every record of a customer (and of their conversations), oldest first."""
    clauses = []
    if customer_id is not None:
        clauses.append(Consent.customer_id == customer_id)
    if conversation_ids:
        clauses.append(Consent.conversation_id.in_(list(conversation_ids)))
    if not clauses:
        return []
    rows = await db.execute(select(Consent).where(or_(*clauses)).order_by(Consent.id))
    return list(rows.scalars())
