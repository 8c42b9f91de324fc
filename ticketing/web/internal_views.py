"""The internal API the Rasa actions call (shared-secret bearer token)."""

from __future__ import annotations

import secrets

from aiohttp import web
from sqlalchemy import select

from .. import chat, tickets
from ..errors import ApiError, invalid, not_found
from ..models import Conversation
from ..serializers import ticket_brief
from .keys import HUB
from .util import bearer_token, read_json

routes = web.RouteTableDef()


@web.middleware
async def internal_auth(request: web.Request, handler):
    if request.path.startswith("/internal/"):
        token = bearer_token(request)
        expected = request.app[HUB].settings.internal_token
        if not token or not secrets.compare_digest(token, expected):
            raise ApiError(401, "unauthorized", "a valid internal API token is required")
    return await handler(request)


async def _conversation(db, public_id: str) -> Conversation:
    conversation = (
        await db.execute(
            select(Conversation).where(Conversation.public_id == public_id).with_for_update()
        )
    ).scalar_one_or_none()
    if conversation is None:
        raise not_found("conversation")
    return conversation


@routes.get("/internal/conversations/{session_id}")
async def conversation_info(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    async with hub.sessions() as db:
        conversation = await _conversation(db, request.match_info["session_id"])
    state = await chat.session_state(hub, conversation.id)
    state["customer"] = {"name": conversation.customer_name, "email": conversation.customer_email}
    return web.json_response(state)


@routes.post("/internal/conversations/{session_id}/handoff")
async def handoff(request: web.Request) -> web.Response:
    """Queue the conversation for a human agent; answers the ticket and queue position."""
    hub = request.app[HUB]
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    reason = body.get("reason", "requested")
    summary = body.get("summary")
    if summary is not None and not isinstance(summary, str):
        raise invalid("summary must be a string", field="summary")
    async with hub.sessions() as db, db.begin():
        conversation = await _conversation(db, request.match_info["session_id"])
        result = await tickets.hand_off(
            db,
            hub.shop,
            conversation,
            str(reason),
            kind=str(body.get("kind", "escalation")),
            priority=str(body.get("priority", "P3")),
            summary=summary,
        )
    await chat.publish_status(hub, conversation)
    return web.json_response(
        {
            "ticket": ticket_brief(result.ticket),
            "created": result.created,
            "queue_position": result.queue_position,
        },
        status=201 if result.created else 200,
    )
