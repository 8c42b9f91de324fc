"""The internal API the Rasa actions call (shared-secret bearer token).

Everything the assistant stores or looks up goes through here: hand-off, availability,
orders, complaints, ticket status, the satisfaction survey and the customer's e-mail.
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web
from sqlalchemy import select

from .. import complaints, customers, surveys, tickets, tokens
from ..errors import BadRequest, Unauthorized, invalid, not_found
from ..models import Conversation, Customer, Ticket, utcnow
from ..serializers import iso, ticket_brief
from ..services import chat, lookups
from ..services import handoff as handoff_service
from .keys import HUB
from .openapi import internal_openapi
from .util import read_json

routes = web.RouteTableDef()

# Average minutes an agent needs per waiting chat, for the customer's wait estimate.
MINUTES_PER_CHAT = 6


def on_internal_listener(request: web.Request, settings) -> bool:
    """The request came in on the internal listener (``settings.internal_port``)."""
    if settings.internal_port is None:
        return True
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return (
        isinstance(sockname, tuple) and len(sockname) >= 2 and sockname[1] == settings.internal_port
    )


@web.middleware
async def internal_auth(request: web.Request, handler):
    """The internal API's middleware: only on its own (loopback) listener, as if it did not
    exist on the public one, and every call needs the shared bearer token."""
    settings = request.config_dict[HUB].settings
    if not on_internal_listener(request, settings):
        raise web.HTTPNotFound()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    expected = request.config_dict[HUB].settings.internal_token
    if scheme.lower() != "bearer" or not tokens.same(token.strip(), expected):
        raise Unauthorized("unauthorized", "a valid internal API token is required")
    return await handler(request)


async def _json_object(request: web.Request) -> dict[str, Any]:
    body = await read_json(request, required=False)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("bad_request", "the body must be a JSON object")
    return body


async def _conversation(db, public_id: str, lock: bool = True) -> Conversation:
    query = select(Conversation).where(Conversation.public_id == public_id)
    if lock:
        query = query.with_for_update()
    conversation = (await db.execute(query)).scalar_one_or_none()
    if conversation is None:
        raise not_found("conversation")
    return conversation


def _wait_minutes(position: int | None, agents_online: int) -> int | None:
    if position is None or agents_online == 0:
        return None
    return max(1, math.ceil(position / agents_online) * MINUTES_PER_CHAT)


@routes.get("/conversations/{session_id}")
async def conversation_info(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    async with hub.sessions() as db:
        conversation = await _conversation(db, request.match_info["session_id"], lock=False)
        customer = (
            await db.get(Customer, conversation.customer_id) if conversation.customer_id else None
        )
        survey = await surveys.info(db, conversation)
    state = await chat.session_state(hub, conversation.id)
    state["customer"] = {
        "name": conversation.customer_name or (customer.name if customer else None),
        "email": conversation.customer_email,
        "verified": conversation.identity_verified,
        "vip": bool(customer and customer.vip),
        "tier": customer.tier if customer else None,
        "membership": customer.membership if customer else None,
    }
    state["survey"] = survey
    return web.json_response(state)


# the whole OpenAPI document, internal API included (the public one leaves it out)
routes.get("/openapi.json")(internal_openapi)


@routes.get("/availability")
async def availability(request: web.Request) -> web.Response:
    """Whether a human can answer now, and honest expectations when not."""
    hub = request.config_dict[HUB]
    now = utcnow()
    calendar = hub.shop.calendar
    async with hub.sessions() as db:
        agents = await tickets.online_agents(db)
        waiting = len((await db.execute(tickets.queue_query())).all())
    is_open = calendar.is_open(now)
    minutes = hub.shop.sla.target("P3").first_response
    return web.json_response(
        {
            "open": is_open,
            "agents_online": agents,
            "next_open": None if is_open else iso(calendar.next_open(now)),
            "queue_length": waiting,
            "expected_wait_minutes": _wait_minutes(waiting + 1, agents) if is_open else None,
            "offline_first_response_due_at": iso(calendar.add_business_minutes(now, minutes)),
            "offline_first_response_minutes": minutes,
            "timezone": calendar.timezone,
        }
    )


@routes.post("/conversations/{session_id}/handoff")
async def handoff(request: web.Request) -> web.Response:
    """Queue the conversation for a human agent; answers the ticket and queue position."""
    hub = request.config_dict[HUB]
    body = await _json_object(request)
    summary, email = body.get("summary"), body.get("email")
    if summary is not None and not isinstance(summary, str):
        raise invalid("summary must be a string", field="summary")
    if email is not None and (not isinstance(email, str) or "@" not in email):
        raise invalid("email is not an e-mail address", field="email")
    done = await handoff_service.hand_off(
        hub,
        request.match_info["session_id"],
        str(body.get("reason", "requested")),
        kind=str(body.get("kind", "escalation")),
        priority=str(body.get("priority", "P3")),
        summary=summary,
        email=email,
    )
    result, agents, due = done.handoff, done.agents_online, done.first_response_due_at
    return web.json_response(
        {
            "ticket": ticket_brief(result.ticket),
            "created": result.created,
            "reopened": result.reopened,
            "queue_position": result.queue_position,
            "agents_online": agents,
            "expected_wait_minutes": _wait_minutes(result.queue_position, agents),
            "first_response_due_at": iso(due),
        },
        status=201 if result.created else 200,
    )


@routes.get("/orders/{number}")
async def order(request: web.Request) -> web.Response:
    """An order for the chat ``session_id``: its customer's (verified identity) or with the
    order's e-mail address as ``email`` (services/lookups.py)."""
    return web.json_response(
        await lookups.order_for_customer(
            request.config_dict[HUB],
            request.match_info["number"],
            request.query.get("session_id"),
            request.query.get("email"),
        )
    )


@routes.post("/complaints")
async def file_complaint(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    body = await _json_object(request)
    session_id = body.get("session_id")
    if not isinstance(session_id, str):
        raise invalid("session_id is required", field="session_id")
    data = complaints.validate(body)
    async with hub.sessions() as db, db.begin():
        conversation = await _conversation(db, session_id)
        filed = await complaints.file(db, hub.shop, conversation, data)
        ticket = filed.handoff.ticket
        minutes = hub.shop.sla.target(ticket.priority).first_response
    await chat.publish_status(hub, conversation)
    return web.json_response(
        {
            "ticket": ticket_brief(ticket),
            "priority": ticket.priority,
            "category": filed.complaint.category,
            "stage": filed.complaint.stage,
            "order": filed.order,
            "first_response_minutes": minutes,
            "first_response_due_at": iso(ticket.first_response_due_at),
        },
        status=201,
    )


@routes.get("/tickets/{number}")
async def ticket_status(request: web.Request) -> web.Response:
    """A ticket's stage, for the customer whose ticket it is (403 for anyone else)."""
    session_id = request.query.get("session_id")
    if not session_id:
        raise invalid("session_id is required", field="session_id")
    return web.json_response(
        await lookups.ticket_for_customer(
            request.config_dict[HUB], request.match_info["number"], session_id
        )
    )


@routes.post("/conversations/{session_id}/rating")
async def rating(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    answers = surveys.validate_answers(await _json_object(request))
    async with hub.sessions() as db, db.begin():
        conversation = await _conversation(db, request.match_info["session_id"])
        row, created = await surveys.record(db, conversation, answers)
        ticket = await db.get(Ticket, row.ticket_id) if row.ticket_id else None
        data = {
            name: getattr(row, name)
            for name in (*surveys.SCORES, "resolved", "comment", "skipped", "stage", "about")
        }
    await surveys.publish_rating(hub, ticket.number if ticket else None)
    return web.json_response({"rating": data, "created": created})


@routes.post("/conversations/{session_id}/survey-offered")
async def survey_offered(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    async with hub.sessions() as db, db.begin():
        conversation = await _conversation(db, request.match_info["session_id"])
        await surveys.mark_offered(db, conversation)
    return web.json_response({"offered": True})


@routes.post("/conversations/{session_id}/customer")
async def attach_customer(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    body = await _json_object(request)
    email, name = body.get("email"), body.get("name")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise invalid("email is not an e-mail address", field="email")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise invalid("name must be a short string", field="name")
    async with hub.sessions() as db, db.begin():
        conversation = await _conversation(db, request.match_info["session_id"])
        customer = await customers.attach(db, conversation, email, name)
        # a typed e-mail is the customer's claim: recorded, linked to no profile
        data = (
            {**customers.customer_json(customer), "verified": True}
            if customer is not None
            else {
                "email": conversation.customer_email,
                "name": conversation.customer_name,
                "verified": False,
            }
        )
    return web.json_response({"customer": data})
