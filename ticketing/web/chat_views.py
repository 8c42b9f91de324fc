"""The customer chat API (DESIGN.md, "Customer chat API")."""

from __future__ import annotations

from aiohttp import WSMsgType, web

from ..bus import conversation_channel
from ..errors import HelpdeskError
from ..services import chat, feedback, privacy
from .keys import HUB, WEBSOCKETS
from .live import FrameBudget, close_flooded, pump
from .util import bearer_token, int_query, limited_client, path_id, read_json

routes = web.RouteTableDef()


async def _conversation(request: web.Request, token: str | None = None):
    return await chat.authenticate(
        request.config_dict[HUB], request.match_info["session_id"], token or bearer_token(request)
    )


@routes.post("/sessions")
async def create_session(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    body = await read_json(request, required=False)
    conversation, token = await chat.create_session(hub, body, limited_client(request))
    state = await chat.session_state(hub, conversation.id)
    messages = await chat.list_messages(hub, conversation.id, after=0, limit=100)
    return web.json_response({**state, "token": token, "messages": messages}, status=201)


@routes.get("/privacy")
async def privacy_notice(request: web.Request) -> web.Response:
    """The notice to show before the first message, and the marketing opt-in's wording."""
    hub = request.config_dict[HUB]
    return web.json_response(privacy.notices(hub, request.query.get("locale")))


@routes.post("/sessions/{session_id}/consent")
async def give_consent(request: web.Request) -> web.Response:
    conversation = await _conversation(request)
    hub = request.config_dict[HUB]
    return web.json_response(
        await privacy.give_consent(hub, conversation, await read_json(request))
    )


@routes.get("/sessions/{session_id}")
async def get_session(request: web.Request) -> web.Response:
    conversation = await _conversation(request)
    return web.json_response(await chat.session_state(request.config_dict[HUB], conversation.id))


@routes.post("/sessions/{session_id}/messages")
async def post_message(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    conversation = await _conversation(request)
    new = chat.NewMessage.from_body(await read_json(request), hub.settings.max_message_length)
    messages = await chat.post_customer_message(
        hub,
        conversation,
        new,
        request.headers.get("Idempotency-Key"),
        client=limited_client(request),
    )
    return web.json_response({"messages": messages})


@routes.get("/sessions/{session_id}/messages")
async def list_messages(request: web.Request) -> web.Response:
    conversation = await _conversation(request)
    await chat.mark_seen(request.config_dict[HUB], conversation)
    after = int_query(request, "after", 0, lo=0, hi=2**62)
    limit = int_query(request, "limit", 200, lo=1, hi=500)
    messages = await chat.list_messages(request.config_dict[HUB], conversation.id, after, limit)
    return web.json_response({"messages": messages})


@routes.post("/sessions/{session_id}/messages/{message_id:\\d+}/feedback")
async def answer_feedback(request: web.Request) -> web.Response:
    conversation = await _conversation(request)
    result = await feedback.answer_feedback(
        request.config_dict[HUB],
        conversation,
        path_id(request, "message", "message_id"),
        await read_json(request),
    )
    return web.json_response(result)


@routes.post("/sessions/{session_id}/close")
async def close_session(request: web.Request) -> web.Response:
    conversation = await _conversation(request)
    return web.json_response(await feedback.close_session(request.config_dict[HUB], conversation))


async def _drain(ws: web.WebSocketResponse, hub, conversation) -> None:
    """Read client frames until the socket closes: pings, and typing for the agent."""
    budget = FrameBudget()
    async for message in ws:
        if message.type != WSMsgType.TEXT:
            continue
        if not budget.frame():
            await close_flooded(ws)
            return
        if message.data == "ping":
            await ws.send_json({"type": "pong"})
            continue
        try:
            data = message.json()
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("type") == "typing" and budget.typing():
            await chat.customer_typing(hub, conversation)


AUTH_FRAME_SECONDS = 10
UNAUTHORIZED_CLOSE = 4401  # the HTTP status in the 4000-4999 range of application close codes


async def _first_frame_token(ws: web.WebSocketResponse) -> str | None:
    """The token of the socket's first frame, ``{"type": "auth", "token": ...}`` (so that it
    is in no URL and no log), or None when it does not come in time or is something else."""
    try:
        message = await ws.receive(timeout=AUTH_FRAME_SECONDS)
    except TimeoutError:
        return None
    if message.type != WSMsgType.TEXT:
        return None
    try:
        data = message.json()
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != "auth":
        return None
    token = data.get("token")
    return token if isinstance(token, str) and token else None


@routes.get("/sessions/{session_id}/ws")
async def websocket(request: web.Request) -> web.WebSocketResponse:
    """The chat's live socket. The token comes as ``?token=`` (DESIGN.md), as a bearer
    header, or, what the widget does, in the first frame once the socket is open."""
    hub = request.config_dict[HUB]
    token = request.query.get("token") or bearer_token(request)
    ws = web.WebSocketResponse(heartbeat=30)
    if token or not ws.can_prepare(request).ok:
        conversation = await _conversation(request, token)  # a bad token: a plain 401
        await ws.prepare(request)
    else:
        await ws.prepare(request)
        try:
            conversation = await _conversation(request, await _first_frame_token(ws))
        except HelpdeskError as exc:
            await ws.close(code=UNAUTHORIZED_CLOSE, message=exc.code.encode()[:120])
            return ws
    request.config_dict[WEBSOCKETS].add(ws)
    async with hub.bus.subscribe(conversation_channel(conversation.public_id)) as queue:
        await ws.send_json({"type": "status", **await chat.session_state(hub, conversation.id)})
        await pump(ws, queue, _drain(ws, hub, conversation))
    return ws
