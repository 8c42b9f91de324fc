"""Rate limits: 429 with Retry-After, nothing stored, the shop's sign-in lock-out, Redis-shared
counters, socket floods; password checks off the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace

import pytest
from aiohttp import WSMsgType

from ticketing import limits, staff
from ticketing.web.app import init_app
from ticketing.web.keys import HUB

from .conftest import INTERNAL_TOKEN, PASSWORD, Chat, count_rows
from .test_scale_out import REDIS_URL


@pytest.fixture
def tight(settings):
    """The app with small limits, so a test reaches them in a few calls."""

    def make(overrides: str):
        return init_app(replace(settings, rate_limits=overrides))

    return make


async def test_new_chats_per_address(aiohttp_client, tight):
    client = await aiohttp_client(tight("session_ip=2/60"))
    for _ in range(2):
        assert (await client.post("/api/chat/sessions", json={})).status == 201
    refused = await client.post("/api/chat/sessions", json={})
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = await refused.json()
    assert body["error"]["code"] == "rate_limited" and body["error"]["limit"] == "session_ip"
    assert await count_rows(client.app[HUB], "conversations") == 2


async def test_a_limit_resets_when_its_window_ends(aiohttp_client, tight):
    window = 4  # seconds: room for two requests on a loaded machine, inside one window
    client = await aiohttp_client(tight(f"session_ip=1/{window}"))
    # fixed windows start at multiples of their length: begin right after a boundary
    await asyncio.sleep(window - time.time() % window + 0.05)
    assert (await client.post("/api/chat/sessions", json={})).status == 201
    refused = await client.post("/api/chat/sessions", json={})
    assert refused.status == 429 and 1 <= int(refused.headers["Retry-After"]) <= window
    await asyncio.sleep(window - time.time() % window + 0.05)  # the window has ended
    assert (await client.post("/api/chat/sessions", json={})).status == 201


async def test_loopback_clients_are_not_counted_in_development(aiohttp_client, settings):
    """Test harnesses and load tests run on 127.0.0.1: in development (RATE_LIMIT_LOOPBACK
    off) the per-address and per-chat limits leave them alone; the lock-out still holds."""
    app = init_app(
        replace(settings, limit_loopback=False, rate_limits="session_ip=1/60,message_session=1/60")
    )
    client = await aiohttp_client(app)
    sessions = [await client.post("/api/chat/sessions", json={}) for _ in range(3)]
    assert [s.status for s in sessions] == [201, 201, 201]
    created = await sessions[0].json()
    chat = Chat(client, created["session_id"], created["token"])
    await chat.send("one")
    await chat.send("two")
    assert await count_rows(client.app[HUB], "conversations") == 3


async def test_messages_per_session_keep_nothing_past_the_limit(aiohttp_client, tight):
    client = await aiohttp_client(tight("message_session=2/60"))
    created = await (await client.post("/api/chat/sessions", json={})).json()
    chat = Chat(client, created["session_id"], created["token"])
    other_created = await (await client.post("/api/chat/sessions", json={})).json()
    other = Chat(client, other_created["session_id"], other_created["token"])
    await chat.send("one")
    await chat.send("two", key="k2")
    refused = await client.post(
        f"/api/chat/sessions/{chat.session_id}/messages",
        json={"text": "three"},
        headers=chat.auth,
    )
    assert refused.status == 429 and "Retry-After" in refused.headers
    hub = client.app[HUB]
    texts = [m["text"] for m in await chat.messages() if m["sender"] == "customer"]
    assert texts == ["one", "two"]  # "three" was not stored
    # a retry of an answered message (same key) is not a new message: still answered
    replay = await chat.send("two", key="k2")
    assert replay["messages"][0]["text"] == "two"
    # another chat has its own budget
    await other.send("hello")
    assert await count_rows(hub, "messages WHERE sender = 'customer'") == 3


async def test_sign_in_locks_the_account_after_the_shops_attempts(aiohttp_client, settings):
    client = await aiohttp_client(init_app(settings))
    hub = client.app[HUB]
    async with hub.sessions() as db, db.begin():
        await staff.create_user(db, "lee@example.com", PASSWORD, role="agent", teams=["general"])

    async def login(password: str):
        return await client.post(
            "/api/auth/login", json={"email": "Lee@Example.com", "password": password}
        )

    # three wrong, one right: the right one resets the count
    for _ in range(3):
        assert (await login("wrong")).status == 401
    assert (await login(PASSWORD)).status == 200
    attempts, minutes = 5, 30  # shop.yml: account.lockout_attempts / lockout_minutes
    for _ in range(attempts):
        assert (await login("wrong")).status == 401
    locked = await login(PASSWORD)  # even the right password, while locked
    assert locked.status == 429
    error = (await locked.json())["error"]
    assert error["code"] == "account_locked" and error["retry_at"].endswith("Z")
    assert minutes * 60 - 5 <= int(locked.headers["Retry-After"]) <= minutes * 60
    assert "30 minutes" in error["message"]
    # when the lock-out is over, the right password works again
    await hub.limiter.reset("account:lee@example.com")
    assert (await login(PASSWORD)).status == 200


async def test_sign_in_attempts_per_address(aiohttp_client, tight):
    client = await aiohttp_client(tight("login_ip=3/600"))
    for _ in range(3):
        response = await client.post("/api/auth/login", json={"email": "x@y.z", "password": "p"})
        assert response.status == 401
    response = await client.post("/api/auth/login", json={"email": "a@b.c", "password": "p"})
    assert response.status == 429
    assert (await response.json())["error"]["limit"] == "login_ip"


async def test_order_look_ups_per_chat(aiohttp_client, tight):
    client = await aiohttp_client(tight("lookup_session=2/600"))
    token = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    statuses = [
        (
            await client.get(
                "/internal/orders/NW-000001", params={"session_id": "s-1"}, headers=token
            )
        ).status
        for _ in range(3)
    ]
    assert statuses == [404, 404, 429]
    other = await client.get(
        "/internal/orders/NW-000001", params={"session_id": "s-2"}, headers=token
    )
    assert other.status == 404


async def test_order_look_ups_per_address_over_every_chat(aiohttp_client, tight):
    """Many chats from one address don't multiply the look-ups it may make."""
    client = await aiohttp_client(tight("lookup_ip=2/600"))
    token = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    chats = []
    for _ in range(2):
        created = await (await client.post("/api/chat/sessions", json={})).json()
        chat = Chat(client, created["session_id"], created["token"])
        await chat.send("where is my order")  # the hub notes the address the chat writes from
        chats.append(chat)

    async def look_up(chat):
        response = await client.get(
            "/internal/orders/NW-104233", params={"session_id": chat.session_id}, headers=token
        )
        return response.status, (await response.json())["error"]

    assert [(await look_up(c))[0] for c in (chats[0], chats[1])] == [403, 403]
    status, error = await look_up(chats[1])
    assert status == 429 and error["limit"] == "lookup_ip"


async def test_password_checks_run_off_the_event_loop(aiohttp_client, settings, monkeypatch):
    client = await aiohttp_client(init_app(settings))
    threads: list[bool] = []
    original = staff.verify_password

    def recording(stored: str, password: str) -> bool:
        threads.append(threading.current_thread() is threading.main_thread())
        return original(stored, password)

    monkeypatch.setattr(staff, "verify_password", recording)
    await client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "x"})
    assert threads == [False]


async def test_counters_are_shared_through_redis():
    redis_url = REDIS_URL
    first = limits.create_limiter(redis_url, limits.parse_overrides("session_ip=3/3600"))
    second = limits.create_limiter(redis_url, limits.parse_overrides("session_ip=3/3600"))
    await first.start()
    await second.start()
    who = f"test-{threading.get_ident()}-{id(first)}"
    try:
        await limits.hit(first, "session_ip", who)
        await limits.hit(second, "session_ip", who)
        await limits.hit(first, "session_ip", who)
        with pytest.raises(limits.TooManyRequests):
            await limits.hit(second, "session_ip", who)
        await first.lock(f"account:{who}", 30)
        assert 0 < await second.locked_for(f"account:{who}") <= 30
        await second.reset(f"account:{who}")
        assert await first.locked_for(f"account:{who}") == 0
    finally:
        await first.close()
        await second.close()


def test_bad_overrides_are_refused():
    for bad in ("nope=1/2", "session_ip=x/60", "session_ip=5"):
        with pytest.raises(ValueError):
            limits.parse_overrides(bad)
    assert limits.parse_overrides("session_ip=5/10")["session_ip"].hits == 5


async def test_a_socket_flood_is_closed(client, new_chat):
    chat = await new_chat()
    ws = await client.ws_connect(f"/api/chat/sessions/{chat.session_id}/ws?token={chat.token}")
    assert (await ws.receive_json())["type"] == "status"
    for _ in range(100):
        await ws.send_str("ping")
    closed = None
    for _ in range(200):
        message = await asyncio.wait_for(ws.receive(), 5)
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            closed = message
            break
    assert closed is not None and ws.close_code == 1008
