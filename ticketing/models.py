"""Database tables (SQLAlchemy 1.4 declarative, used in 2.0 style).

One schema serves SQLite and PostgreSQL. Times are stored as naive UTC and read back as
timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from .privacy.crypto import Encrypted, hash_column


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


# Named constraints, so that later migrations can alter them (SQLite batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

CONVERSATION_STATUSES = ("bot", "queued", "agent", "closed")
SENDERS = ("customer", "bot", "agent", "system")
TICKET_STATUSES = ("new", "open", "pending", "resolved", "closed", "reopened")
TICKET_KINDS = ("escalation", "complaint", "offline")
PRIORITIES = ("P1", "P2", "P3", "P4")
ROLES = ("agent", "supervisor", "admin")
PRESENCE = ("online", "away", "offline")
CUSTOMER_TIERS = ("high", "medium", "low")
LIFECYCLE_STAGES = ("potential", "new", "mature", "lost")
EMOTIONS = ("neutral", "frustrated", "angry")
COMPLAINT_CATEGORIES = ("quality", "promise_not_kept", "need_not_met", "staff_attitude", "other")
COMPLAINT_STAGES = (
    "received",
    "verified",
    "classified",
    "investigating",
    "resolved_notified",
    "satisfaction_asked",
    "closed",
)
# what the assistant did with a customer turn (DESIGN.md, "Public contracts")
DECISIONS = ("answered", "clarified", "declined", "handed_off")
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
    customer_name = Column(Encrypted)  # encrypted at rest (privacy/crypto.py)
    customer_email = Column(Encrypted)
    customer_email_hash = hash_column("customer_email")  # keyed hash: look-ups by e-mail
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"))
    # the shop vouched for customer_email (an HMAC-signed user hash); only then is the
    # conversation linked to the customer's profile (customer_id)
    identity_verified = Column(Boolean, nullable=False, default=False, server_default="0")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    last_customer_message_at = Column(UTCDateTime)
    closed_at = Column(UTCDateTime)
    # who owns the conversation while status is `agent`
    agent_id = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    handed_off_at = Column(UTCDateTime)
    survey_offered_at = Column(UTCDateTime)
    # last time the widget polled or held a socket: tells whether the customer is still here
    customer_seen_at = Column(UTCDateTime)
    # the privacy notice the customer accepted (its version; the wording is in ``consents``)
    consent_version = Column(String(40))
    # when retention or an erasure request removed the personal data (the rows stay, for
    # the aggregate figures)
    anonymised_at = Column(UTCDateTime)

    messages = relationship("Message", back_populates="conversation", lazy="raise")
    tickets = relationship("Ticket", back_populates="conversation", lazy="raise")

    __table_args__ = (
        Index("ix_conversations_created_at", "created_at"),
        Index("ix_conversations_customer_id", "customer_id"),
        Index("ix_conversations_customer_email_hash", "customer_email_hash"),
        Index("ix_conversations_survey_offered_at", "survey_offered_at"),
    )


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
    author_id = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    emotion = Column(String(16))
    # customer turns the bot answered: its decision (DECISIONS), the gate's score and reason,
    # the FAQ topic + selector confidence or the help-centre section ("slug#anchor") + score
    decision = Column(String(16))
    ood_score = Column(Float)
    ood_reason = Column(String(40))
    faq_topic = Column(String(100))
    faq_confidence = Column(Float)
    kb_section = Column(String(200))
    kb_score = Column(Float)
    # bot answers the customer may rate ("Was this helpful?"), and the rating
    rateable = Column(Boolean, nullable=False, default=False, server_default="0")
    helpful = Column(Boolean)
    feedback_at = Column(UTCDateTime)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages", lazy="raise")

    __table_args__ = (
        UniqueConstraint("conversation_id", "idempotency_key", name="uq_messages_idempotency"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_reply_to_id", "reply_to_id"),
        Index("ix_messages_sender_created_at", "sender", "created_at"),
        Index("ix_messages_feedback_at", "feedback_at"),
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
    # routing and classification
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="SET NULL"))
    assignee_id = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"))
    category = Column(String(40))
    tags = Column(JSON, nullable=False, default=list)
    subject = Column(String(200))
    customer_name = Column(Encrypted)
    customer_email = Column(Encrypted)
    customer_email_hash = hash_column("customer_email")
    # the complex-case flag: owned by a dedicated team until fully solved
    escalated = Column(Boolean, nullable=False, default=False)
    # SLA clocks (business hours); due times are recomputed on every change
    first_response_due_at = Column(UTCDateTime)
    next_response_due_at = Column(UTCDateTime)
    resolution_due_at = Column(UTCDateTime)
    awaiting_reply_since = Column(UTCDateTime)
    pending_since = Column(UTCDateTime)
    pauses = Column(JSON, nullable=False, default=list)
    sla_state = Column(String(16), nullable=False, default="ok")
    breached = Column(Boolean, nullable=False, default=False)
    reopened_count = Column(Integer, nullable=False, default=0)
    # e-mail follow-up for offline tickets and surveys
    customer_notified_at = Column(UTCDateTime)
    survey_token_hash = Column(String(64))

    conversation = relationship("Conversation", back_populates="tickets", lazy="raise")

    __table_args__ = (
        Index("ix_tickets_status_priority_created", "status", "priority", "created_at"),
        Index("ix_tickets_conversation_id", "conversation_id"),
        Index("ix_tickets_assignee_id", "assignee_id", "status"),
        Index("ix_tickets_customer_id", "customer_id"),
        Index("ix_tickets_customer_email_hash", "customer_email_hash"),
        Index("ix_tickets_team_id", "team_id", "status"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_first_response_at", "first_response_at"),
        Index("ix_tickets_resolved_at", "resolved_at"),
    )


class TicketEvent(Base):
    """One entry of a ticket's timeline."""

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(40), nullable=False)
    data = Column(JSON, nullable=False, default=dict)
    actor_id = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_ticket_events_ticket_id", "ticket_id", "id"),
        Index("ix_ticket_events_kind_created_at", "kind", "created_at"),
        Index("ix_ticket_events_created_at", "created_at"),
    )


user_teams = Table(
    "user_teams",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Base):
    __tablename__ = "teams"

    id = Column(Integer, primary_key=True)
    key = Column(String(40), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    # a dedicated team owns flagged complex cases until they are fully solved
    dedicated = Column(Boolean, nullable=False, default=False)


class User(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    email = Column(String(320), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    role = Column(String(16), nullable=False, default="agent")
    password_hash = Column(String(200), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    presence = Column(String(16), nullable=False, default="offline")
    presence_at = Column(UTCDateTime)
    capacity = Column(Integer, nullable=False, default=3)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = Column(UTCDateTime)
    # round-robin auto-assignment picks the online agent assigned longest ago
    last_assigned_at = Column(UTCDateTime)


class AuthSession(Base):
    """A signed-in staff session (cookie); kept in the database so any hub instance serves it."""

    __tablename__ = "auth_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)
    last_seen_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Customer(Base):
    """One profile per customer, de-duplicated by e-mail address."""

    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    # encrypted (the ciphertext's unique constraint is from before; email_hash de-duplicates)
    email = Column(Encrypted, unique=True)
    email_hash = hash_column("email")
    name = Column(Encrypted)
    phone = Column(Encrypted)
    tier = Column(String(16), nullable=False, default="medium")
    lifecycle = Column(String(16), nullable=False, default="potential")
    membership = Column(String(16))
    vip = Column(Boolean, nullable=False, default=False)
    vip_owner_id = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    dispute = Column(Boolean, nullable=False, default=False)
    marketing_consent = Column(Boolean, nullable=False, default=False)
    notes = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    erased_at = Column(UTCDateTime)  # an erasure request anonymised the profile

    __table_args__ = (Index("ix_customers_email_hash", "email_hash", unique=True),)


class Order(Base):
    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"))
    email = Column(Encrypted)
    email_hash = hash_column("email")
    status = Column(String(20), nullable=False)
    carrier = Column(String(40))
    tracking_number = Column(String(60))
    placed_at = Column(UTCDateTime, nullable=False)
    expected_delivery = Column(Date)
    delivered_at = Column(UTCDateTime)
    total = Column(Float, nullable=False, default=0.0)
    currency = Column(String(3), nullable=False, default="GBP")
    items = Column(JSON, nullable=False, default=list)

    __table_args__ = (
        Index("ix_orders_customer_id", "customer_id"),
        Index("ix_orders_email_hash", "email_hash"),
    )


class Complaint(Base):
    """The complaint-handling record of a complaint ticket (the guide's record fields)."""

    __tablename__ = "complaints"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    category = Column(String(40), nullable=False)
    description = Column(Text, nullable=False)
    order_number = Column(String(20))
    order_facts = Column(JSON)
    emotion = Column(String(16))
    stage = Column(String(24), nullable=False, default="received")
    verification = Column(Text)
    root_cause = Column(Text)
    corrective_action = Column(Text)
    resolution = Column(Text)
    result_notified_at = Column(UTCDateTime)
    satisfaction = Column(Integer)
    evaluation_note = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_complaints_created_at", "created_at"),)


class Rating(Base):
    """The satisfaction survey of one conversation; each answer is stored as it comes."""

    __tablename__ = "ratings"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="SET NULL"))
    agent_id = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    # "bot" when the bot alone served the customer, "human" after an agent handled it
    stage = Column(String(8), nullable=False, default="bot")
    about = Column(String(16), nullable=False, default="service")  # or "resolution"
    csat = Column(Integer)
    resolved = Column(Boolean)
    speed = Column(Integer)
    problem_solving = Column(Integer)
    attitude = Column(Integer)
    comment = Column(Text)
    skipped = Column(Boolean, nullable=False, default=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_ratings_ticket_id", "ticket_id"),
        Index("ix_ratings_agent_id", "agent_id"),
        Index("ix_ratings_created_at", "created_at"),
    )


class CannedResponse(Base):
    __tablename__ = "canned_responses"

    id = Column(Integer, primary_key=True)
    shortcut = Column(String(40), nullable=False, unique=True)
    title = Column(String(200), nullable=False)
    text = Column(Text, nullable=False)
    updated_by = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Webhook(Base):
    __tablename__ = "webhooks"

    id = Column(Integer, primary_key=True)
    url = Column(String(1000), nullable=False)
    secret = Column(String(200), nullable=False)
    events = Column(JSON, nullable=False, default=list)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class OutboxItem(Base):
    """Durable outgoing work (webhook deliveries, e-mails), retried with backoff."""

    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # "webhook" | "email"
    target_id = Column(Integer)  # webhook id
    payload = Column(JSON, nullable=False)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_error = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    done_at = Column(UTCDateTime)

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class NluLabel(Base):
    """A supervisor's label for a misunderstood customer message (the improvement loop)."""

    __tablename__ = "nlu_labels"

    id = Column(Integer, primary_key=True)
    message_id = Column(
        Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    label = Column(String(100), nullable=False)  # an intent, "faq/<key>", or "out_of_scope"
    labelled_by = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    exported_at = Column(UTCDateTime)


class ImprovementAction(Base):
    """A tracked improvement, from measurement to done (the guide's closed loop)."""

    __tablename__ = "improvement_actions"

    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    description = Column(Text)
    department = Column(String(100), nullable=False)
    owner = Column(String(200), nullable=False)
    due_date = Column(Date, nullable=False)
    acceptance_criteria = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="open")
    source = Column(String(300))
    created_by = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    done_at = Column(UTCDateTime)


# The privacy and help-centre tables live beside their rules; imported so that every table is
# on Base.metadata (migrations, tests); privacy's keeps the e-mail hashes in step too.
from .knowledge import models as knowledge_models  # noqa: E402, F401 (a module: no cycle)
from .privacy.models import AuditEntry, Consent  # noqa: E402, F401
