"""Round-robin auto-assignment to online agents under capacity (AUTO_ASSIGN=true)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ticketing.web.app import init_app

from .conftest import INTERNAL_TOKEN, PASSWORD

AUTH = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}


@pytest.fixture
async def auto_client(aiohttp_client, settings):
    return await aiohttp_client(init_app(replace(settings, auto_assign=True, worker_interval=0)))


async def _agent(client, email, capacity=2, teams=("general",)):
    from ticketing.staff import create_user
    from ticketing.web.keys import HUB

    async with client.app[HUB].sessions() as db, db.begin():
        await create_user(
            db,
            email,
            PASSWORD,
            name=email.split("@")[0].title(),
            teams=list(teams),
            capacity=capacity,
        )
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status == 200  # signing in makes the agent online
    client.session.cookie_jar.clear()


async def _handoff(client) -> dict:
    session = await (await client.post("/api/chat/sessions", json={})).json()
    response = await client.post(
        f"/internal/conversations/{session['session_id']}/handoff", json={}, headers=AUTH
    )
    body = await response.json()
    state = await client.get(
        f"/api/chat/sessions/{session['session_id']}",
        headers={"Authorization": f"Bearer {session['token']}"},
    )
    return {**body, "state": await state.json()}


async def test_round_robin_until_capacity(auto_client):
    await _agent(auto_client, "ana@example.com", capacity=2)
    await _agent(auto_client, "ben@example.com", capacity=1)
    await _agent(auto_client, "cal@example.com", capacity=2, teams=("billing",))  # other team
    results = [await _handoff(auto_client) for _ in range(4)]
    assignees = [r["state"]["status"] for r in results]
    # ana, ben, ana: then both are full and the fourth waits in the queue
    assert assignees == ["agent", "agent", "agent", "queued"]
    assert results[3]["queue_position"] == 1
    from sqlalchemy import text

    from ticketing.web.keys import HUB

    async with auto_client.app[HUB].engine.connect() as connection:
        rows = (
            (
                await connection.execute(
                    text(
                        "SELECT u.email FROM tickets t JOIN users u ON u.id = t.assignee_id "
                        "ORDER BY t.id"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert rows == ["ana@example.com", "ben@example.com", "ana@example.com"]


async def test_without_auto_assign_tickets_wait(client, make_staff):
    await make_staff("ana@example.com")
    session = await (await client.post("/api/chat/sessions", json={})).json()
    body = await (
        await client.post(
            f"/internal/conversations/{session['session_id']}/handoff", json={}, headers=AUTH
        )
    ).json()
    assert body["queue_position"] == 1


async def test_worker_assigns_waiting_tickets_when_an_agent_comes_online(auto_client):
    from ticketing.services.background import tick
    from ticketing.web.keys import HUB

    waiting = await _handoff(auto_client)
    assert waiting["state"]["status"] == "queued"
    await _agent(auto_client, "ana@example.com")
    result = await tick(auto_client.app[HUB])
    assert result.assigned == 1
    session_id = waiting["state"]["session_id"]
    from sqlalchemy import text

    async with auto_client.app[HUB].engine.connect() as connection:
        status = (
            await connection.execute(
                text("SELECT status FROM conversations WHERE public_id = :p"), {"p": session_id}
            )
        ).scalar_one()
    assert status == "agent"
