"""Complaints as the guide describes them: received, verified, classified, then worked on.

``priority_for`` turns what the bot collected into a priority; ``file`` creates the complaint
ticket with its record, looking the order up (the guide's "verify the facts" step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from . import customers, orders, tickets
from .errors import HelpdeskError, invalid
from .models import COMPLAINT_CATEGORIES, EMOTIONS, PRIORITIES, Complaint, Conversation, Customer
from .shop import Shop

MAX_DESCRIPTION = 2000
# Words that make a complaint urgent whatever its category: safety, legal, fraud.
URGENT_WORDS = re.compile(
    r"\b(injur\w*|hurt|burn\w*|fire|smoke|electric shock|dangerous|unsafe|poison\w*|"
    r"allerg\w*|lawyer|solicitor|legal action|sue|court|fraud\w*|stolen|police|"
    r"trading standards)\b",
    re.IGNORECASE,
)
SERIOUS_CATEGORIES = ("quality", "promise_not_kept", "staff_attitude")


def _raise(priority: str, levels: int = 1) -> str:
    return PRIORITIES[max(0, PRIORITIES.index(priority) - levels)]


def priority_for(
    category: str, description: str, emotion: str | None, vip: bool, base: str = "P2"
) -> str:
    """Priority of a new complaint.

    Serious categories (quality, a promise not kept, staff attitude) start at ``base`` (the
    published complaint priority), others one level lower; anger or a VIP customer raise it
    one level each; safety, legal or fraud wording makes it P1.
    """
    if URGENT_WORDS.search(description or ""):
        return "P1"
    priority = (
        base
        if category in SERIOUS_CATEGORIES
        else PRIORITIES[min(len(PRIORITIES) - 1, PRIORITIES.index(base) + 1)]
    )
    if emotion == "angry":
        priority = _raise(priority)
    if vip:
        priority = _raise(priority)
    return priority


@dataclass
class Filed:
    handoff: tickets.Handoff
    complaint: Complaint
    order: dict[str, Any] | None


def validate(body: dict[str, Any]) -> dict[str, Any]:
    category = body.get("category")
    if category not in COMPLAINT_CATEGORIES:
        raise invalid(
            f"category must be one of {', '.join(COMPLAINT_CATEGORIES)}", field="category"
        )
    description = body.get("description")
    if not isinstance(description, str) or not description.strip():
        raise invalid("description is required", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise invalid(
            f"description is longer than {MAX_DESCRIPTION} characters", field="description"
        )
    emotion = body.get("emotion")
    if emotion is not None and emotion not in EMOTIONS:
        raise invalid(f"emotion must be one of {', '.join(EMOTIONS)}", field="emotion")
    order_number = body.get("order_number")
    if order_number is not None:
        if not isinstance(order_number, str) or orders.normalize_order_number(order_number) is None:
            raise invalid("order numbers look like NW-104233", field="order_number")
        order_number = orders.normalize_order_number(order_number)
    email = body.get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 320):
        raise invalid("email is not an e-mail address", field="email")
    return {
        "category": category,
        "description": description.strip(),
        "emotion": emotion,
        "order_number": order_number,
        "email": email.strip().lower() if email else None,
    }


async def file(db: AsyncSession, shop: Shop, conversation: Conversation, data: dict) -> Filed:
    """Create the complaint ticket and its record (inside the caller's transaction)."""
    if data["email"]:
        await customers.attach(db, conversation, data["email"], None)
    customer = (
        await db.get(Customer, conversation.customer_id) if conversation.customer_id else None
    )
    order_facts = None
    shown = None  # what the customer is told of the order
    verification = None
    if data["order_number"]:
        try:
            order = await orders.lookup(db, data["order_number"])
        except HelpdeskError:
            verification = f"order {data['order_number']} was not found"
        else:
            order_facts = orders.order_json(order)
            verification = f"order {order.number} found: {order.status}"
            contact = conversation.customer_email
            if contact and order.email and order.email.lower() != contact.lower():
                verification += " (placed with a different e-mail address)"
            # the details only to the customer whose order it is (services/lookups.py); the
            # record keeps them for the staff either way
            owner = bool(order.email) and order.email.lower() in {
                (data["email"] or "").strip().lower(),
                (conversation.customer_email or "").lower()
                if conversation.identity_verified
                else "",
            }
            shown = order_facts if owner else {"number": order.number}
    priority = priority_for(
        data["category"],
        data["description"],
        data["emotion"],
        bool(customer and customer.vip),
        base=shop.complaint_priority,
    )
    previous_status = conversation.status
    handoff = await tickets.hand_off(
        db,
        shop,
        conversation,
        "complaint",
        kind="complaint",
        priority=priority,
        summary=data["description"][:500],
        category=data["category"],
        subject=f"Complaint: {data['category'].replace('_', ' ')}",
    )
    # A complaint is investigated offline: the customer may keep chatting with the bot.
    if previous_status == "bot":
        conversation.status = "bot"
    complaint = Complaint(
        ticket_id=handoff.ticket.id,
        category=data["category"],
        description=data["description"],
        order_number=data["order_number"],
        order_facts=order_facts,
        emotion=data["emotion"],
        stage="verified" if order_facts else "received",
        verification=verification,
    )
    db.add(complaint)
    if customer is not None and not customer.dispute:
        customer.dispute = True  # the guide: mark complainants as dispute customers
    tickets.add_event(
        db, handoff.ticket, "classified", category=data["category"], priority=priority
    )
    await db.flush()
    return Filed(handoff=handoff, complaint=complaint, order=shown)
