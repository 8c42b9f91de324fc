"""Sign-in, sign-out, ``/api/auth/me`` and presence."""

from __future__ import annotations

from aiohttp import web

from .. import staff
from ..bus import QUEUE_CHANNEL
from ..errors import BadRequest, Invalid
from ..models import User
from .keys import HUB
from .staff_auth import COOKIE, current_session, require, set_cookie
from .util import read_json

routes = web.RouteTableDef()


async def _me(request: web.Request, user: User, csrf_token: str) -> dict:
    async with request.config_dict[HUB].sessions() as db:
        teams = await staff.team_keys_of(db, user.id)
    return {"user": staff.user_json(user, teams), "csrf_token": csrf_token}


@routes.post("/auth/login")
async def login(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("bad_request", "the body must be a JSON object")
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise Invalid("invalid", "email and password are required")
    async with hub.sessions() as db, db.begin():
        user, token, session = await staff.sign_in(db, email, password)
    response = web.json_response(await _me(request, user, session.csrf_token))
    set_cookie(response, token, hub.settings.cookie_secure)
    await hub.bus.publish(QUEUE_CHANNEL, {"type": "agents_changed"})
    return response


@routes.post("/auth/logout")
async def logout(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    session = current_session(request)
    async with hub.sessions() as db, db.begin():
        await staff.sign_out(db, session.id)
    response = web.json_response({"signed_out": True})
    response.del_cookie(COOKIE, path="/")
    await hub.bus.publish(QUEUE_CHANNEL, {"type": "agents_changed"})
    return response


@routes.get("/auth/me")
async def me(request: web.Request) -> web.Response:
    user = require(request)
    return web.json_response(await _me(request, user, current_session(request).csrf_token))


@routes.post("/presence")
async def presence(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    user = require(request)
    body = await read_json(request)
    value = body.get("presence") if isinstance(body, dict) else None
    async with hub.sessions() as db, db.begin():
        row = await db.get(User, user.id)
        await staff.set_presence(db, row, str(value))
    await hub.bus.publish(QUEUE_CHANNEL, {"type": "agents_changed"})
    return web.json_response({"presence": value})
