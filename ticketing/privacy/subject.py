"""Access and erasure requests: everything held about one customer, found by e-mail address.

The *data subject* is every row that carries the address or hangs off one that does: the
profile, the conversations the e-mail was given in (typed or verified), their tickets,
complaints and ratings, the orders placed with it, the consent records.
:func:`export_bundle` returns them as one JSON-ready document; :func:`erase` anonymises them
(``anonymise.py``) and blanks the profile, keeping the rows the reports count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import customers
from ..errors import NotFound, invalid
from ..models import Complaint, Conversation, Customer, Message, Order, Rating, Ticket, utcnow
from ..serializers import iso
from . import consent
from .anonymise import scrub_conversations, scrub_outbox, scrub_tickets
from .crypto import lookup_hash

UNKNOWN_SUBJECT = "unknown_subject"


@dataclass
class Subject:
    email: str
    customer: Customer | None
    conversations: list[Conversation] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)

    @property
    def conversation_ids(self) -> list[int]:
        return [c.id for c in self.conversations]

    @property
    def target(self) -> str:
        """How the audit log names the request (no e-mail address in the log)."""
        if self.customer is not None:
            return f"customer:{self.customer.id}"
        return f"conversations:{','.join(c.public_id[:8] for c in self.conversations[:5])}"


def normalise(email: Any) -> str:
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise invalid("email must be an e-mail address", field="email")
    return email.strip().lower()


async def find(db: AsyncSession, email: Any) -> Subject:
    """Everything held about ``email``; ``NotFound`` (``unknown_subject``) when nothing is."""
    email = normalise(email)
    digest = lookup_hash(email)  # the addresses are encrypted: found by their keyed hash
    customer = await customers.by_email(db, email)
    # the address given for the chat, or typed into it
    escaped = email.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    typed_in = select(Message.conversation_id).where(
        Message.sender == "customer", func.lower(Message.text).like(f"%{escaped}%", escape="\\")
    )
    is_theirs = [Conversation.customer_email_hash == digest, Conversation.id.in_(typed_in)]
    if customer is not None:
        is_theirs.append(Conversation.customer_id == customer.id)
    conversations = list(
        (
            await db.execute(select(Conversation).where(or_(*is_theirs)).order_by(Conversation.id))
        ).scalars()
    )
    ticket_clauses = [Ticket.customer_email_hash == digest]
    if customer is not None:
        ticket_clauses.append(Ticket.customer_id == customer.id)
    if conversations:
        ticket_clauses.append(Ticket.conversation_id.in_([c.id for c in conversations]))
    tickets = list(
        (await db.execute(select(Ticket).where(or_(*ticket_clauses)).order_by(Ticket.id))).scalars()
    )
    order_clauses = [Order.email_hash == digest]
    if customer is not None:
        order_clauses.append(Order.customer_id == customer.id)
    orders = list(
        (await db.execute(select(Order).where(or_(*order_clauses)).order_by(Order.id))).scalars()
    )
    if customer is None and not conversations and not tickets and not orders:
        raise NotFound(UNKNOWN_SUBJECT, "No personal data is held for that e-mail address.")
    return Subject(email, customer, conversations, tickets, orders)


# ------------------------------------------------------------------ access request


async def export_bundle(db: AsyncSession, subject: Subject) -> dict[str, Any]:
    """Everything held about the subject, as one JSON document."""
    ids = subject.conversation_ids
    messages: dict[int, list[dict[str, Any]]] = {cid: [] for cid in ids}
    if ids:
        rows = await db.execute(
            select(Message)
            .where(Message.conversation_id.in_(ids))
            .order_by(Message.conversation_id, Message.id)
        )
        for message in rows.scalars():
            messages[message.conversation_id].append(
                {
                    "sender": message.sender,
                    "text": message.text,
                    "created_at": iso(message.created_at),
                }
            )
    ticket_ids = [t.id for t in subject.tickets]
    complaints = (
        list(
            (
                await db.execute(select(Complaint).where(Complaint.ticket_id.in_(ticket_ids)))
            ).scalars()
        )
        if ticket_ids
        else []
    )
    numbers = {t.id: t.number for t in subject.tickets}
    ratings = (
        list((await db.execute(select(Rating).where(Rating.conversation_id.in_(ids)))).scalars())
        if ids
        else []
    )
    public = {c.id: c.public_id for c in subject.conversations}
    consents = await consent.history(db, subject.customer.id if subject.customer else None, ids)
    return {
        "email": subject.email,
        "generated_at": iso(utcnow()),
        "profile": customers.customer_json(subject.customer) if subject.customer else None,
        "consents": [consent.consent_json(entry) for entry in consents],
        "conversations": [
            {
                "session_id": c.public_id,
                "status": c.status,
                "locale": c.locale,
                "name": c.customer_name,
                "email": c.customer_email,
                "identity_verified": c.identity_verified,
                "created_at": iso(c.created_at),
                "closed_at": iso(c.closed_at),
                "messages": messages[c.id],
            }
            for c in subject.conversations
        ],
        "tickets": [
            {
                "number": t.number,
                "kind": t.kind,
                "status": t.status,
                "priority": t.priority,
                "category": t.category,
                "subject": t.subject,
                "created_at": iso(t.created_at),
                "resolved_at": iso(t.resolved_at),
            }
            for t in subject.tickets
        ],
        "complaints": [
            {
                "ticket": numbers.get(c.ticket_id),
                "category": c.category,
                "description": c.description,
                "order_number": c.order_number,
                "stage": c.stage,
                "resolution": c.resolution,
                "created_at": iso(c.created_at),
            }
            for c in complaints
        ],
        "ratings": [
            {
                "session_id": public.get(r.conversation_id),
                "csat": r.csat,
                "resolved": r.resolved,
                "comment": r.comment,
                "created_at": iso(r.created_at),
            }
            for r in ratings
        ],
        "orders": [
            {
                "number": o.number,
                "status": o.status,
                "placed_at": iso(o.placed_at),
                "total": o.total,
                "currency": o.currency,
                "items": o.items,
            }
            for o in subject.orders
        ],
    }


# ------------------------------------------------------------------ erasure


async def erase(db: AsyncSession, subject: Subject) -> dict[str, int]:
    """Anonymise everything held about the subject; counts of what changed."""
    counts = await scrub_conversations(db, subject.conversation_ids)
    # tickets reached through the profile or the address but not through one of the chats
    await scrub_tickets(db, [t.id for t in subject.tickets])
    counts["tickets"] = len(subject.tickets)
    counts["outbox"] = await scrub_outbox(db, [subject.email])
    order_ids = [o.id for o in subject.orders]
    if order_ids:  # the orders stay (tax records); the address on them goes
        await db.execute(
            update(Order).where(Order.id.in_(order_ids)).values(email=None, email_hash=None)
        )
    counts["orders"] = len(order_ids)
    customer = subject.customer
    if customer is not None:
        customer.email = customer.name = customer.phone = customer.notes = None
        customer.marketing_consent = False
        customer.erased_at = utcnow()
    counts["profile"] = int(customer is not None)
    return counts
