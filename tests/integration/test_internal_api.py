"""The internal API the actions call."""

from __future__ import annotations

import pytest

from .conftest import INTERNAL_TOKEN, count_rows

AUTH = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}


async def test_internal_api_needs_the_shared_secret(new_chat, client, hub):
    chat = await new_chat()
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Bearer {chat.token}"},
    ):
        response = await client.post(
            f"/internal/conversations/{chat.session_id}/handoff", json={}, headers=headers
        )
        assert response.status == 401
    assert await count_rows(hub, "tickets") == 0


async def test_handoff_creates_one_ticket_and_queues(new_chat, client, hub):
    chat = await new_chat()
    response = await client.post(
        f"/internal/conversations/{chat.session_id}/handoff",
        json={"reason": "fallback"},
        headers=AUTH,
    )
    assert response.status == 201
    body = await response.json()
    assert body["ticket"]["number"] == "T-000001"
    assert body["created"] is True and body["queue_position"] == 1
    again = await client.post(
        f"/internal/conversations/{chat.session_id}/handoff",
        json={"reason": "requested"},
        headers=AUTH,
    )
    assert again.status == 200
    assert (await again.json())["ticket"]["number"] == "T-000001"
    assert await count_rows(hub, "tickets") == 1
    assert (await chat.state())["status"] == "queued"

    second = await new_chat()
    response = await client.post(
        f"/internal/conversations/{second.session_id}/handoff",
        json={"reason": "requested"},
        headers=AUTH,
    )
    assert (await response.json())["queue_position"] == 2
    urgent = await new_chat()
    response = await client.post(
        f"/internal/conversations/{urgent.session_id}/handoff",
        json={"reason": "sentiment", "priority": "P1"},
        headers=AUTH,
    )
    assert (await response.json())["queue_position"] == 1
    assert (await chat.state())["queue_position"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "because"},
        {"reason": "requested", "priority": "P9"},
        {"reason": "requested", "kind": "x"},
    ],
)
async def test_handoff_rejects_bad_values(new_chat, client, hub, body):
    chat = await new_chat()
    response = await client.post(
        f"/internal/conversations/{chat.session_id}/handoff", json=body, headers=AUTH
    )
    assert response.status == 422
    assert await count_rows(hub, "tickets") == 0
    assert (await chat.state())["status"] == "bot"


async def test_handoff_of_unknown_conversation_is_404(client):
    response = await client.post("/internal/conversations/nope/handoff", json={}, headers=AUTH)
    assert response.status == 404


async def test_health_reports_database_and_rasa(client):
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "degraded", "database": "ok", "rasa": "unreachable"}


async def test_openapi_document_lists_the_chat_api(client):
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    paths = (await response.json())["paths"]
    assert "/api/chat/sessions" in paths
    assert "/api/chat/sessions/{session_id}/messages" in paths
