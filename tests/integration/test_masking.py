"""Masking by role, everywhere (issue 12): one parametrised walk over every staff route.

A customer with a known name, e-mail address, phone number and street address chats, is handed
off, files a complaint, rates with a comment and has staff notes on the profile. With
``MASK_PII_FOR_SUPERVISORS`` on, no answer of any GET route a supervisor may call (every JSON
route of the staff API and every CSV export, listed from the route table, so a new route is
checked without anyone adding it here) holds any of it; an admin's and the ticket's agent's
answers do, which shows the fixture really holds the data.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ticketing.models import Message
from ticketing.privacy.masking import mask_json, mask_text
from ticketing.web.app import init_app

from .conftest import INTERNAL_TOKEN, hand_off, verified
from .test_authorization import POLICY, route_table

NAME = "Quentin Zephyrine"
EMAIL = "quentin.zephyrine@example.com"
PHONE = "07700 900777"
STREET = "14 Elm Road"
POSTCODE = "SW1A 1AA"
SECRETS = (NAME, "Quentin", "Zephyrine", EMAIL, "quentin.zephyrine", PHONE, "900777", STREET)
SUPERVISOR_POLICIES = {"staff", "team", "team_hidden", "supervisor"}
# routes whose answer is not the hub's data (a socket, the API description)
NOT_DATA = {
    "/api/agent/ws",
    "/api/openapi.json",
    # help-centre articles by id: what staff wrote for the public (the article list, the
    # search and the report of customers' questions are checked)
    "/api/kb/articles/{id}",
    "/api/kb/articles/{id}/versions",
    "/api/kb/articles/{id}/versions/{version}",
}


@pytest.fixture
async def client(aiohttp_client, settings):
    return await aiohttp_client(init_app(replace(settings, mask_pii_for_supervisors=True)))


@pytest.fixture
async def world(client, hub, new_chat, make_staff):
    chat = await new_chat(customer=verified(EMAIL, NAME))
    await chat.send(f"I'm {NAME}, {STREET}, London {POSTCODE}; call {PHONE} or {EMAIL}")
    handed = await hand_off(client, chat)
    number = handed["ticket"]["number"]
    internal = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    complaint = await client.post(
        "/internal/complaints",
        json={
            "session_id": chat.session_id,
            "category": "staff_attitude",
            "description": f"{NAME} says the courier was rude at {STREET}",
        },
        headers=internal,
    )
    assert complaint.status == 201, await complaint.text()
    rated = await client.post(
        f"/internal/conversations/{chat.session_id}/rating",
        json={"csat": 1, "resolved": False, "comment": f"call me on {PHONE}"},
        headers=internal,
    )
    assert rated.status == 200
    admin = await make_staff("admin@example.com", role="admin")
    supervisor = await make_staff("sup@example.com", role="supervisor")
    ticket = await admin.get(f"/api/tickets/{number}")
    agent = await make_staff("agent@example.com", teams=[ticket["ticket"]["team"]["key"]])
    await agent.post(f"/api/tickets/{number}/claim")
    await agent.post(f"/api/tickets/{number}/notes", {"text": f"{NAME} prefers {PHONE}"}, 201)
    customer_id = ticket["customer"]["id"]
    await supervisor.patch(
        f"/api/customers/{customer_id}", {"phone": PHONE, "notes": f"lives at {STREET}"}
    )
    async with hub.sessions() as db:
        from sqlalchemy import select

        message_id = await db.scalar(select(Message.id).where(Message.sender == "customer"))
    await supervisor.post(
        "/api/nlu/labels", {"message_ids": [message_id], "label": "out_of_scope"}, 201
    )
    action = await supervisor.post(
        "/api/improvement-actions",
        {
            "title": "Courier training",
            "department": "Logistics",
            "owner": "Dana",
            "due_date": "2030-01-01",
            "acceptance_criteria": "fewer attitude complaints",
        },
        expect=201,
    )
    return {
        "values": {
            "session_id": chat.session_id,
            "number": number,
            "customer_id": str(customer_id),
            "id": str(action["id"]),
        },
        "admin": admin,
        "supervisor": supervisor,
        "agent": agent,
    }


def _get_routes(client) -> list[str]:
    return [
        template
        for method, template in route_table(client.app)
        if method == "GET"
        and template.startswith("/api/")
        and not template.startswith("/api/chat/")
        and template not in NOT_DATA
        and POLICY[(method, template)] in SUPERVISOR_POLICIES
    ]


async def _body(client, staff, template: str, values: dict) -> str:
    path = template.format(**values)
    query = "?threshold=1" if path.startswith("/api/nlu/review") else ""  # every message
    query = "?q=order" if path.startswith("/api/kb/search") else query
    response = await client.get(path + query, headers=staff.headers(write=False))
    assert response.status == 200, f"{path}: {response.status} {await response.text()}"
    return await response.text()


async def test_no_route_shows_a_masked_supervisor_personal_data(client, world):
    routes = _get_routes(client)
    assert len(routes) > 25 and "/api/conversations/{session_id}" in routes
    leaks = {}
    for template in routes:
        body = await _body(client, world["supervisor"], template, world["values"])
        found = [secret for secret in SECRETS if secret.lower() in body.lower()]
        if found:
            leaks[template] = found
    assert leaks == {}, "\n".join(f"{k}: {v}" for k, v in leaks.items())


@pytest.mark.parametrize("who", ["admin", "agent"])
async def test_admins_and_the_tickets_agent_see_the_data(client, world, who):
    staff = world[who]
    ticket = await _body(client, staff, "/api/tickets/{number}", world["values"])
    profile = await _body(client, staff, "/api/customers/{customer_id}", world["values"])
    for body in (ticket, profile):
        assert NAME in body and EMAIL in body
    assert PHONE in profile and STREET in profile


def test_free_text_masking_finds_contact_details_cards_orders_and_addresses():
    text = (
        f"{NAME} at {STREET}, London {POSTCODE}: order NW-104233, card 4111 1111 1111 1111,"
        f" phone {PHONE}, mail {EMAIL}"
    )
    masked = mask_text(text)
    for secret in (STREET, POSTCODE, "104233", "4111", PHONE, EMAIL):
        assert secret not in masked, secret
    assert "q****************@example.com" in masked and "[address]" in masked
    # structure and times stay; a customer's fields are masked, a staff member's are not
    data = {
        "created_at": "2026-12-02T05:43:03+00:00",
        "customer": {"name": NAME, "email": EMAIL, "phone": PHONE},
        "assignee": {"name": "Dana Agent"},
        "messages": [{"text": f"call {PHONE}", "id": 12345678}],
    }
    assert mask_json(data) == {
        "created_at": "2026-12-02T05:43:03+00:00",
        "customer": {
            "name": "Q****** Z********",
            "email": "q****************@example.com",
            "phone": "##### ######",
        },  # fmt: skip
        "assignee": {"name": "Dana Agent"},
        "messages": [{"text": "call ##### ######", "id": 12345678}],
    }


async def test_a_masked_supervisors_live_events_are_masked(client, world, new_chat):
    chat = await new_chat(customer=verified(EMAIL, NAME))
    await hand_off(client, chat)
    sockets = {}
    for who in ("supervisor", "admin"):
        sockets[who] = await client.ws_connect(
            "/api/agent/ws", headers=world[who].headers(write=False)
        )
    await chat.send(f"it's me again, {PHONE}, {EMAIL}")

    async def first_customer_message(ws) -> str:
        while True:
            event = await ws.receive_json(timeout=5)
            if event.get("type") == "customer_message":
                return event["message"]["text"]

    masked = await first_customer_message(sockets["supervisor"])
    assert PHONE not in masked and EMAIL not in masked and "##### ######" in masked
    assert await first_customer_message(sockets["admin"]) == f"it's me again, {PHONE}, {EMAIL}"
    for ws in sockets.values():
        await ws.close()


async def test_a_supervisor_lifts_the_masking_of_one_answer_with_a_reason(client, world):
    supervisor, admin = world["supervisor"], world["admin"]
    path = "/api/conversations/{session_id}".format(**world["values"])
    assert EMAIL not in await _body(client, supervisor, path, {})
    for bad in ("", "no", "x" * 201):
        await supervisor.get(f"{path}?unmask={bad}", expect=422)
    whole = await supervisor.get(f"{path}?unmask=customer asked for a call back")
    assert EMAIL in str(whole) and NAME in str(whole)
    assert EMAIL not in await _body(client, supervisor, path, {})  # one answer only
    log = await admin.get("/api/audit?action=masking.lifted")
    [entry] = log["entries"]
    assert (entry["actor"], entry["target"]) == ("sup@example.com", path)
    assert entry["detail"] == {"reason": "customer asked for a call back"}
