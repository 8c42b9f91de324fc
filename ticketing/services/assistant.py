"""What the assistant asks of the hub (the internal API, ``ticketing/web/internal_views.py``).

The conversation as the assistant sees it, whether a human can answer now, filing a
complaint, the satisfaction survey's answers and its offer, and the e-mail address a customer
types. Hand-off is ``services/handoff.py``; order and ticket look-ups ``services/lookups.py``.
"""

from __future__ import annotations

import math
from typing import Any

from .. import complaints, conversations, customers, surveys, tickets
from ..context import Hub
from ..models import Conversation, Customer, Ticket, utcnow
from ..serializers import iso, ticket_brief
from .chat import publish_status, session_state
from .handoff import conversation_for_update
from .uow import unit_of_work

# Average minutes an agent needs per waiting chat, for the customer's wait estimate.
MINUTES_PER_CHAT = 6

# what the assistant is told of a rating after it stored an answer
RATING_FIELDS = (*surveys.SCORES, "resolved", "comment", "skipped", "stage", "about")


def wait_minutes(position: int | None, agents_online: int) -> int | None:
    """The customer's expected wait at ``position`` in the queue (None: nobody to wait for)."""
    if position is None or agents_online == 0:
        return None
    return max(1, math.ceil(position / agents_online) * MINUTES_PER_CHAT)


async def _conversation(db, public_id: str) -> Conversation:
    return await conversations.by_public_id(db, public_id)


async def conversation_info(hub: Hub, public_id: str) -> dict[str, Any]:
    """The chat's state with who the customer is and where the survey stands."""
    async with hub.sessions() as db:
        conversation = await _conversation(db, public_id)
        customer = (
            await db.get(Customer, conversation.customer_id) if conversation.customer_id else None
        )
        survey = await surveys.info(db, conversation)
    state = await session_state(hub, conversation.id)
    state["customer"] = {
        "name": conversation.customer_name or (customer.name if customer else None),
        "email": conversation.customer_email,
        "verified": conversation.identity_verified,
        "vip": bool(customer and customer.vip),
        "tier": customer.tier if customer else None,
        "membership": customer.membership if customer else None,
    }
    state["survey"] = survey
    return state


async def availability(hub: Hub) -> dict[str, Any]:
    """Whether a human can answer now, and honest expectations when not."""
    now = utcnow()
    calendar = hub.shop.calendar
    async with hub.sessions() as db:
        agents = await tickets.online_agents(db)
        waiting = len((await db.execute(tickets.queue_query())).all())
    is_open = calendar.is_open(now)
    minutes = hub.shop.sla.target("P3").first_response
    return {
        "open": is_open,
        "agents_online": agents,
        "next_open": None if is_open else iso(calendar.next_open(now)),
        "queue_length": waiting,
        "expected_wait_minutes": wait_minutes(waiting + 1, agents) if is_open else None,
        "offline_first_response_due_at": iso(calendar.add_business_minutes(now, minutes)),
        "offline_first_response_minutes": minutes,
        "timezone": calendar.timezone,
    }


async def file_complaint(hub: Hub, public_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """File the complaint ``body`` describes for the chat ``public_id`` (its ticket and stage)."""
    data = complaints.validate(body)
    async with unit_of_work(hub) as uow:
        conversation = await conversation_for_update(uow.db, public_id)
        filed = await complaints.file(uow.db, hub.shop, conversation, data)
        ticket = filed.handoff.ticket
        minutes = hub.shop.sla.target(ticket.priority).first_response
        uow.after_commit(lambda: publish_status(hub, conversation))
    return {
        "ticket": ticket_brief(ticket),
        "priority": ticket.priority,
        "category": filed.complaint.category,
        "stage": filed.complaint.stage,
        "order": filed.order,
        "first_response_minutes": minutes,
        "first_response_due_at": iso(ticket.first_response_due_at),
    }


async def record_rating(hub: Hub, public_id: str, body: Any) -> dict[str, Any]:
    """Store the survey answers in ``body`` on the chat's rating (created on the first)."""
    answers = surveys.validate_answers(body)
    async with unit_of_work(hub) as uow:
        conversation = await conversation_for_update(uow.db, public_id)
        row, created = await surveys.record(uow.db, conversation, answers)
        ticket = await uow.db.get(Ticket, row.ticket_id) if row.ticket_id else None
        number = ticket.number if ticket else None
        data = {name: getattr(row, name) for name in RATING_FIELDS}
        uow.after_commit(lambda: surveys.publish_rating(hub, number))
    return {"rating": data, "created": created}


async def survey_offered(hub: Hub, public_id: str) -> None:
    """The assistant offered the chat its survey."""
    async with unit_of_work(hub) as uow:
        conversation = await conversation_for_update(uow.db, public_id)
        await surveys.mark_offered(uow.db, conversation)


async def attach_customer(hub: Hub, public_id: str, email: str, name: str | None) -> dict[str, Any]:
    """Record the e-mail address (and name) the customer gave on the chat."""
    async with unit_of_work(hub) as uow:
        conversation = await conversation_for_update(uow.db, public_id)
        customer = await customers.attach(uow.db, conversation, email, name)
        # a typed e-mail is the customer's claim: recorded, linked to no profile
        if customer is not None:
            return {**customers.customer_json(customer), "verified": True}
        return {
            "email": conversation.customer_email,
            "name": conversation.customer_name,
            "verified": False,
        }
