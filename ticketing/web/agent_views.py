"""The agent and supervisor API around tickets: queue, claim, chat, notes, resolve, ..."""

from __future__ import annotations

from typing import Any

from aiohttp import WSMsgType, web

from ..errors import Forbidden, HelpdeskError, invalid
from ..privacy import masking
from ..privacy.masking import mask_json
from ..services import canned, desk, desk_reads, profiles, resolution
from .keys import HUB, WEBSOCKETS
from .live import FrameBudget, close_flooded, pump
from .security import same_origin
from .staff_auth import require
from .util import int_query, path_id, read_json

routes = web.RouteTableDef()


def _number(request: web.Request) -> str:
    return request.match_info["number"].upper()


async def _ticket_body(request: web.Request, user, *, required: bool = True) -> Any:
    """The body of a call on one ticket, read once the caller may work on it: who may comes
    before what was sent (the authorisation matrix's order)."""
    await desk_reads.check_access(request.config_dict[HUB], user, _number(request))
    return await read_json(request, required=required)


async def _ticket_response(
    request: web.Request, number: str, *, check_rights: bool = True
) -> web.Response:
    """The ticket's detail; ``check_rights=False`` after this user moved it to a team they
    are not in (the transfer succeeded: answer it, not 403)."""
    user = require(request)
    return web.json_response(
        await desk_reads.ticket_detail(
            request.config_dict[HUB], user, number, check_rights=check_rights
        )
    )


# ------------------------------------------------------------------ queue and lists


@routes.get("/queue")
async def queue(request: web.Request) -> web.Response:
    """Unassigned tickets of the agent's teams (all teams for supervisors), in queue order."""
    user = require(request)
    team_key = request.query.get("team")
    return web.json_response(await desk_reads.queue(request.config_dict[HUB], user, team_key))


def _ticket_filters(request: web.Request, user_id: int) -> desk_reads.TicketFilters:
    """``status``, ``priority``, ``kind`` (comma-separated), ``assignee`` (``me``, ``none`` or
    an id), ``breached``, ``q``, ``team`` (checked by the service), ``limit``, ``offset``."""
    q = request.query
    limit = int_query(request, "limit", 50, lo=1, hi=200)
    offset = int_query(request, "offset", 0, lo=0, hi=10**9)
    assignee: int | None = None
    unassigned = False
    if q.get("assignee"):
        if q["assignee"] == "me":
            assignee = user_id
        elif q["assignee"] == "none":
            unassigned = True
        elif q["assignee"].isdigit():
            assignee = int(q["assignee"])
        else:
            raise invalid("assignee must be me, none or a user id", field="assignee")
    return desk_reads.TicketFilters(
        statuses=q["status"].split(",") if q.get("status") else None,
        priorities=q["priority"].split(",") if q.get("priority") else None,
        kinds=q["kind"].split(",") if q.get("kind") else None,
        assignee=assignee,
        unassigned=unassigned,
        breached=q.get("breached") in ("1", "true"),
        search=q.get("q") or None,
        team=q.get("team") or None,
        limit=limit,
        offset=offset,
    )


@routes.get("/tickets")
async def list_tickets(request: web.Request) -> web.Response:
    """Tickets filtered by status, priority, team, assignee (``me`` or an id), kind, q."""
    user = require(request)
    filters = _ticket_filters(request, user.id)
    return web.json_response(await desk_reads.list_tickets(request.config_dict[HUB], user, filters))


# ------------------------------------------------------------------ one ticket


@routes.get("/tickets/{number}")
async def get_ticket(request: web.Request) -> web.Response:
    return await _ticket_response(request, _number(request))


@routes.post("/tickets/{number}/claim")
async def claim(request: web.Request) -> web.Response:
    user = require(request)
    ticket = await desk.claim(request.config_dict[HUB], user, _number(request))
    return await _ticket_response(request, ticket.number)


@routes.post("/tickets/{number}/messages")
async def agent_message(request: web.Request) -> web.Response:
    user = require(request)
    body = await _ticket_body(request, user)
    result = await desk.agent_message(
        request.config_dict[HUB], user, _number(request), body.get("text"), body.get("buttons")
    )
    return web.json_response(result, status=201)


@routes.post("/tickets/{number}/notes")
async def add_note(request: web.Request) -> web.Response:
    user = require(request)
    text = (await _ticket_body(request, user))["text"]
    note = await desk.add_note(request.config_dict[HUB], user, _number(request), text)
    return web.json_response(note, status=201)


@routes.post("/tickets/{number}/resolve")
async def resolve(request: web.Request) -> web.Response:
    user = require(request)
    body = await _ticket_body(request, user)
    ticket = await resolution.resolve(request.config_dict[HUB], user, _number(request), body)
    return await _ticket_response(request, ticket.number)


@routes.post("/tickets/{number}/status")
async def set_status(request: web.Request) -> web.Response:
    user = require(request)
    status = (await _ticket_body(request, user))["status"]
    ticket = await desk.set_status(request.config_dict[HUB], user, _number(request), status)
    return await _ticket_response(request, ticket.number)


@routes.patch("/tickets/{number}")
async def update_ticket(request: web.Request) -> web.Response:
    user = require(request)
    ticket = await desk.update_fields(
        request.config_dict[HUB], user, _number(request), await _ticket_body(request, user)
    )
    return await _ticket_response(request, ticket.number)


@routes.patch("/tickets/{number}/complaint")
async def update_complaint(request: web.Request) -> web.Response:
    user = require(request)
    number = _number(request)
    await desk.update_complaint(
        request.config_dict[HUB], user, number, await _ticket_body(request, user)
    )
    return await _ticket_response(request, number)


@routes.post("/tickets/{number}/transfer")
async def transfer(request: web.Request) -> web.Response:
    user = require(request)
    ticket = await desk.transfer(
        request.config_dict[HUB], user, _number(request), await _ticket_body(request, user)
    )
    return await _ticket_response(request, ticket.number, check_rights=False)


@routes.post("/tickets/{number}/escalate")
async def escalate(request: web.Request) -> web.Response:
    """Flag a complex case and move it to the dedicated team that owns it until solved."""
    user = require(request)
    body = await _ticket_body(request, user, required=False) or {}
    ticket = await desk.transfer(
        request.config_dict[HUB], user, _number(request), body, escalate=True
    )
    return await _ticket_response(request, ticket.number, check_rights=False)


@routes.post("/tickets/{number}/unassign")
async def unassign(request: web.Request) -> web.Response:
    user = require(request)
    ticket = await desk.unassign(request.config_dict[HUB], user, _number(request))
    return await _ticket_response(request, ticket.number)


@routes.post("/tickets/{number}/return-to-bot")
async def return_to_bot(request: web.Request) -> web.Response:
    user = require(request)
    ticket = await desk.return_to_bot(request.config_dict[HUB], user, _number(request))
    return await _ticket_response(request, ticket.number)


# ------------------------------------------------------------------ people


@routes.get("/teams")
async def list_teams(request: web.Request) -> web.Response:
    require(request)
    return web.json_response(await desk_reads.teams(request.config_dict[HUB]))


@routes.get("/agents")
async def list_agents(request: web.Request) -> web.Response:
    """Staff with presence, capacity and current load (for transfers and supervisors)."""
    user = require(request)
    return web.json_response(await desk_reads.agents(request.config_dict[HUB], user))


@routes.get("/customers/{customer_id:\\d+}")
async def get_customer(request: web.Request) -> web.Response:
    user = require(request)
    customer_id = path_id(request, "customer", "customer_id")
    return web.json_response(
        await profiles.customer_profile(request.config_dict[HUB], user, customer_id)
    )


@routes.patch("/customers/{customer_id:\\d+}")
async def update_customer(request: web.Request) -> web.Response:
    user = require(request, "supervisor")
    body = await read_json(request)
    customer_id = path_id(request, "customer", "customer_id")
    return web.json_response(
        await profiles.update_customer(request.config_dict[HUB], user, customer_id, body)
    )


# ------------------------------------------------------------------ canned responses


@routes.get("/canned-responses")
async def list_canned(request: web.Request) -> web.Response:
    user = require(request)
    return web.json_response(await canned.list_canned(request.config_dict[HUB], user))


@routes.post("/canned-responses")
async def create_canned(request: web.Request) -> web.Response:
    user = require(request, "supervisor")
    body = await read_json(request)
    return web.json_response(await canned.create(request.config_dict[HUB], user, body), status=201)


@routes.patch("/canned-responses/{id:\\d+}")
async def update_canned(request: web.Request) -> web.Response:
    user = require(request, "supervisor")
    body = await read_json(request)
    canned_id = path_id(request, "canned response")
    return web.json_response(await canned.update(request.config_dict[HUB], user, canned_id, body))


@routes.delete("/canned-responses/{id:\\d+}")
async def delete_canned(request: web.Request) -> web.Response:
    user = require(request, "supervisor")
    canned_id = path_id(request, "canned response")
    return web.json_response(await canned.delete(request.config_dict[HUB], user, canned_id))


# ------------------------------------------------------------------ live events


@routes.get("/agent/ws")
async def agent_ws(request: web.Request) -> web.WebSocketResponse:
    """Live queue, personal assignments, and the tickets the console has open.

    Client messages: ``{"type": "subscribe", "ticket": "T-000001"}``,
    ``{"type": "unsubscribe", "ticket": ...}``, ``{"type": "typing", "ticket": ...}``.
    """
    hub = request.config_dict[HUB]
    user = require(request)
    if not same_origin(request):
        raise Forbidden("bad_origin", "staff sockets open only from the hub's own pages")
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    request.config_dict[WEBSOCKETS].add(ws)
    # customers' messages only of the agent's teams' tickets (and their own: agent_channel)
    channels = await desk_reads.socket_channels(hub, user)
    async with hub.bus.subscribe(*channels) as queue:
        subscribed: dict[str, list[str]] = {}

        async def handle(message: dict) -> None:
            number = str(message.get("ticket") or "").upper()
            kind = message.get("type")
            if kind == "subscribe" and number and number not in subscribed:
                try:
                    names = await desk_reads.subscribe_ticket(hub, user, number)
                except HelpdeskError as error:
                    await ws.send_json({"type": "error", "error": error.body()["error"]})
                    return
                for name in names:
                    hub.bus.add(name, queue)
                subscribed[number] = names
                await ws.send_json({"type": "subscribed", "ticket": number})
            elif kind == "unsubscribe" and number in subscribed:
                for name in subscribed.pop(number):
                    hub.bus.remove(name, queue)
            elif (
                kind == "typing"
                and number in subscribed
                and len(subscribed[number]) > 1
                and budget.typing()
            ):
                await hub.bus.publish(
                    subscribed[number][1], {"type": "typing", "sender": "agent", "name": user.name}
                )
            elif kind == "ping":
                await ws.send_json({"type": "pong"})

        budget = FrameBudget()

        async def read() -> None:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    if not budget.frame():
                        await close_flooded(ws)
                        return
                    try:
                        data = message.json()
                    except ValueError:
                        continue
                    if isinstance(data, dict):
                        await handle(data)

        def own_typing(event: dict) -> bool:
            return event.get("type") == "typing" and event.get("name") == user.name

        # a supervisor with masked personal data gets the live events masked too
        masked = masking.masked_staff(user, hub.settings)
        await pump(ws, queue, read(), skip=own_typing, transform=mask_json if masked else None)
    return ws
