"""What the assistant may tell a customer about an order or a ticket.

An order's details (status, carrier, tracking, items) go only to the customer whose order it
is: a chat whose identity is verified for the order's e-mail address (ticketing/identity.py),
or one that gives that e-mail address as a second factor. Without either the answer is
``verification_required`` whether the order exists or not, and a wrong e-mail address is
``not_found`` like an unknown number, so neither tells an order number from a made-up one.
A ticket's stage goes to the chat that opened it, or to the verified customer it belongs to.
Every look-up of a chat counts against its ``lookup_session`` limit and its customer's
address's ``lookup_ip`` limit.
"""

from __future__ import annotations

from typing import Any

from .. import conversations, identity, limits, orders, tickets
from ..context import Hub
from ..errors import Forbidden, HelpdeskError, invalid, not_found
from ..models import Conversation, Order, Ticket
from ..serializers import iso, ticket_brief


def _same_email(a: str | None, b: str | None) -> bool:
    return bool(a and b) and identity.normalise(a) == identity.normalise(b)


async def _chat(db, session_id: str | None) -> Conversation | None:
    return await conversations.by_public_id(db, session_id) if session_id else None


async def order_for_customer(
    hub: Hub, number: str, session_id: str | None, email: str | None
) -> dict[str, Any]:
    if email is not None and not (0 < len(email) <= 320 and "@" in email):
        raise invalid("email must be the e-mail address on the order", field="email")
    if session_id:
        await limits.hit_lookup(hub.limiter, session_id)
    async with hub.sessions() as db:
        conversation = await _chat(db, session_id)
        verified = (
            conversation.customer_email
            if conversation is not None and conversation.identity_verified
            else None
        )
        try:
            order: Order | None = await orders.lookup(db, number)
        except HelpdeskError as error:
            if error.kind != "not_found":
                raise  # a malformed number says so
            order = None
        if order is not None and _same_email(order.email, verified):
            return orders.order_json(order)
        if email is None:
            raise Forbidden(
                "verification_required",
                "the e-mail address the order was placed with is needed to show it",
            )
        if order is None or not _same_email(order.email, email):
            raise not_found("order with that number and e-mail address")
        return orders.order_json(order)


async def ticket_for_customer(hub: Hub, number: str, session_id: str) -> dict[str, Any]:
    """The ticket with its complaint stage, for the chat that may see it (403 otherwise)."""
    await limits.hit_lookup(hub.limiter, session_id)
    async with hub.sessions() as db:
        conversation = await _chat(db, session_id)
        ticket: Ticket = await tickets.by_number(db, number)
        own_verified = (
            conversation.identity_verified
            and conversation.customer_id is not None
            and ticket.customer_id == conversation.customer_id
        )
        if ticket.conversation_id != conversation.id and not own_verified:
            raise Forbidden("forbidden", "this ticket belongs to another customer")
        complaint = await tickets.complaint_of(db, ticket)
    return {
        **ticket_brief(ticket),
        "kind": ticket.kind,
        "stage": complaint.stage if complaint else ticket.status,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "assigned": ticket.assignee_id is not None,
        "first_response_due_at": iso(ticket.first_response_due_at),
        "resolution_due_at": iso(ticket.resolution_due_at),
        "resolved_at": iso(ticket.resolved_at),
    }
