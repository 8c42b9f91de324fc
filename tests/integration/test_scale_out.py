"""Two hub instances behind a load balancer share live events through Redis pub/sub."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace

import pytest

from ticketing.web.app import init_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def two_hubs(aiohttp_client, settings):
    # A private channel prefix per test keeps parallel runs apart.
    from ticketing import bus

    prefix = f"helpdesk-test-{uuid.uuid4().hex[:8]}:"
    original = bus.RedisBus.PREFIX
    bus.RedisBus.PREFIX = prefix
    shared = replace(settings, redis_url=REDIS_URL)
    try:
        first = await aiohttp_client(init_app(shared))
        second = await aiohttp_client(init_app(shared))
        yield first, second
    finally:
        bus.RedisBus.PREFIX = original


async def test_a_message_posted_on_one_instance_reaches_a_socket_on_the_other(two_hubs):
    first, second = two_hubs
    created = await (await first.post("/api/chat/sessions", json={})).json()
    session_id, token = created["session_id"], created["token"]
    ws = await first.ws_connect(f"/api/chat/sessions/{session_id}/ws?token={token}")
    assert (await ws.receive_json(timeout=5))["type"] == "status"
    response = await second.post(
        f"/api/chat/sessions/{session_id}/messages",
        json={"text": "sent through the other instance"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200
    event = await ws.receive_json(timeout=5)
    assert event["type"] == "message"
    assert event["message"]["text"] == "sent through the other instance"
    await ws.close()
