"""The internal API the actions call."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ticketing.models import Rating

from .conftest import INTERNAL_TOKEN, count_rows, verified

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


@pytest.fixture
async def orders_seeded(hub):
    from ticketing import demo

    async with hub.sessions() as db, db.begin():
        await demo.seed_orders(db)


async def test_order_lookup(client, orders_seeded):
    """Issue 11: an order's details need its e-mail address (or a verified identity)."""
    url = "/internal/orders/nw 104233"
    response = await client.get(url, params={"email": "Ann@Example.com "}, headers=AUTH)
    assert response.status == 200
    order = await response.json()
    assert order["number"] == "NW-104233" and order["status"] == "in_transit"
    assert order["carrier"] == "DPD" and order["tracking_number"] == "DPD-0923471"
    assert order["tracking_url"].endswith("DPD-0923471") and order["expected_delivery"]
    # without the e-mail address a known and an unknown number answer alike
    for number in ("NW-104233", "NW-999999"):
        refused = await client.get(f"/internal/orders/{number}", headers=AUTH)
        assert refused.status == 403
        error = (await refused.json())["error"]
        assert error["code"] == "verification_required" and "DPD" not in str(error)
    # a wrong e-mail address and an unknown number answer alike too
    for number, email in (("NW-104233", "bob@example.com"), ("NW-999999", "ann@example.com")):
        missing = await client.get(
            f"/internal/orders/{number}", params={"email": email}, headers=AUTH
        )
        assert missing.status == 404, number
    assert (await client.get("/internal/orders/12345", headers=AUTH)).status == 422


async def test_order_lookup_for_a_verified_customer(client, new_chat, orders_seeded):
    ann = await new_chat(customer=verified("ann@example.com"))
    own = await client.get(
        "/internal/orders/NW-104233", params={"session_id": ann.session_id}, headers=AUTH
    )
    assert own.status == 200 and (await own.json())["tracking_number"] == "DPD-0923471"
    # a claimed (typed) e-mail address is no identity; a verified one opens only its orders
    claimed = await new_chat(customer={"email": "ann@example.com"})
    bob = await new_chat(customer=verified("bob@example.com"))
    for chat in (claimed, bob):
        refused = await client.get(
            "/internal/orders/NW-104233", params={"session_id": chat.session_id}, headers=AUTH
        )
        assert refused.status == 403


@pytest.mark.parametrize("forged_hash", ["0" * 64, "ä" * 64, "\ud83d"])
async def test_a_user_hash_that_does_not_match_is_refused(client, hub, forged_hash):
    forged = {"email": "ann@example.com", "user_hash": forged_hash}
    response = await client.post("/api/chat/sessions", json={"customer": forged})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "identity_invalid"
    assert await count_rows(hub, "conversations") == 0


async def test_availability_is_honest(client, make_staff):
    body = await (await client.get("/internal/availability", headers=AUTH)).json()
    assert body["agents_online"] == 0 and body["expected_wait_minutes"] is None
    assert body["offline_first_response_due_at"] and body["timezone"] == "Europe/London"
    await make_staff("dana@example.com")  # signing in sets presence online
    body = await (await client.get("/internal/availability", headers=AUTH)).json()
    assert body["agents_online"] == 1
    if body["open"]:
        assert body["expected_wait_minutes"] >= 1 and body["next_open"] is None
    else:
        assert body["next_open"] is not None


async def test_complaint_is_filed_with_its_record(client, new_chat, hub, orders_seeded):
    chat = await new_chat(customer=verified("ann@example.com"))
    response = await client.post(
        "/internal/complaints",
        json={
            "session_id": chat.session_id,
            "category": "quality",
            "description": "The lamp arrived with a cracked base.",
            "order_number": "nw104233",
            "emotion": "frustrated",
        },
        headers=AUTH,
    )
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["category"] == "quality" and body["stage"] == "verified"
    assert body["order"]["number"] == "NW-104233"
    # Ann is VIP in the demo data: quality starts at P2, VIP raises it to P1.
    assert body["priority"] == "P1" and body["ticket"]["priority"] == "P1"
    assert body["first_response_minutes"] == 30 and body["first_response_due_at"]
    # the customer keeps chatting with the bot while the complaint is investigated
    assert (await chat.state())["status"] == "bot"
    async with hub.engine.connect() as connection:
        from sqlalchemy import text

        row = (
            await connection.execute(
                text(
                    "SELECT c.category, c.order_number, c.emotion, t.kind, t.reason, cu.dispute "
                    "FROM complaints c JOIN tickets t ON t.id = c.ticket_id "
                    "JOIN customers cu ON cu.id = t.customer_id"
                )
            )
        ).one()
    assert tuple(row) == ("quality", "NW-104233", "frustrated", "complaint", "complaint", True)


@pytest.mark.parametrize(
    "body",
    [
        {"category": "bad", "description": "x"},
        {"category": "quality", "description": " "},
        {"category": "quality", "description": "x", "order_number": "ABC"},
        {"category": "quality", "description": "x", "email": "no-at-sign"},
        {"category": "quality", "description": "x", "emotion": "furious"},
    ],
)
async def test_bad_complaints_change_nothing(client, new_chat, hub, body):
    chat = await new_chat()
    response = await client.post(
        "/internal/complaints", json={"session_id": chat.session_id, **body}, headers=AUTH
    )
    assert response.status == 422
    assert await count_rows(hub, "tickets") == 0 and await count_rows(hub, "complaints") == 0


@pytest.mark.parametrize(
    "category, description, emotion, vip, expected",
    [
        ("other", "the colour is not what I expected", None, False, "P3"),
        ("need_not_met", "I wanted gift wrapping", None, False, "P3"),
        ("quality", "the handle broke", None, False, "P2"),
        ("quality", "the handle broke", "angry", False, "P1"),
        ("other", "meh", "angry", True, "P1"),
        ("other", "the charger caught fire", None, False, "P1"),
        ("staff_attitude", "rude on the phone", None, True, "P1"),
    ],
)
def test_complaint_priority(category, description, emotion, vip, expected):
    from ticketing.complaints import priority_for

    assert priority_for(category, description, emotion, vip) == expected


async def test_ticket_status_only_for_its_customer(client, new_chat):
    mine, other = await new_chat(), await new_chat()
    number = (
        await (
            await client.post(
                "/internal/complaints",
                json={"session_id": mine.session_id, "category": "other", "description": "late"},
                headers=AUTH,
            )
        ).json()
    )["ticket"]["number"]
    response = await client.get(
        f"/internal/tickets/{number}?session_id={mine.session_id}", headers=AUTH
    )
    assert response.status == 200
    body = await response.json()
    assert body["kind"] == "complaint" and body["stage"] == "received" and body["assigned"] is False
    response = await client.get(
        f"/internal/tickets/{number}?session_id={other.session_id}", headers=AUTH
    )
    assert response.status == 403
    response = await client.get(
        f"/internal/tickets/T-999999?session_id={mine.session_id}", headers=AUTH
    )
    assert response.status == 404


async def test_survey_answers_are_stored_as_they_come(client, new_chat, hub, make_staff):
    chat = await new_chat()
    info = await (
        await client.get(f"/internal/conversations/{chat.session_id}", headers=AUTH)
    ).json()
    assert info["survey"] == {
        "offered": False, "answered": False, "skipped": False, "stage": "bot",
        "about": "service", "ticket": None, "agent": None,
    }  # fmt: skip
    url = f"/internal/conversations/{chat.session_id}/rating"
    first = await (await client.post(url, json={"csat": "4"}, headers=AUTH)).json()
    assert first["created"] is True and first["rating"]["csat"] == 4
    async with hub.sessions() as db:
        stored = (await db.execute(select(Rating))).scalar_one()
        assert stored.updated_at == stored.created_at  # one instant, not updated before made
    second = await (await client.post(url, json={"resolved": True}, headers=AUTH)).json()
    assert second["created"] is False
    assert second["rating"]["csat"] == 4 and second["rating"]["resolved"] is True
    for bad in ({"csat": 6}, {"csat": True}, {"resolved": "yes"}, {"mood": 1}, {}):
        assert (await client.post(url, json=bad, headers=AUTH)).status == 422
    assert await count_rows(hub, "ratings") == 1
    info = await (
        await client.get(f"/internal/conversations/{chat.session_id}", headers=AUTH)
    ).json()
    assert info["survey"]["answered"] is True and info["survey"]["offered"] is True


async def test_survey_after_an_agent_rates_the_agent(client, new_chat, hub, make_staff):
    dana = await make_staff("dana@example.com", name="Dana")
    chat = await new_chat()
    number = await client.post(
        f"/internal/conversations/{chat.session_id}/handoff", json={}, headers=AUTH
    )
    number = (await number.json())["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    await dana.post(f"/api/tickets/{number}/resolve", {"resolution": "sorted"})
    await client.post(f"/internal/conversations/{chat.session_id}/survey-offered", headers=AUTH)
    info = await (
        await client.get(f"/internal/conversations/{chat.session_id}", headers=AUTH)
    ).json()
    assert info["survey"]["stage"] == "human" and info["survey"]["agent"] == "Dana"
    assert info["survey"]["offered"] is True and info["survey"]["answered"] is False
    url = f"/internal/conversations/{chat.session_id}/rating"
    await client.post(
        url, json={"csat": 5, "speed": 4, "problem_solving": 5, "attitude": 5}, headers=AUTH
    )
    detail = await dana.get(f"/api/tickets/{number}")
    assert detail["rating"]["csat"] == 5 and detail["rating"]["agent_id"] == dana.user["id"]
    assert "rating" in [e["kind"] for e in detail["timeline"]]


async def test_attach_customer(client, new_chat, hub):
    chat = await new_chat()
    url = f"/internal/conversations/{chat.session_id}/customer"
    response = await client.post(
        url, json={"email": "Zoe@Example.com", "name": "Zoe"}, headers=AUTH
    )
    assert response.status == 200
    attached = (await response.json())["customer"]
    assert attached == {"email": "zoe@example.com", "name": "Zoe", "verified": False}
    assert await count_rows(hub, "customers") == 0  # a claim opens no profile
    assert (await client.post(url, json={"email": "nope"}, headers=AUTH)).status == 422
    info = await (
        await client.get(f"/internal/conversations/{chat.session_id}", headers=AUTH)
    ).json()
    assert info["customer"]["email"] == "zoe@example.com"
