"""Only the hub's public listener faces the customer: the internal API, Rasa's HTTP API and
its channels answer nobody who lacks their secret (docs/security.md)."""

from __future__ import annotations

import aiohttp
import pytest

pytestmark = pytest.mark.e2e


async def status_of(method: str, url: str, **kwargs) -> int:
    async with aiohttp.ClientSession() as http:
        async with http.request(method, url, **kwargs) as response:
            return response.status


async def test_rasa_refuses_calls_without_its_token(running):
    tracker = f"{running.rasa_url}/conversations/someone/tracker"
    assert await status_of("GET", tracker) == 401
    assert await status_of("GET", tracker, params={"token": "wrong"}) == 401
    assert await status_of("GET", tracker, params={"token": running.rasa_token}) == 200
    assert await status_of("POST", f"{running.rasa_url}/model/parse", json={"text": "hi"}) == 401


async def test_the_hub_channel_wants_the_token_and_the_rest_channel_is_off(running):
    body = {"sender": "probe", "message": "where is my order NW-104233"}
    hub_channel = f"{running.rasa_url}/webhooks/hub/webhook"
    assert await status_of("POST", hub_channel, json=body) == 401
    headers = {"Authorization": f"Bearer {running.rasa_token}"}
    assert await status_of("POST", hub_channel, json=body, headers=headers) == 200
    assert await status_of("POST", f"{running.rasa_url}/webhooks/rest/webhook", json=body) == 404


async def test_the_internal_api_is_not_on_the_public_port(running):
    token = {"Authorization": f"Bearer {running.internal_token}"}
    public = f"{running.hub_url}/internal/availability"
    internal = f"{running.hub_internal_url}/internal/availability"
    assert await status_of("GET", public, headers=token) == 404
    assert await status_of("GET", internal, headers=token) == 200
    assert await status_of("GET", internal) == 401


async def test_a_card_number_never_reaches_rasas_tracker(customer, running):
    """Issue 12: the hub takes secrets out before Rasa sees the message (and keeps them out of
    its own database)."""
    messages = await customer.say("can I pay with 4111 1111 1111 1111 and cvv 123 please")
    texts = [m["text"] for m in messages]
    assert "can I pay with [card number removed] and cvv [security code removed] please" in texts
    assert any("never send" in text for text in texts)
    async with aiohttp.ClientSession() as http:
        url = f"{running.rasa_url}/conversations/{customer.session_id}/tracker"
        async with http.get(url, params={"token": running.rasa_token}) as response:
            assert response.status == 200
            tracker = await response.text()
    assert "[card number removed]" in tracker  # the turn is there, without the secrets
    assert "4111" not in tracker and "cvv 123" not in tracker
