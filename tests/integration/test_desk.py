"""The agent desk through the staff API: sign-in, queue, claim, chat, notes, resolve, ..."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import PASSWORD, count_rows, hand_off, verified


async def test_login_errors_and_me(client, make_staff):
    dana = await make_staff("dana@example.com", name="Dana")
    assert dana.user["name"] == "Dana" and dana.user["role"] == "agent"
    for body in (
        {"email": "dana@example.com", "password": "wrong-pass"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ):
        response = await client.post("/api/auth/login", json=body)
        assert response.status == 401
        assert (await response.json())["error"] == {
            "code": "invalid_credentials",
            "message": "e-mail or password is not correct",
        }
    response = await client.post("/api/auth/login", json={"email": "dana@example.com"})
    assert response.status == 422
    client.session.cookie_jar.clear()
    assert (await client.get("/api/auth/me")).status == 401
    me = await dana.get("/api/auth/me")
    assert me["user"]["email"] == "dana@example.com" and me["csrf_token"] == dana.csrf
    assert set(me["user"]["teams"]) >= {"general", "billing"}


async def test_cookie_writes_need_the_csrf_token(client, new_chat, make_staff, hub):
    dana = await make_staff("dana@example.com")
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]
    for headers in (
        dana.headers(write=False),
        {**dana.headers(write=False), "X-CSRF-Token": "nope"},
    ):
        response = await client.post(f"/api/tickets/{number}/claim", headers=headers)
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "csrf"
    detail = await dana.get(f"/api/tickets/{number}")
    assert detail["ticket"]["assignee"] is None and detail["ticket"]["status"] == "new"


async def test_logout_ends_the_session(client, make_staff):
    dana = await make_staff("dana@example.com")
    await dana.post("/api/auth/logout")
    response = await client.get("/api/queue", headers=dana.headers(write=False))
    assert response.status == 401


async def test_full_conversation_with_an_agent(client, new_chat, make_staff, hub):
    dana = await make_staff("dana@example.com", name="Dana")
    chat = await new_chat(customer={"name": "Ann", "email": "ann@example.com"})
    await chat.send("my parcel is lost")
    handoff = await hand_off(client, chat)
    number = handoff["ticket"]["number"]

    queue = await dana.get("/api/queue")
    assert [t["number"] for t in queue["tickets"]] == [number]
    assert queue["tickets"][0]["position"] == 1
    assert queue["tickets"][0]["last_customer_message"]["text"] == "my parcel is lost"

    detail = await dana.post(f"/api/tickets/{number}/claim")
    assert detail["ticket"]["status"] == "open"
    assert detail["ticket"]["assignee"]["name"] == "Dana"
    assert detail["customer"]["email"] == "ann@example.com"
    state = await chat.state()
    assert state["status"] == "agent"
    assert (await chat.messages())[-1]["text"] == "Dana from support has joined the chat."

    # the customer writes: stored, no bot answer, visible to the agent
    body = await chat.send("hello Dana")
    assert [m["sender"] for m in body["messages"]] == ["customer"]
    reply = await dana.post(
        f"/api/tickets/{number}/messages",
        {"text": "Hi Ann, let me check.", "buttons": [{"title": "Yes", "payload": "yes"}]},
        expect=201,
    )
    assert reply["message"]["sender"] == "agent"
    seen = (await chat.messages())[-1]
    assert seen["sender"] == "agent" and seen["text"] == "Hi Ann, let me check."
    assert seen["buttons"] == [{"title": "Yes", "payload": "yes"}]

    note = await dana.post(
        f"/api/tickets/{number}/notes", {"text": "carrier says delivered"}, expect=201
    )
    assert note["kind"] == "note" and note["actor"] == "Dana"
    assert all("carrier says" not in m["text"] for m in await chat.messages())

    detail = await dana.get(f"/api/tickets/{number}")
    assert detail["ticket"]["first_response_at"] is not None
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds[:2] == ["created", "assigned"] and "note" in kinds and "message" in kinds
    assert [n["data"]["text"] for n in detail["notes"]] == ["carrier says delivered"]
    customer_turns = [m for m in detail["conversation"]["messages"] if m["sender"] == "customer"]
    assert [m["text"] for m in customer_turns] == ["my parcel is lost", "hello Dana"]
    assert "intent" in customer_turns[0] and "confidence" in customer_turns[0]

    resolved = await dana.post(
        f"/api/tickets/{number}/resolve", {"resolution": "We re-sent your parcel."}
    )
    assert resolved["ticket"]["status"] == "resolved"
    state = await chat.state()
    assert state["status"] == "bot" and state["ticket"]["status"] == "resolved"
    texts = [m["text"] for m in await chat.messages()]
    assert "We re-sent your parcel." in texts


async def test_second_agent_gets_409_and_nothing_changes(client, new_chat, make_staff):
    dana = await make_staff("dana@example.com", name="Dana")
    ben = await make_staff("ben@example.com", name="Ben")
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    error = (await ben.post(f"/api/tickets/{number}/claim", expect=409))["error"]
    assert error["code"] == "conflict" and "Dana" in error["message"]
    detail = await ben.get(f"/api/tickets/{number}")
    assert detail["ticket"]["assignee"]["name"] == "Dana"
    assert [e["kind"] for e in detail["timeline"]].count("assigned") == 1
    # acting as owner is refused too
    await ben.post(f"/api/tickets/{number}/messages", {"text": "hi"}, expect=409)
    await ben.post(f"/api/tickets/{number}/resolve", {"resolution": "x"}, expect=409)
    # claiming again by the owner is harmless
    await dana.post(f"/api/tickets/{number}/claim")


async def test_unknown_ticket_and_other_team(client, new_chat, make_staff, hub):
    billing_only = await make_staff("bill@example.com", teams=["billing"])
    await billing_only.get("/api/tickets/T-999999", expect=404)
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]  # general team
    assert (await billing_only.get(f"/api/tickets/{number}", expect=403))["error"][
        "code"
    ] == "forbidden"
    await billing_only.post(f"/api/tickets/{number}/claim", expect=403)
    assert (await billing_only.get("/api/queue"))["tickets"] == []
    async with hub.engine.connect() as connection:
        from sqlalchemy import text

        row = (await connection.execute(text("SELECT assignee_id, status FROM tickets"))).one()
    assert tuple(row) == (None, "new")


async def test_invalid_transitions_answer_the_allowed_ones(client, new_chat, make_staff):
    dana = await make_staff("dana@example.com")
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    error = (await dana.post(f"/api/tickets/{number}/status", {"status": "reopened"}, expect=422))[
        "error"
    ]
    assert set(error["allowed"]) == {"pending", "resolved", "closed"}
    await dana.post(f"/api/tickets/{number}/status", {"status": "bogus"}, expect=422)
    await dana.patch(f"/api/tickets/{number}", {"priority": "P7"}, expect=422)
    await dana.patch(f"/api/tickets/{number}", {"colour": "red"}, expect=422)
    await dana.post(f"/api/tickets/{number}/resolve", {"resolution": "  "}, expect=422)
    detail = await dana.get(f"/api/tickets/{number}")
    assert detail["ticket"]["status"] == "open" and detail["ticket"]["priority"] == "P3"
    await dana.post(f"/api/tickets/{number}/resolve", {"resolution": "done"})
    error = (await dana.post(f"/api/tickets/{number}/status", {"status": "pending"}, expect=422))[
        "error"
    ]
    assert set(error["allowed"]) == {"closed", "reopened"}


async def test_pending_pauses_and_customer_reply_reopens_work(client, new_chat, make_staff):
    dana = await make_staff("dana@example.com")
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    await dana.post(
        f"/api/tickets/{number}/messages", {"text": "Could you send a photo?"}, expect=201
    )
    detail = await dana.post(f"/api/tickets/{number}/status", {"status": "pending"})
    assert detail["ticket"]["status"] == "pending"
    assert detail["ticket"]["sla"]["resolution"]["state"] == "paused"
    await chat.send("here it is")
    detail = await dana.get(f"/api/tickets/{number}")
    assert detail["ticket"]["status"] == "open"
    assert detail["ticket"]["sla"]["resolution"]["state"] in ("ok", "warning")
    assert "next_response" in detail["ticket"]["sla"]


async def test_complaint_resolution_needs_root_cause(client, new_chat, make_staff, hub):
    from sqlalchemy import select

    from ticketing.models import Complaint, Ticket

    dana = await make_staff("dana@example.com")
    chat = await new_chat()
    number = (await hand_off(client, chat, reason="complaint", kind="complaint", priority="P2"))[
        "ticket"
    ]["number"]
    async with hub.sessions() as db, db.begin():
        ticket = (await db.execute(select(Ticket).where(Ticket.number == number))).scalar_one()
        db.add(Complaint(ticket_id=ticket.id, category="quality", description="broken lamp"))
    await dana.post(f"/api/tickets/{number}/claim")
    error = (
        await dana.post(f"/api/tickets/{number}/resolve", {"resolution": "refunded"}, expect=422)
    )["error"]
    assert error["field"] == "root_cause"
    await dana.patch(
        f"/api/tickets/{number}/complaint", {"verification": "photo shows cracked base"}
    )
    detail = await dana.get(f"/api/tickets/{number}")
    assert detail["complaint"]["stage"] == "verified"
    await dana.patch(f"/api/tickets/{number}/complaint", {"stage": "nonsense"}, expect=422)
    detail = await dana.post(
        f"/api/tickets/{number}/resolve",
        {
            "resolution": "refunded",
            "root_cause": "packaging too thin",
            "corrective_action": "new box",
        },
    )
    complaint = detail["complaint"]
    assert (
        complaint["stage"] == "resolved_notified"
        and complaint["root_cause"] == "packaging too thin"
    )
    assert complaint["result_notified_at"] is not None


async def test_transfer_unassign_escalate_and_return_to_bot(client, new_chat, make_staff):
    dana = await make_staff("dana@example.com", name="Dana")
    ben = await make_staff("ben@example.com", name="Ben")
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    detail = await dana.post(f"/api/tickets/{number}/transfer", {"team": "billing"})
    assert detail["ticket"]["team"]["key"] == "billing" and detail["ticket"]["assignee"] is None
    assert detail["ticket"]["status"] == "new" and (await chat.state())["status"] == "queued"
    await dana.post(f"/api/tickets/{number}/transfer", {"team": "nope"}, expect=422)
    detail = await dana.post(f"/api/tickets/{number}/transfer", {"agent_id": ben.user["id"]})
    assert detail["ticket"]["assignee"]["name"] == "Ben"
    assert (await chat.messages())[-1]["text"] == "Ben from support has joined the chat."
    detail = await ben.post(f"/api/tickets/{number}/escalate")
    assert detail["ticket"]["escalated"] is True and detail["ticket"]["team"]["key"] == "complaints"
    assert detail["ticket"]["assignee"] is None  # queued for the dedicated team
    await ben.post(f"/api/tickets/{number}/claim")
    detail = await ben.post(f"/api/tickets/{number}/unassign")
    assert detail["ticket"]["assignee"] is None and (await chat.state())["status"] == "queued"
    await ben.post(f"/api/tickets/{number}/claim")
    await ben.post(f"/api/tickets/{number}/return-to-bot")
    assert (await chat.state())["status"] == "bot"
    kinds = [e["kind"] for e in (await ben.get(f"/api/tickets/{number}"))["timeline"]]
    assert {"transferred", "escalated", "unassigned", "returned_to_bot"} <= set(kinds)


async def test_resolved_ticket_reopens_when_the_customer_comes_back(client, new_chat, make_staff):
    dana = await make_staff("dana@example.com")
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    await dana.post(f"/api/tickets/{number}/resolve", {"resolution": "fixed"})
    again = await hand_off(client, chat)
    assert again["ticket"]["number"] == number and again["ticket"]["status"] == "reopened"
    detail = await dana.get(f"/api/tickets/{number}")
    assert detail["ticket"]["reopened_count"] == 1 and detail["ticket"]["assignee"] is None
    assert (await dana.get("/api/queue"))["tickets"][0]["number"] == number


async def test_capacity_limits_claims(client, new_chat, make_staff):
    solo = await make_staff("solo@example.com", capacity=1)
    numbers = [(await hand_off(client, await new_chat()))["ticket"]["number"] for _ in range(2)]
    await solo.post(f"/api/tickets/{numbers[0]}/claim")
    error = (await solo.post(f"/api/tickets/{numbers[1]}/claim", expect=409))["error"]
    assert error["code"] == "at_capacity"


async def test_vip_customers_are_served_first(client, new_chat, make_staff, hub):
    boss = await make_staff("boss@example.com", role="supervisor")
    first = await new_chat(customer=verified("regular@example.com"))
    urgent = await new_chat(customer=verified("vip@example.com"))
    n1 = (await hand_off(client, first))["ticket"]["number"]
    n2 = (await hand_off(client, urgent))["ticket"]["number"]
    assert [t["number"] for t in (await boss.get("/api/queue"))["tickets"]] == [n1, n2]
    vip_id = (await boss.get(f"/api/tickets/{n2}"))["customer"]["id"]
    await boss.patch(f"/api/customers/{vip_id}", {"vip": True})
    queue = (await boss.get("/api/queue"))["tickets"]
    assert [t["number"] for t in queue] == [n2, n1] and queue[0]["vip"] is True
    assert (await urgent.state())["queue_position"] == 1
    assert (await first.state())["queue_position"] == 2
    await boss.patch(f"/api/customers/{vip_id}", {"vip": "yes"}, expect=422)
    # typing the VIP's e-mail address into the chat is a claim: no VIP routing, no profile
    impostor = await new_chat(customer={"email": "vip@example.com"})
    n3 = (await hand_off(client, impostor))["ticket"]["number"]
    queue = (await boss.get("/api/queue"))["tickets"]
    assert [t["number"] for t in queue] == [n2, n1, n3] and queue[2]["vip"] is False
    claimed = await boss.get(f"/api/tickets/{n3}")
    assert claimed["customer"] == {"name": None, "email": "vip@example.com", "verified": False}
    assert (await urgent.state())["queue_position"] == 1


async def test_role_checks(client, make_staff):
    dana = await make_staff("dana@example.com")
    await dana.patch("/api/customers/1", {"vip": True}, expect=403)
    await dana.post(
        "/api/canned-responses", {"shortcut": "hi", "title": "Hi", "text": "Hello!"}, expect=403
    )
    assert (await client.get("/api/queue")).status == 401


async def test_canned_responses(client, make_staff):
    boss = await make_staff("boss@example.com", role="supervisor")
    dana = await make_staff("dana@example.com")
    created = await boss.post(
        "/api/canned-responses",
        {"shortcut": "/Refund", "title": "Refund", "text": "Refunds take 5 days."},
        expect=201,
    )
    assert created["shortcut"] == "refund"
    await boss.post(
        "/api/canned-responses", {"shortcut": "refund", "title": "x", "text": "y"}, expect=409
    )
    await boss.post(
        "/api/canned-responses", {"shortcut": "bad space", "title": "x", "text": "y"}, expect=422
    )
    listed = await dana.get("/api/canned-responses")
    assert [c["shortcut"] for c in listed["canned_responses"]] == ["refund"]
    await boss.patch(f"/api/canned-responses/{created['id']}", {"text": "Refunds take 5-10 days."})
    assert (await dana.get("/api/canned-responses"))["canned_responses"][0][
        "text"
    ] == "Refunds take 5-10 days."
    await boss.call("DELETE", f"/api/canned-responses/{created['id']}")
    assert (await dana.get("/api/canned-responses"))["canned_responses"] == []


async def test_twenty_agents_claim_one_ticket_one_winner(client, new_chat, make_staff, hub):
    agents = [await make_staff(f"agent{i}@example.com") for i in range(20)]
    number = (await hand_off(client, await new_chat()))["ticket"]["number"]
    responses = await asyncio.gather(
        *(client.post(f"/api/tickets/{number}/claim", headers=a.headers()) for a in agents)
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] + [409] * 19
    assert await count_rows(hub, "ticket_events WHERE kind = 'assigned'") == 1


async def test_fifty_tickets_ten_agents_no_ticket_twice(client, new_chat, make_staff, hub):
    agents = [await make_staff(f"agent{i}@example.com", capacity=50) for i in range(10)]
    numbers = [(await hand_off(client, await new_chat()))["ticket"]["number"] for _ in range(50)]

    async def work(agent):
        won = []
        for number in numbers:
            response = await client.post(f"/api/tickets/{number}/claim", headers=agent.headers())
            if response.status == 200:
                won.append(number)
            else:
                assert response.status == 409
        return won

    results = await asyncio.gather(*(work(a) for a in agents))
    claimed = [n for won in results for n in won]
    assert sorted(claimed) == sorted(numbers)  # none twice, none skipped
    assert await count_rows(hub, "tickets WHERE assignee_id IS NULL") == 0


async def test_sla_scan_flags_breach_and_raises_priority(client, new_chat, make_staff, hub):
    from datetime import timedelta

    from sqlalchemy import select

    from ticketing import tickets
    from ticketing.models import Ticket, utcnow

    dana = await make_staff("dana@example.com")
    number = (await hand_off(client, await new_chat(), priority="P3"))["ticket"]["number"]
    async with hub.sessions() as db, db.begin():
        changes = await tickets.sla_scan(db, hub.shop, now=utcnow() + timedelta(days=30))
    assert changes and changes[0]["state"] == "breached" and changes[0]["priority"] == "P2"
    async with hub.sessions() as db:
        ticket = (await db.execute(select(Ticket).where(Ticket.number == number))).scalar_one()
        assert ticket.breached and ticket.sla_state == "breached" and ticket.priority == "P2"
    detail = await dana.get(f"/api/tickets/{number}")
    kinds = [e["kind"] for e in detail["timeline"]]
    assert "sla_breached" in kinds and "priority_changed" in kinds
    # a second scan does not flag it again
    async with hub.sessions() as db, db.begin():
        assert await tickets.sla_scan(db, hub.shop, now=utcnow() + timedelta(days=30)) == []


async def test_agent_websocket_sees_queue_and_ticket_events(client, new_chat, make_staff):
    dana = await make_staff("dana@example.com", name="Dana")
    ws = await client.ws_connect("/api/agent/ws", headers=dana.headers(write=False))
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]
    event = await ws.receive_json(timeout=5)
    assert event["type"] == "queue_changed"
    await ws.send_json({"type": "subscribe", "ticket": number})
    while (await ws.receive_json(timeout=5))["type"] != "subscribed":
        pass
    await chat.send("are you there?")
    seen = []
    for _ in range(6):
        event = await ws.receive_json(timeout=5)
        seen.append(event["type"])
        if event["type"] == "message" and event["message"]["text"] == "are you there?":
            break
    assert "message" in seen
    await ws.close()


@pytest.mark.parametrize("presence", ["online", "away", "offline"])
async def test_presence(make_staff, presence):
    dana = await make_staff("dana@example.com")
    await dana.post("/api/presence", {"presence": presence})
    agents = (await dana.get("/api/agents"))["agents"]
    assert agents[0]["presence"] == presence
    await dana.post("/api/presence", {"presence": "asleep"}, expect=422)


async def test_typing_reaches_the_other_side(client, new_chat, make_staff):
    dana = await make_staff("dana@example.com", name="Dana")
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    agent_ws = await client.ws_connect("/api/agent/ws", headers=dana.headers(write=False))
    await agent_ws.send_json({"type": "subscribe", "ticket": number})
    while (await agent_ws.receive_json(timeout=5))["type"] != "subscribed":
        pass
    customer_ws = await client.ws_connect(
        f"/api/chat/sessions/{chat.session_id}/ws?token={chat.token}"
    )
    assert (await customer_ws.receive_json(timeout=5))["type"] == "status"

    await customer_ws.send_json({"type": "typing"})
    event = await agent_ws.receive_json(timeout=5)
    while event["type"] != "typing":
        event = await agent_ws.receive_json(timeout=5)
    assert event == {"type": "typing", "sender": "customer", "ticket": number}

    await agent_ws.send_json({"type": "typing", "ticket": number})
    event = await customer_ws.receive_json(timeout=5)
    assert event["type"] == "typing" and event["sender"] == "agent" and event["name"] == "Dana"
    await agent_ws.close()
    await customer_ws.close()


async def test_two_agents_writing_at_once_lose_nothing(client, new_chat, make_staff):
    dana = await make_staff("dana@example.com", name="Dana")
    boss = await make_staff("boss@example.com", role="supervisor", name="Sam")
    chat = await new_chat()
    number = (await hand_off(client, chat))["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    writes = [
        writer.post(
            f"/api/tickets/{number}/messages", {"text": f"{writer.user['name']} {i}"}, expect=201
        )
        for i in range(10)
        for writer in (dana, boss)
    ]
    await asyncio.gather(*writes, chat.send("and the customer too"))
    texts = [m["text"] for m in await chat.messages() if m["sender"] == "agent"]
    assert sorted(texts) == sorted(f"{name} {i}" for i in range(10) for name in ("Dana", "Sam"))
    ids = [m["id"] for m in await chat.messages()]
    assert ids == sorted(ids) and len(ids) == len(set(ids))


async def test_the_queue_says_since_when_its_oldest_ticket_waits(client, new_chat, make_staff):
    dana = await make_staff("dana@example.com")
    older = (await hand_off(client, await new_chat(), priority="P4"))["ticket"]["number"]
    await asyncio.sleep(0.01)
    await hand_off(client, await new_chat(), priority="P1")  # served first, but newer
    queue = await dana.get("/api/queue")
    assert [t["priority"] for t in queue["tickets"]][:2] == ["P1", "P4"]
    created = {t["number"]: t["created_at"] for t in queue["tickets"]}
    assert queue["oldest_waiting_since"] == created[older] == min(created.values())


async def test_resolving_without_a_reply_stops_the_first_response_clock(
    client, new_chat, make_staff
):
    dana = await make_staff("dana@example.com")
    number = (await hand_off(client, await new_chat()))["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    await dana.post(f"/api/tickets/{number}/resolve", {"resolution": "refunded in full"})
    ticket = (await dana.get(f"/api/tickets/{number}"))["ticket"]
    assert ticket["status"] == "resolved"
    assert ticket["first_response_at"] is not None
    assert ticket["sla"]["first_response"]["state"] == "met"
