"""Customer profiles: one per e-mail address, with their history across conversations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .errors import not_found
from .models import (
    Complaint,
    Conversation,
    Customer,
    Rating,
    Ticket,
    utcnow,
)
from .privacy.crypto import lookup_hash
from .serializers import iso


async def by_email(db: AsyncSession, email: str | None) -> Customer | None:
    """The profile of ``email``, if any (addresses are encrypted: found by their keyed hash)."""
    digest = lookup_hash(email)
    if digest is None:
        return None
    return await db.scalar(select(Customer).where(Customer.email_hash == digest))


async def find_or_create(
    db: AsyncSession, email: str | None, name: str | None = None
) -> Customer | None:
    """The profile of ``email`` (created when new); ``None`` without an e-mail address."""
    if not email:
        return None
    email = email.strip().lower()
    customer = await by_email(db, email)
    if customer is None:
        customer = Customer(email=email, name=name, lifecycle="new")
        db.add(customer)
        await db.flush()
    elif name and not customer.name:
        customer.name = name
    return customer


async def attach(
    db: AsyncSession,
    conversation: Conversation,
    email: str,
    name: str | None,
    *,
    verified: bool = False,
) -> Customer | None:
    """Record ``email`` on a conversation (and its tickets). Only a verified e-mail (the shop
    signed it: ticketing/identity.py) links them to the customer's profile; a typed one is
    kept as the customer's claim and links nothing (None): it must not open another
    customer's profile, VIP routing or tickets. A verified conversation keeps its identity."""
    if conversation.identity_verified:
        return (
            await db.get(Customer, conversation.customer_id) if conversation.customer_id else None
        )
    customer = None
    if verified:
        conversation.identity_verified = True
        customer = await find_or_create(db, email, name or conversation.customer_name)
        conversation.customer_id = customer.id
    conversation.customer_email = customer.email if customer else email.strip().lower()
    if name and not conversation.customer_name:
        conversation.customer_name = name
    tickets = (
        await db.execute(select(Ticket).where(Ticket.conversation_id == conversation.id))
    ).scalars()
    for ticket in tickets:
        if customer is not None:
            ticket.customer_id = customer.id
        ticket.customer_email = conversation.customer_email
        ticket.customer_name = ticket.customer_name or conversation.customer_name
    return customer


def customer_json(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "email": customer.email,
        "name": customer.name,
        "phone": customer.phone,
        "tier": customer.tier,
        "lifecycle": customer.lifecycle,
        "membership": customer.membership,
        "vip": customer.vip,
        "vip_owner_id": customer.vip_owner_id,
        "dispute": customer.dispute,
        "marketing_consent": customer.marketing_consent,
        "notes": customer.notes,
        "created_at": iso(customer.created_at),
    }


async def profile(db: AsyncSession, customer_id: int) -> dict[str, Any]:
    """The profile with every conversation, ticket, complaint and rating over time."""
    customer = await db.get(Customer, customer_id)
    if customer is None:
        raise not_found("customer")
    conversations = (
        await db.execute(
            select(Conversation.public_id, Conversation.status, Conversation.created_at)
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.created_at.desc())
            .limit(100)
        )
    ).all()
    tickets = (
        await db.execute(
            select(Ticket, Complaint)
            .outerjoin(Complaint, Complaint.ticket_id == Ticket.id)
            .where(Ticket.customer_id == customer_id)
            .order_by(Ticket.created_at.desc())
            .limit(100)
        )
    ).all()
    ratings = (
        await db.execute(
            select(Rating)
            .join(Conversation, Conversation.id == Rating.conversation_id)
            .where(Conversation.customer_id == customer_id)
            .order_by(Rating.created_at.desc())
            .limit(100)
        )
    ).scalars()
    return {
        **customer_json(customer),
        "conversations": [
            {"session_id": c.public_id, "status": c.status, "created_at": iso(c.created_at)}
            for c in conversations
        ],
        "tickets": [
            {
                "number": t.number,
                "kind": t.kind,
                "status": t.status,
                "priority": t.priority,
                "category": t.category,
                "created_at": iso(t.created_at),
                "complaint": (
                    {"category": c.category, "stage": c.stage} if c is not None else None
                ),
            }
            for t, c in tickets
        ],
        "ratings": [
            {
                "csat": r.csat,
                "resolved": r.resolved,
                "comment": r.comment,
                "created_at": iso(r.created_at),
            }
            for r in ratings
        ],
    }


async def update(db: AsyncSession, customer_id: int, changes: dict[str, Any]) -> Customer:
    """Change the profile's fields, in the shape ``PATCH /api/customers/{id}``'s schema in
    openapi.yaml gives them (the web layer checks it)."""
    customer = await db.get(Customer, customer_id)
    if customer is None:
        raise not_found("customer")
    for field, value in changes.items():
        setattr(customer, field, value)
    customer.updated_at = utcnow()
    return customer
