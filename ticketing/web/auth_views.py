"""Sign-in, sign-out, ``/api/auth/me`` and presence."""

from __future__ import annotations

from aiohttp import web

from .. import staff
from ..errors import BadRequest, Invalid
from ..models import User
from ..services import accounts
from .keys import HUB
from .staff_auth import COOKIE, current_session, require, set_cookie
from .util import limited_client, read_json

routes = web.RouteTableDef()


def _me(user: User, teams: list[str], csrf_token: str) -> dict:
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
    user, token, session, teams = await accounts.sign_in(
        hub, email, password, limited_client(request)
    )
    response = web.json_response(_me(user, teams, session.csrf_token))
    set_cookie(response, token, hub.settings.cookie_secure)
    return response


@routes.post("/auth/logout")
async def logout(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    session = current_session(request)
    await accounts.sign_out(hub, session.id)
    response = web.json_response({"signed_out": True})
    response.del_cookie(COOKIE, path="/")
    return response


@routes.post("/auth/password")
async def change_password(request: web.Request) -> web.Response:
    user = require(request)
    await accounts.change_password(
        request.config_dict[HUB], user, current_session(request), await read_json(request)
    )
    return web.json_response({"changed": True})


@routes.get("/auth/me")
async def me(request: web.Request) -> web.Response:
    user = require(request)
    teams = await accounts.teams_of(request.config_dict[HUB], user)
    return web.json_response(_me(user, teams, current_session(request).csrf_token))


@routes.post("/presence")
async def presence(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    user = require(request)
    body = await read_json(request)
    value = body.get("presence") if isinstance(body, dict) else None
    await accounts.set_presence(hub, user, value)
    return web.json_response({"presence": value})
