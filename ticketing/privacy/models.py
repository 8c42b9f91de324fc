"""The privacy tables: consent records and the audit log (migration 0005)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Text

from ..models import Base, Conversation, Customer, Order, Ticket, UTCDateTime, utcnow
from .crypto import keep_hashed

for _model, _source in (
    (Conversation, "customer_email"),
    (Ticket, "customer_email"),
    (Customer, "email"),
    (Order, "email"),
):
    keep_hashed(_model, _source)


class Consent(Base):
    """One consent given or withdrawn, with the exact wording the customer was shown.

    Append-only: the current state of a kind is its latest record. Kinds: ``chat`` (the
    privacy notice before the first message), ``marketing`` (offers by e-mail, opt-in only).
    """

    __tablename__ = "consents"

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)
    granted = Column(Boolean, nullable=False)
    channel = Column(String(16), nullable=False)  # widget | chat | profile | api | cli
    wording = Column(Text, nullable=False)
    version = Column(String(40), nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"))
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"))
    recorded_by = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_consents_customer_id", "customer_id"),
        Index("ix_consents_conversation_id", "conversation_id"),
    )


class AuditEntry(Base):
    """Who looked at or changed personal data, and when (append-only: a trigger refuses
    updates; only the retention job deletes entries past their own retention period).

    ``target`` names the object (``conversation:<public id>``, ``customer:<id>``,
    ``export:<report>``), never a customer's e-mail or name.
    """

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    action = Column(String(40), nullable=False)
    target = Column(String(120), nullable=False)
    actor_id = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    actor = Column(String(320), nullable=False)  # the staff e-mail, or "cli" / "retention"
    detail = Column(JSON, nullable=False, default=dict)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_audit_log_created_at", "created_at"),)
