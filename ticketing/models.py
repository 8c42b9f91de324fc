"""Database tables (SQLAlchemy 1.4 declarative, used in 2.0 style).

One schema serves SQLite and PostgreSQL. Times are stored as naive UTC and read back as
timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


Base = declarative_base()

CONVERSATION_STATUSES = ("bot", "queued", "agent", "closed")
SENDERS = ("customer", "bot", "agent", "system")
TICKET_STATUSES = ("new", "open", "pending", "resolved", "closed", "reopened")
TICKET_KINDS = ("escalation", "complaint", "offline")
PRIORITIES = ("P1", "P2", "P3", "P4")
HANDOFF_REASONS = (
    "requested",
    "fallback",
    "complaint",
    "sentiment",
    "order_lookup_failed",
    "after_hours",
    "bot_unavailable",
)


class Conversation(Base):
    __tablename__ = "conversations"

    id = Column(Integer, primary_key=True)
    public_id = Column(String(32), nullable=False, unique=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    status = Column(String(16), nullable=False, default="bot")
    locale = Column(String(16), nullable=False, default="en")
    customer_name = Column(String(200))
    customer_email = Column(String(320))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    last_customer_message_at = Column(UTCDateTime)
    closed_at = Column(UTCDateTime)

    messages = relationship("Message", back_populates="conversation", lazy="raise")
    tickets = relationship("Ticket", back_populates="conversation", lazy="raise")

    __table_args__ = (Index("ix_conversations_created_at", "created_at"),)


class Message(Base):
    __tablename__ = "messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    sender = Column(String(16), nullable=False)
    text = Column(Text, nullable=False, default="")
    payload = Column(String(500))
    buttons = Column(JSON, nullable=False, default=list)
    custom = Column(JSON)
    intent = Column(String(100))
    confidence = Column(Float)
    entities = Column(JSON)
    reply_to_id = Column(Integer, ForeignKey("messages.id", ondelete="SET NULL"))
    idempotency_key = Column(String(200))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages", lazy="raise")

    __table_args__ = (
        UniqueConstraint("conversation_id", "idempotency_key", name="uq_messages_idempotency"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_reply_to_id", "reply_to_id"),
    )


class Ticket(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    number = Column(String(20), unique=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"))
    kind = Column(String(16), nullable=False, default="escalation")
    reason = Column(String(40), nullable=False)
    status = Column(String(16), nullable=False, default="new")
    priority = Column(String(2), nullable=False, default="P3")
    summary = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    first_response_at = Column(UTCDateTime)
    resolved_at = Column(UTCDateTime)
    closed_at = Column(UTCDateTime)

    conversation = relationship("Conversation", back_populates="tickets", lazy="raise")

    __table_args__ = (
        Index("ix_tickets_status_priority_created", "status", "priority", "created_at"),
        Index("ix_tickets_conversation_id", "conversation_id"),
    )


class TicketEvent(Base):
    """One entry of a ticket's timeline."""

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(40), nullable=False)
    data = Column(JSON, nullable=False, default=dict)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_ticket_events_ticket_id", "ticket_id", "id"),)
