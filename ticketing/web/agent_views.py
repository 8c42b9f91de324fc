"""The agent and supervisor API around tickets: queue, claim, chat, notes, resolve, ..."""

from __future__ import annotations

from typing import Any

from aiohttp import WSMsgType, web
from sqlalchemy import func, or_, select

from .. import staff, tickets
from ..bus import (
    QUEUE_CHANNEL,
    SUPERVISOR_CHANNEL,
    agent_channel,
    conversation_channel,
    team_channel,
    ticket_channel,
)
from ..errors import BadRequest, Conflict, Forbidden, HelpdeskError, invalid, not_found
from ..models import CannedResponse, Conversation, Customer, Message, Team, Ticket, User, user_teams
from ..serializers import iso
from ..services import desk, profiles
from ..ticket_detail import detail, team_map, ticket_json, user_names
from .keys import HUB, WEBSOCKETS
from .live import FrameBudget, close_flooded, pump
from .security import same_origin
from .staff_auth import require
from .util import int_query, read_json

routes = web.RouteTableDef()


def _number(request: web.Request) -> str:
    return request.match_info["number"].upper()


async def _ticket_response(
    request: web.Request, number: str, *, check_rights: bool = True
) -> web.Response:
    """The ticket's detail; ``check_rights=False`` after this user moved it to a team they
    are not in (the transfer succeeded: answer it, not 403)."""
    hub = request.config_dict[HUB]
    user = require(request)
    async with hub.sessions() as db:
        ticket = await tickets.by_number(db, number)
        if check_rights:
            await tickets.check_team_rights(db, user, ticket)
        return web.json_response(await detail(db, hub.shop, ticket))


# ------------------------------------------------------------------ queue and lists


@routes.get("/queue")
async def queue(request: web.Request) -> web.Response:
    """Unassigned tickets of the agent's teams (all teams for supervisors), in queue order."""
    hub = request.config_dict[HUB]
    user = require(request)
    team_key = request.query.get("team")
    async with hub.sessions() as db:
        teams = await team_map(db)
        supervisor = staff.has_role(user, "supervisor")
        own = None if supervisor else set(await staff.team_ids_of(db, user.id))
        if team_key:
            team_ids = {t.id for t in teams.values() if t.key == team_key}
            if not team_ids:
                raise invalid(f"unknown team {team_key!r}", field="team")
            if own is not None and not team_ids <= own:
                raise Forbidden("forbidden", f"you are not in the team {team_key!r}")
        else:
            team_ids = own
        rows = (await db.execute(tickets.queue_query(team_ids).limit(200))).scalars().all()
        previews = await _last_customer_messages(db, [t.conversation_id for t in rows])
        flags = await _customer_flags(db, {t.customer_id for t in rows if t.customer_id})
        mine = (
            (
                await db.execute(
                    select(Ticket)
                    .where(
                        Ticket.assignee_id == user.id,
                        Ticket.status.in_(("open", "pending", "reopened")),
                    )
                    .order_by(Ticket.priority, Ticket.created_at)
                )
            )
            .scalars()
            .all()
        )
        mine_previews = await _last_customer_messages(db, [t.conversation_id for t in mine])
        names = await user_names(db, {user.id})
        agents_online = await tickets.online_agents(db)
    items = [
        {
            **_list_item(ticket, hub, teams, names, previews, flags),
            "position": index + 1,
        }
        for index, ticket in enumerate(rows)
    ]
    return web.json_response(
        {
            "tickets": items,
            "mine": [_list_item(t, hub, teams, names, mine_previews, {}) for t in mine],
            "agents_online": agents_online,
            "oldest_waiting_since": items[0]["created_at"] if items else None,
        }
    )


def _list_item(ticket, hub, teams, names, previews, flags) -> dict[str, Any]:
    data = ticket_json(ticket, hub.shop, teams, names)
    preview = previews.get(ticket.conversation_id)
    data["last_customer_message"] = preview
    data["vip"], data["dispute"] = flags.get(ticket.customer_id, (False, False))
    return data


async def _last_customer_messages(db, conversation_ids: list[int]) -> dict[int, dict]:
    ids = [i for i in conversation_ids if i]
    if not ids:
        return {}
    latest = (
        select(Message.conversation_id, func.max(Message.id).label("id"))
        .where(Message.conversation_id.in_(ids), Message.sender == "customer")
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = await db.execute(select(Message).join(latest, latest.c.id == Message.id))
    return {
        m.conversation_id: {"id": m.id, "text": m.text[:200], "created_at": iso(m.created_at)}
        for m in rows.scalars()
    }


async def _customer_flags(db, ids: set[int]) -> dict[int, tuple[bool, bool]]:
    if not ids:
        return {}
    rows = await db.execute(
        select(Customer.id, Customer.vip, Customer.dispute).where(Customer.id.in_(ids))
    )
    return {r.id: (r.vip, r.dispute) for r in rows}


@routes.get("/tickets")
async def list_tickets(request: web.Request) -> web.Response:
    """Tickets filtered by status, priority, team, assignee (``me`` or an id), kind, q."""
    hub = request.config_dict[HUB]
    user = require(request)
    q = request.query
    limit = int_query(request, "limit", 50, lo=1, hi=200)
    offset = int_query(request, "offset", 0, lo=0, hi=10**9)
    query = select(Ticket)
    if q.get("status"):
        query = query.where(Ticket.status.in_(q["status"].split(",")))
    if q.get("priority"):
        query = query.where(Ticket.priority.in_(q["priority"].split(",")))
    if q.get("kind"):
        query = query.where(Ticket.kind.in_(q["kind"].split(",")))
    if q.get("assignee"):
        if q["assignee"] == "me":
            query = query.where(Ticket.assignee_id == user.id)
        elif q["assignee"] == "none":
            query = query.where(Ticket.assignee_id.is_(None))
        elif q["assignee"].isdigit():
            query = query.where(Ticket.assignee_id == int(q["assignee"]))
        else:
            raise invalid("assignee must be me, none or a user id", field="assignee")
    if q.get("breached") in ("1", "true"):
        query = query.where(Ticket.breached.is_(True))
    if q.get("q"):
        term = f"%{q['q'].strip()}%"
        query = query.where(
            or_(
                Ticket.number.ilike(term),
                Ticket.subject.ilike(term),
                Ticket.customer_email.ilike(term),
                Ticket.customer_name.ilike(term),
                Ticket.summary.ilike(term),
            )
        )
    async with hub.sessions() as db:
        teams = await team_map(db)
        if q.get("team"):
            ids = [t.id for t in teams.values() if t.key == q["team"]]
            if not ids:
                raise invalid(f"unknown team {q['team']!r}", field="team")
            query = query.where(Ticket.team_id.in_(ids))
        if not staff.has_role(user, "supervisor"):
            query = query.where(
                or_(
                    Ticket.team_id.in_(await staff.team_ids_of(db, user.id)),
                    Ticket.assignee_id == user.id,
                )
            )
        total = await db.scalar(select(func.count()).select_from(query.subquery()))
        rows = (
            (await db.execute(query.order_by(Ticket.created_at.desc()).limit(limit).offset(offset)))
            .scalars()
            .all()
        )
        names = await user_names(db, {t.assignee_id for t in rows if t.assignee_id})
    return web.json_response(
        {"total": total, "tickets": [ticket_json(t, hub.shop, teams, names) for t in rows]}
    )


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
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("bad_request", "the body must be a JSON object")
    result = await desk.agent_message(
        request.config_dict[HUB], user, _number(request), body.get("text"), body.get("buttons")
    )
    return web.json_response(result, status=201)


@routes.post("/tickets/{number}/notes")
async def add_note(request: web.Request) -> web.Response:
    user = require(request)
    body = await read_json(request)
    text = body.get("text") if isinstance(body, dict) else None
    note = await desk.add_note(request.config_dict[HUB], user, _number(request), text)
    return web.json_response(note, status=201)


@routes.post("/tickets/{number}/resolve")
async def resolve(request: web.Request) -> web.Response:
    user = require(request)
    body = await read_json(request)
    ticket = await desk.resolve(request.config_dict[HUB], user, _number(request), body)
    return await _ticket_response(request, ticket.number)


@routes.post("/tickets/{number}/status")
async def set_status(request: web.Request) -> web.Response:
    user = require(request)
    body = await read_json(request)
    status = body.get("status") if isinstance(body, dict) else None
    ticket = await desk.set_status(request.config_dict[HUB], user, _number(request), status)
    return await _ticket_response(request, ticket.number)


@routes.patch("/tickets/{number}")
async def update_ticket(request: web.Request) -> web.Response:
    user = require(request)
    ticket = await desk.update_fields(
        request.config_dict[HUB], user, _number(request), await read_json(request)
    )
    return await _ticket_response(request, ticket.number)


@routes.patch("/tickets/{number}/complaint")
async def update_complaint(request: web.Request) -> web.Response:
    user = require(request)
    number = _number(request)
    await desk.update_complaint(request.config_dict[HUB], user, number, await read_json(request))
    return await _ticket_response(request, number)


@routes.post("/tickets/{number}/transfer")
async def transfer(request: web.Request) -> web.Response:
    user = require(request)
    ticket = await desk.transfer(
        request.config_dict[HUB], user, _number(request), await read_json(request)
    )
    return await _ticket_response(request, ticket.number, check_rights=False)


@routes.post("/tickets/{number}/escalate")
async def escalate(request: web.Request) -> web.Response:
    """Flag a complex case and move it to the dedicated team that owns it until solved."""
    user = require(request)
    body = await read_json(request, required=False) or {}
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
    async with request.config_dict[HUB].sessions() as db:
        teams = await team_map(db)
    return web.json_response(
        {
            "teams": [
                {"key": t.key, "name": t.name, "dedicated": t.dedicated} for t in teams.values()
            ]
        }
    )


@routes.get("/agents")
async def list_agents(request: web.Request) -> web.Response:
    """Staff with presence, capacity and current load (for transfers and supervisors)."""
    require(request)
    async with request.config_dict[HUB].sessions() as db:
        users = (
            (await db.execute(select(User).where(User.active.is_(True)).order_by(User.name)))
            .scalars()
            .all()
        )
        loads = dict(
            (
                await db.execute(
                    select(Ticket.assignee_id, func.count(Ticket.id))
                    .where(
                        Ticket.status.in_(("open", "reopened", "new")),
                        Ticket.assignee_id.isnot(None),
                    )
                    .group_by(Ticket.assignee_id)
                )
            ).all()
        )
        memberships = (await db.execute(select(user_teams.c.user_id, Team.key).join(Team))).all()
    teams_of: dict[int, list[str]] = {}
    for user_id, key in memberships:
        teams_of.setdefault(user_id, []).append(key)
    return web.json_response(
        {
            "agents": [
                {**staff.user_json(u, sorted(teams_of.get(u.id, []))), "load": loads.get(u.id, 0)}
                for u in users
            ]
        }
    )


@routes.get("/customers/{customer_id:\\d+}")
async def get_customer(request: web.Request) -> web.Response:
    user = require(request)
    customer_id = int(request.match_info["customer_id"])
    return web.json_response(
        await profiles.customer_profile(request.config_dict[HUB], user, customer_id)
    )


@routes.patch("/customers/{customer_id:\\d+}")
async def update_customer(request: web.Request) -> web.Response:
    user = require(request, "supervisor")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("bad_request", "the body must be a JSON object")
    customer_id = int(request.match_info["customer_id"])
    return web.json_response(
        await profiles.update_customer(request.config_dict[HUB], user, customer_id, body)
    )


# ------------------------------------------------------------------ canned responses


def _canned_json(row: CannedResponse) -> dict[str, Any]:
    return {"id": row.id, "shortcut": row.shortcut, "title": row.title, "text": row.text}


def _canned_fields(body: Any, partial: bool) -> dict[str, str]:
    if not isinstance(body, dict):
        raise BadRequest("bad_request", "the body must be a JSON object")
    fields = {}
    for name, limit in (("shortcut", 40), ("title", 200), ("text", 2000)):
        if name not in body:
            if not partial:
                raise invalid(f"{name} is required", field=name)
            continue
        value = body[name]
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise invalid(f"{name} must be 1 to {limit} characters", field=name)
        fields[name] = value.strip()
    if "shortcut" in fields:
        shortcut = fields["shortcut"].lstrip("/").lower()
        if not shortcut.replace("-", "").replace("_", "").isalnum():
            raise invalid("shortcut may hold letters, digits, - and _", field="shortcut")
        fields["shortcut"] = shortcut
    return fields


@routes.get("/canned-responses")
async def list_canned(request: web.Request) -> web.Response:
    require(request)
    async with request.config_dict[HUB].sessions() as db:
        rows = (
            await db.execute(select(CannedResponse).order_by(CannedResponse.shortcut))
        ).scalars()
        return web.json_response({"canned_responses": [_canned_json(r) for r in rows]})


@routes.post("/canned-responses")
async def create_canned(request: web.Request) -> web.Response:
    user = require(request, "supervisor")
    fields = _canned_fields(await read_json(request), partial=False)
    async with request.config_dict[HUB].sessions() as db, db.begin():
        if await db.scalar(
            select(CannedResponse.id).where(CannedResponse.shortcut == fields["shortcut"])
        ):
            raise Conflict("conflict", f"/{fields['shortcut']} already exists")
        row = CannedResponse(**fields, updated_by=user.id)
        db.add(row)
    return web.json_response(_canned_json(row), status=201)


@routes.patch("/canned-responses/{id:\\d+}")
async def update_canned(request: web.Request) -> web.Response:
    user = require(request, "supervisor")
    fields = _canned_fields(await read_json(request), partial=True)
    async with request.config_dict[HUB].sessions() as db, db.begin():
        row = await db.get(CannedResponse, int(request.match_info["id"]))
        if row is None:
            raise not_found("canned response")
        if "shortcut" in fields and fields["shortcut"] != row.shortcut:
            if await db.scalar(
                select(CannedResponse.id).where(CannedResponse.shortcut == fields["shortcut"])
            ):
                raise Conflict("conflict", f"/{fields['shortcut']} already exists")
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_by = user.id
    return web.json_response(_canned_json(row))


@routes.delete("/canned-responses/{id:\\d+}")
async def delete_canned(request: web.Request) -> web.Response:
    require(request, "supervisor")
    async with request.config_dict[HUB].sessions() as db, db.begin():
        row = await db.get(CannedResponse, int(request.match_info["id"]))
        if row is None:
            raise not_found("canned response")
        await db.delete(row)
    return web.json_response({"deleted": True})


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
    channels = [QUEUE_CHANNEL, agent_channel(user.id)]
    async with hub.sessions() as db:
        if staff.has_role(user, "supervisor"):
            channels.append(SUPERVISOR_CHANNEL)
            team_ids = {team.id for team in (await team_map(db)).values()}
        else:
            team_ids = set(await staff.team_ids_of(db, user.id))
    # customers' messages only of the agent's teams' tickets (and their own: agent_channel)
    channels.extend(team_channel(team_id) for team_id in sorted(team_ids))
    async with hub.bus.subscribe(*channels) as queue:
        subscribed: dict[str, list[str]] = {}

        async def handle(message: dict) -> None:
            number = str(message.get("ticket") or "").upper()
            kind = message.get("type")
            if kind == "subscribe" and number and number not in subscribed:
                async with hub.sessions() as db:
                    try:
                        ticket = await tickets.by_number(db, number)
                        await tickets.check_team_rights(db, user, ticket)
                    except HelpdeskError as error:
                        await ws.send_json({"type": "error", "error": error.body()["error"]})
                        return
                    conversation = (
                        await db.get(Conversation, ticket.conversation_id)
                        if ticket.conversation_id
                        else None
                    )
                names = [ticket_channel(number)]
                if conversation is not None:
                    names.append(conversation_channel(conversation.public_id))
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

        await pump(ws, queue, read(), skip=own_typing)
    return ws
