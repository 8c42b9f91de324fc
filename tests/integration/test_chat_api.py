"""The customer chat API on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import WSMsgType, web

from ticketing.web.keys import HUB

from .conftest import INTERNAL_TOKEN, count_rows


async def test_create_session_answers_the_contract(client):
    response = await client.post(
        "/api/chat/sessions",
        json={"locale": "en-GB", "customer": {"name": "Ann", "email": "Ann@Example.com"}},
    )
    assert response.status == 201
    body = await response.json()
    assert set(body) >= {"session_id", "token", "status", "messages"}
    assert body["status"] == "bot"
    assert body["locale"] == "en"
    assert body["messages"] == []
    assert body["ticket"] is None and body["queue_position"] is None


async def test_create_session_without_body(client):
    response = await client.post("/api/chat/sessions")
    assert response.status == 201
    assert (await response.json())["status"] == "bot"


@pytest.mark.parametrize(
    "body, status",
    [
        ('{"locale": 5}', 422),
        ('{"customer": "x"}', 422),
        ('{"customer": {"email": "not-an-email"}}', 422),
        ("[1, 2]", 400),
        ("{nope", 400),
    ],
)
async def test_create_session_rejects_bad_input(client, hub, body, status):
    json_type = {"Content-Type": "application/json"}
    response = await client.post("/api/chat/sessions", data=body, headers=json_type)
    assert response.status == status
    error = (await response.json())["error"]
    assert error["code"] and error["message"]
    assert await count_rows(hub, "conversations") == 0


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_json_endpoints_want_application_json(client, hub, new_chat, content_type):
    """A cross-site form can send text/plain or a form: never taken for JSON (415)."""
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post("/api/chat/sessions", data='{"locale": "en"}', headers=headers)
    assert response.status == 415
    assert (await response.json())["error"]["code"] == "unsupported_media_type"
    login = await client.post(
        "/api/auth/login", data='{"email": "a@b.c", "password": "x"}', headers=headers
    )
    assert login.status == 415
    assert await count_rows(hub, "conversations") == 0


async def test_message_is_stored_and_rasa_down_gives_apology(new_chat, hub):
    chat = await new_chat()
    body = await chat.send("hello there")
    customer, system = body["messages"]
    assert customer["sender"] == "customer" and customer["text"] == "hello there"
    assert system["sender"] == "system"
    assert "not answering" in system["text"]
    assert system["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
    assert system["id"] > customer["id"]
    assert [m["id"] for m in await chat.messages()] == [customer["id"], system["id"]]
    assert await count_rows(hub, "messages") == 2


async def test_request_human_while_rasa_down_hands_off(new_chat, hub):
    chat = await new_chat()
    await chat.send("hello")
    body = await chat.send("Talk to a person", payload="/request_human")
    reply = body["messages"][-1]
    assert reply["sender"] == "system" and "T-000001" in reply["text"]
    state = await chat.state()
    assert state["status"] == "queued"
    assert state["ticket"] == {"number": "T-000001", "status": "new", "priority": "P3"}
    assert state["queue_position"] == 1


async def test_after_handoff_messages_are_stored_but_not_answered(new_chat, client):
    chat = await new_chat()
    response = await client.post(
        f"/internal/conversations/{chat.session_id}/handoff",
        json={"reason": "requested"},
        headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"},
    )
    assert response.status == 201
    body = await chat.send("anyone there?")
    assert [m["sender"] for m in body["messages"]] == ["customer"]
    assert [m["text"] for m in await chat.messages()] == ["anyone there?"]


async def test_messages_after_id(new_chat):
    chat = await new_chat()
    first = (await chat.send("one"))["messages"]
    second = (await chat.send("two"))["messages"]
    after = await chat.messages(after=first[-1]["id"])
    assert [m["id"] for m in after] == [m["id"] for m in second]
    assert await chat.messages(after=second[-1]["id"]) == []


async def test_idempotency_key_returns_first_answer_and_stores_once(new_chat, hub):
    chat = await new_chat()
    first = await chat.send("where is my parcel", key="abc-123")
    again = await chat.send("where is my parcel", key="abc-123")
    assert again == first
    assert await count_rows(hub, "messages") == 2
    response = await chat.client.post(
        f"/api/chat/sessions/{chat.session_id}/messages",
        json={"text": "something else"},
        headers={**chat.auth, "Idempotency-Key": "abc-123"},
    )
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "idempotency_key_reused"
    assert await count_rows(hub, "messages") == 2


async def test_concurrent_requests_with_one_idempotency_key_store_once(new_chat, hub):
    chat = await new_chat()
    answers = await asyncio.gather(*(chat.send("same", key="k-1") for _ in range(5)))
    ids = {a["messages"][0]["id"] for a in answers}
    assert len(ids) == 1
    assert await count_rows(hub, "messages WHERE sender = 'customer'") == 1


@pytest.mark.parametrize(
    "headers, status, code",
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong-token"}, 401, "unauthorized"),
        ({"Authorization": "Basic abc"}, 401, "unauthorized"),
    ],
)
async def test_bad_tokens_are_refused_and_store_nothing(new_chat, hub, headers, status, code):
    chat = await new_chat()
    response = await chat.client.post(
        f"/api/chat/sessions/{chat.session_id}/messages", json={"text": "hi"}, headers=headers
    )
    assert response.status == status
    assert (await response.json())["error"]["code"] == code
    assert await count_rows(hub, "messages") == 0
    for path in ("", "/messages"):
        response = await chat.client.get(
            f"/api/chat/sessions/{chat.session_id}{path}", headers=headers
        )
        assert response.status == 401


async def test_another_sessions_token_is_forbidden(new_chat, hub):
    mine, other = await new_chat(), await new_chat()
    response = await mine.client.post(
        f"/api/chat/sessions/{mine.session_id}/messages", json={"text": "hi"}, headers=other.auth
    )
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "forbidden"
    response = await mine.client.get(
        f"/api/chat/sessions/{mine.session_id}/messages", headers=other.auth
    )
    assert response.status == 403
    assert await count_rows(hub, "messages") == 0


async def test_unknown_session_is_404(new_chat, client):
    chat = await new_chat()
    response = await client.post(
        "/api/chat/sessions/0123456789abcdef0123456789abcdef/messages",
        json={"text": "hi"},
        headers=chat.auth,
    )
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "raw, status",
    [
        ("not json", 400),
        ("", 400),
        ('"just a string"', 400),
        ('{"text": ""}', 422),
        ('{"text": "   "}', 422),
        ('{"text": 42}', 422),
        ("{}", 422),
        ('{"payload": ""}', 422),
        ('{"text": "' + "x" * 2001 + '"}', 413),
    ],
)
async def test_bad_message_bodies_change_nothing(new_chat, hub, raw, status):
    chat = await new_chat()
    response = await chat.client.post(
        f"/api/chat/sessions/{chat.session_id}/messages",
        data=raw,
        headers={**chat.auth, "Content-Type": "application/json"},
    )
    assert response.status == status
    error = (await response.json())["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert await count_rows(hub, "messages") == 0


async def test_text_of_exactly_the_limit_is_accepted(new_chat):
    chat = await new_chat()
    body = await chat.send("y" * 2000)
    assert body["messages"][0]["text"] == "y" * 2000


async def test_html_is_stored_verbatim(new_chat):
    chat = await new_chat()
    text = "<script>alert(1)</script> ünïcødé 😀"
    body = await chat.send(text)
    assert body["messages"][0]["text"] == text


async def test_close_ends_the_chat_and_a_new_message_reopens_it(new_chat):
    chat = await new_chat()
    await chat.send("hi")
    response = await chat.client.post(
        f"/api/chat/sessions/{chat.session_id}/close", headers=chat.auth
    )
    assert response.status == 200
    assert (await response.json())["status"] == "closed"
    assert (await chat.messages())[-1]["sender"] == "system"
    again = await chat.client.post(f"/api/chat/sessions/{chat.session_id}/close", headers=chat.auth)
    assert (await again.json())["status"] == "closed"
    count = len(await chat.messages())
    await chat.send("one more thing")
    assert (await chat.state())["status"] == "bot"
    assert len(await chat.messages()) == count + 2  # the message and the (Rasa-down) apology


async def test_websocket_pushes_messages_and_status(new_chat, client):
    chat = await new_chat()
    ws = await client.ws_connect(f"/api/chat/sessions/{chat.session_id}/ws?token={chat.token}")
    first = await ws.receive_json(timeout=5)
    assert first["type"] == "status" and first["status"] == "bot"
    await chat.send("hello")
    pushed = [await ws.receive_json(timeout=5) for _ in range(2)]
    assert [e["type"] for e in pushed] == ["message", "message"]
    assert [e["message"]["sender"] for e in pushed] == ["customer", "system"]
    await chat.send("Talk to a person", payload="/request_human")
    events = [await ws.receive_json(timeout=5) for _ in range(3)]
    status = [e for e in events if e["type"] == "status"]
    assert (
        status and status[0]["status"] == "queued" and status[0]["ticket"]["number"] == "T-000001"
    )
    await ws.close()


async def test_websocket_needs_the_sessions_token(new_chat, client):
    chat, other = await new_chat(), await new_chat()
    for query, status in (("", 401), ("?token=bad", 401), (f"?token={other.token}", 403)):
        response = await client.get(f"/api/chat/sessions/{chat.session_id}/ws{query}")
        assert response.status == status


async def test_websocket_token_in_the_first_frame_keeps_it_out_of_the_url(new_chat, client):
    chat, other = await new_chat(), await new_chat()
    ws = await client.ws_connect(f"/api/chat/sessions/{chat.session_id}/ws")
    await ws.send_json({"type": "auth", "token": chat.token})
    first = await ws.receive_json(timeout=5)
    assert first["type"] == "status" and first["status"] == "bot"
    await chat.send("hello")
    pushed = await ws.receive_json(timeout=5)
    assert pushed["type"] == "message" and pushed["message"]["text"] == "hello"
    await ws.close()
    for frame in ({"type": "auth", "token": other.token}, {"type": "auth"}, {"type": "ping"}):
        refused = await client.ws_connect(f"/api/chat/sessions/{chat.session_id}/ws")
        await refused.send_json(frame)
        closing = await refused.receive(timeout=5)
        assert closing.type == WSMsgType.CLOSE and closing.data == 4401, frame
        await refused.close()


async def test_rasa_timeout_gives_apology_and_keeps_message(
    aiohttp_server, database_url, aiohttp_client, hub_factory
):
    """A Rasa that accepts the request but never answers (a hung server)."""

    async def hang(request):
        await asyncio.sleep(30)
        return web.json_response({})

    slow = web.Application()
    slow.router.add_post("/webhooks/hub/webhook", hang)
    server = await aiohttp_server(slow)
    client = await hub_factory(f"http://127.0.0.1:{server.port}")
    response = await client.post("/api/chat/sessions", json={})
    session = await response.json()
    response = await client.post(
        f"/api/chat/sessions/{session['session_id']}/messages",
        json={"text": "are you there?"},
        headers={"Authorization": f"Bearer {session['token']}"},
    )
    assert response.status == 200
    senders = [m["sender"] for m in (await response.json())["messages"]]
    assert senders == ["customer", "system"]


@pytest.fixture
def hub_factory(aiohttp_client, settings):
    from dataclasses import replace

    from ticketing.web.app import init_app

    async def make(rasa_url: str):
        return await aiohttp_client(
            init_app(replace(settings, rasa_url=rasa_url, rasa_timeout=1.0))
        )

    return make


async def test_a_card_number_is_redacted_before_storage_and_rasa(aiohttp_server, hub_factory):
    """Issue 12: nothing keeps a card number a customer typed, Rasa included; they are told."""
    seen: list[str] = []

    async def rasa(request):
        body = await request.json()
        seen.append(body["message"])
        # and no contact data: the sender id is Rasa's only reference to the customer
        assert body["metadata"] == {"locale": "en"}, body["metadata"]
        return web.json_response({"messages": [{"text": "Thanks!"}], "nlu": {}})

    fake = web.Application()
    fake.router.add_post("/webhooks/hub/webhook", rasa)
    server = await aiohttp_server(fake)
    client = await hub_factory(f"http://127.0.0.1:{server.port}")
    customer = {"name": "Ann Smith", "email": "ann@example.com"}
    session = await (await client.post("/api/chat/sessions", json={"customer": customer})).json()
    auth = {"Authorization": f"Bearer {session['token']}"}
    url = f"/api/chat/sessions/{session['session_id']}/messages"
    response = await client.post(
        url, json={"text": "pay with 4111 1111 1111 1111, cvv 123"}, headers=auth
    )
    assert response.status == 200
    messages = (await response.json())["messages"]
    assert [m["sender"] for m in messages] == ["customer", "system", "bot"]
    assert messages[0]["text"] == "pay with [card number removed], cvv [security code removed]"
    assert "never send" in messages[1]["text"]
    assert seen == [messages[0]["text"]]  # Rasa got the redacted text
    stored = await (await client.get(url, headers=auth)).json()
    assert "4111" not in str(stored) and " 123" not in str(stored)
    # an ordinary message: no notice
    plain = await (await client.post(url, json={"text": "where is NW-104233"}, headers=auth)).json()
    assert [m["sender"] for m in plain["messages"]] == ["customer", "bot"]


@pytest.fixture
async def slow_rasa(aiohttp_server):
    """A Rasa that takes ``delay`` seconds per turn and records how many turns it holds."""

    class Slow:
        delay = 0.3
        now = 0
        most = 0
        per_sender: dict[str, int] = {}
        most_per_sender = 0
        started = asyncio.Event()  # set by the first turn to arrive

    async def turn(request):
        sender = (await request.json())["sender"]
        Slow.now += 1
        Slow.started.set()
        Slow.per_sender[sender] = Slow.per_sender.get(sender, 0) + 1
        Slow.most = max(Slow.most, Slow.now)
        Slow.most_per_sender = max(Slow.most_per_sender, Slow.per_sender[sender])
        try:
            await asyncio.sleep(Slow.delay)
        finally:
            Slow.now -= 1
            Slow.per_sender[sender] -= 1
        return web.json_response({"messages": [{"text": "Here you are."}], "nlu": {}})

    app = web.Application()
    app.router.add_post("/webhooks/hub/webhook", turn)
    server = await aiohttp_server(app)
    Slow.url = f"http://127.0.0.1:{server.port}"
    return Slow


async def _chats(client, n: int) -> list[tuple[str, dict]]:
    made = []
    for _ in range(n):
        session = await (await client.post("/api/chat/sessions", json={})).json()
        made.append((session["session_id"], {"Authorization": f"Bearer {session['token']}"}))
    return made


async def _say(client, chat, text: str) -> list[str]:
    session_id, auth = chat
    response = await client.post(
        f"/api/chat/sessions/{session_id}/messages", json={"text": text}, headers=auth
    )
    assert response.status == 200
    return [m["sender"] for m in (await response.json())["messages"]]


async def test_a_busy_rasa_gets_a_queue_not_an_apology(slow_rasa, hub_factory):
    """Issue 14: at most RASA_CONCURRENCY turns at Rasa at once, the rest wait their turn;
    one chat's turns never overlap at Rasa."""
    client = await hub_factory(slow_rasa.url)
    client.app[HUB].rasa = replace_rasa(client.app[HUB].rasa, concurrency=2)
    chats = await _chats(client, 6)
    answers = await asyncio.gather(
        *(_say(client, chat, "where is my parcel") for chat in chats),
        *(_say(client, chats[0], f"and another thing {i}") for i in range(2)),
    )
    assert all(senders == ["customer", "bot"] for senders in answers), answers
    assert slow_rasa.most == 2 and slow_rasa.most_per_sender == 1


async def test_past_the_queue_bound_the_customer_gets_the_apology_and_a_busy_notice(
    slow_rasa, hub_factory
):
    slow_rasa.delay = 1.5  # well under the 5 s answer timeout, over the 0.5 s queue bound
    client = await hub_factory(slow_rasa.url)
    client.app[HUB].rasa = replace_rasa(
        client.app[HUB].rasa, concurrency=1, queue_timeout=0.5, busy_after=0.1, timeout=5.0
    )
    first, second = await _chats(client, 2)
    token = second[1]["Authorization"].split()[1]
    ws = await client.ws_connect(f"/api/chat/sessions/{second[0]}/ws?token={token}")
    assert (await ws.receive_json(timeout=5))["type"] == "status"
    # the first chat's turn holds the only slot before the second one asks for it
    holding = asyncio.create_task(_say(client, first, "hello"))
    await asyncio.wait_for(slow_rasa.started.wait(), 5)
    answers = [*await asyncio.gather(_say(client, second, "hi"), holding)][::-1]
    assert answers[0] == ["customer", "bot"]
    assert answers[1] == ["customer", "system"]  # waited past the bound: the apology
    events = []
    while not events or events[-1] != ("message", "system"):
        event = await ws.receive_json(timeout=5)
        events.append((event["type"], (event.get("message") or {}).get("sender")))
    # the widget said the place was kept while the customer waited, then the apology came
    assert events == [("message", "customer"), ("busy", None), ("message", "system")]
    await ws.close()


def replace_rasa(rasa, **options):
    """The hub's Rasa client with other back-pressure settings (same server, same token)."""
    from ticketing.rasa_client import RasaClient

    return RasaClient(
        rasa.base_url,
        options.get("timeout", rasa.timeout),
        rasa.token,
        concurrency=options.get("concurrency", rasa.concurrency),
        queue_timeout=options.get("queue_timeout", rasa.queue_timeout),
        busy_after=options.get("busy_after", rasa.busy_after),
    )


async def test_a_retry_of_a_message_its_hub_never_answered_is_answered_once(slow_rasa, hub_factory):
    """Issue 14 (scale-out): a hub killed after storing a message and before storing Rasa's
    answer; the widget resends it (same Idempotency-Key) to another hub, which answers it,
    once, however many retries arrive at once."""
    from sqlalchemy import select

    from ticketing.models import Conversation, Message

    client = await hub_factory(slow_rasa.url)
    hub = client.app[HUB]
    [(session_id, auth)] = await _chats(client, 1)
    async with hub.sessions() as db, db.begin():
        conversation = await db.scalar(
            select(Conversation).where(Conversation.public_id == session_id)
        )
        orphan = Message(
            conversation_id=conversation.id,
            sender="customer",
            text="where is my parcel",
            idempotency_key="k-dead-hub",
        )
        db.add(orphan)
    url = f"/api/chat/sessions/{session_id}/messages"
    headers = {**auth, "Idempotency-Key": "k-dead-hub"}

    async def retry() -> list[dict]:
        response = await client.post(url, json={"text": "where is my parcel"}, headers=headers)
        assert response.status == 200
        return (await response.json())["messages"]

    answers = await asyncio.gather(*(retry() for _ in range(4)))
    assert all(a[0]["id"] == orphan.id for a in answers)  # the stored message, not a new one
    assert sum(len(a) == 2 and a[1]["text"] == "Here you are." for a in answers) == 1
    assert await count_rows(hub, "messages WHERE sender = 'bot'") == 1
    # later retries read the stored answer; Rasa is not asked again
    assert [m["sender"] for m in await retry()] == ["customer", "bot"]
    assert await count_rows(hub, "messages WHERE sender = 'bot'") == 1
    # a message that is not the chat's latest is left alone (its chat went on)
    await _say(client, (session_id, auth), "and another thing")
    async with hub.sessions() as db, db.begin():
        db.add(
            Message(
                conversation_id=conversation.id,
                sender="customer",
                text="old",
                idempotency_key="k-old",
            )
        )
    await _say(client, (session_id, auth), "newest")
    response = await client.post(
        url, json={"text": "old"}, headers={**auth, "Idempotency-Key": "k-old"}
    )
    assert [m["sender"] for m in (await response.json())["messages"]] == ["customer"]
