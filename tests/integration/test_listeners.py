"""The internal API has a listener of its own, on loopback: the public port doesn't serve it."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest

from ticketing.web.app import start

from .conftest import INTERNAL_TOKEN, unused_port


@pytest.fixture
async def hub_ports(settings):
    public, internal = unused_port(), unused_port()
    runner = await start(replace(settings, internal_port=internal), "127.0.0.1", public)
    try:
        yield f"http://127.0.0.1:{public}", f"http://127.0.0.1:{internal}"
    finally:
        await runner.cleanup()


async def test_internal_api_only_on_its_own_listener(hub_ports):
    public, internal = hub_ports
    token = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{public}/internal/availability", headers=token) as response:
            assert response.status == 404
            assert (await response.json())["error"]["code"] == "not_found"
        async with http.get(f"{internal}/internal/availability", headers=token) as response:
            assert response.status == 200
            assert "agents_online" in await response.json()
        async with http.get(f"{internal}/internal/availability") as response:
            assert response.status == 401
        # the public API still answers on the public port
        async with http.post(f"{public}/api/chat/sessions", json={}) as response:
            assert response.status == 201


def test_the_internal_listener_must_not_be_the_public_port(settings):
    import asyncio

    with pytest.raises(SystemExit):
        asyncio.run(start(replace(settings, internal_port=9999), "127.0.0.1", 9999))
