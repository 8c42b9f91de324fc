"""The internal API the Rasa actions call (shared-secret bearer token).

Everything the assistant stores or looks up goes through here: hand-off, availability,
orders, complaints, ticket status, the satisfaction survey and the customer's e-mail.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import tokens
from ..errors import BadRequest, Unauthorized, invalid
from ..serializers import iso, ticket_brief
from ..services import assistant, lookups, privacy
from ..services import handoff as handoff_service
from .keys import HUB
from .openapi import internal_openapi
from .util import int_query, read_json

routes = web.RouteTableDef()


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


@routes.get("/conversations/{session_id}")
async def conversation_info(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    return web.json_response(
        await assistant.conversation_info(hub, request.match_info["session_id"])
    )


# the whole OpenAPI document, internal API included (the public one leaves it out)
routes.get("/openapi.json")(internal_openapi)


@routes.get("/privacy/forgotten")
async def forgotten(request: web.Request) -> web.Response:
    """The chats whose personal data was removed (retention, erasure), by cursor: what a job
    in Rasa's environment deletes from a tracker store that only appends (bot/privacy.py)."""
    after = int_query(request, "after", 0, lo=0, hi=2**62)
    limit = int_query(request, "limit", 500, lo=1, hi=5000)
    hub = request.config_dict[HUB]
    return web.json_response(await privacy.forgotten(hub, after, limit))


@routes.get("/availability")
async def availability(request: web.Request) -> web.Response:
    """Whether a human can answer now, and honest expectations when not."""
    return web.json_response(await assistant.availability(request.config_dict[HUB]))


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
            "expected_wait_minutes": assistant.wait_minutes(result.queue_position, agents),
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
    body = await _json_object(request)
    session_id = body.get("session_id")
    if not isinstance(session_id, str):
        raise invalid("session_id is required", field="session_id")
    return web.json_response(
        await assistant.file_complaint(request.config_dict[HUB], session_id, body), status=201
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
    body = await _json_object(request)
    return web.json_response(
        await assistant.record_rating(
            request.config_dict[HUB], request.match_info["session_id"], body
        )
    )


@routes.post("/conversations/{session_id}/survey-offered")
async def survey_offered(request: web.Request) -> web.Response:
    await assistant.survey_offered(request.config_dict[HUB], request.match_info["session_id"])
    return web.json_response({"offered": True})


@routes.post("/conversations/{session_id}/customer")
async def attach_customer(request: web.Request) -> web.Response:
    body = await _json_object(request)
    email, name = body.get("email"), body.get("name")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise invalid("email is not an e-mail address", field="email")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise invalid("name must be a short string", field="name")
    customer = await assistant.attach_customer(
        request.config_dict[HUB], request.match_info["session_id"], email, name
    )
    return web.json_response({"customer": customer})
