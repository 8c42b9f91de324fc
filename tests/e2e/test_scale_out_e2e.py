"""The scaled topology for real (scripts/scaled.py, ``make run-scaled``): HAProxy in front of two
hubs, two Rasa servers and two action servers, sharing PostgreSQL (the hubs' data, Rasa's SQL
tracker store) and Redis (Rasa's lock store, the hubs' live events and rate-limit counters).

- a conversation whose turns alternate between the Rasa servers keeps its dialogue state;
- an agent on hub 1 sees, live, a customer's message posted through hub 2;
- PostgreSQL restarts under the running stack: no process is restarted, the next turns work;
- ``kill -9`` of one hub, one Rasa server and one action server under load loses no message,
  stores none twice and leaves no conversation stuck.

The stack starts once for this module (two Rasa servers load their model in about two
minutes on two cores); logs go to tests/artifacts/scaled/log/.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import aiohttp
import psycopg
import pytest
import redis

from scripts.scaled import ScaledStack, drop_postgres_database, ensure_postgres_database
from scripts.stack import free_port
from tests.conftest import POSTGRES_ADMIN_URL
from tests.limits import GENEROUS_LIMITS

from .conftest import DEMO_AGENT, IDENTITY_SECRET, always_open_shop, seed_demo_data

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database number of the tests' own
APOLOGY = "not answering right now"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scaled(model, tmp_path_factory, artifacts):
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    database_url = f"{base}/helpdesk_scaled_{secrets.token_hex(4)}"
    ensure_postgres_database(database_url)
    redis.Redis.from_url(REDIS_URL).flushdb()
    run_dir = artifacts / "scaled"
    shutil.rmtree(run_dir, ignore_errors=True)
    env = {
        "SHOP_FILE": str(always_open_shop(tmp_path_factory.mktemp("scaled"))),
        "RATE_LIMITS": GENEROUS_LIMITS,
        "IDENTITY_SECRET": IDENTITY_SECRET,
    }
    try:
        seed_demo_data(database_url, env)
        stack = ScaledStack(
            model,
            database_url=database_url,
            redis_url=REDIS_URL,
            public_port=free_port(),
            internal_port=free_port(),
            rasa_port=free_port(),
            actions_port=free_port(),
            stats_port=free_port(),
            run_dir=run_dir,
            extra_env=env,
        )
        # stops what it started when one does not come up; each Rasa is healthy once it has
        # warmed itself up (bot/channels.py)
        stack.start(timeout=600)
        try:
            yield stack
        finally:
            stack.stop()
    finally:  # also when the stack did not start
        drop_postgres_database(database_url)


@pytest.fixture
def up(scaled):
    """The scaled stack with every process running (restarts one a test killed)."""
    scaled.ensure_running()
    return scaled


def rows(stack: ScaledStack, sql: str, *params) -> list[tuple]:
    with psycopg.connect(stack.database_url) as connection:
        return connection.execute(sql, params).fetchall()


async def start_chat(http: aiohttp.ClientSession, base: str) -> tuple[str, str]:
    for _ in range(40):
        try:
            async with http.post(f"{base}/api/chat/sessions", json={}) as response:
                if response.status == 201:
                    data = await response.json()
                    return data["session_id"], data["token"]
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise AssertionError(f"no chat could be started at {base}")


async def say(
    http: aiohttp.ClientSession,
    base: str,
    chat: tuple[str, str],
    text: str,
    key: str = "",
    payload: str | None = None,
    reply: bool = True,
) -> list[dict]:
    """One message, as the widget sends it: with an Idempotency-Key, retried (same key) while
    the connection fails or the proxy answers 502/503/504 (an instance died under it)."""
    session_id, token = chat
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key or uuid.uuid4().hex}
    for _ in range(60):
        try:
            async with http.post(
                f"{base}/api/chat/sessions/{session_id}/messages",
                json={"text": text} if payload is None else {"text": text, "payload": payload},
                headers=headers,
            ) as response:
                if response.status == 200:
                    messages = (await response.json())["messages"]
                    if not reply or any(m["sender"] != "customer" for m in messages):
                        return messages
                    # answered later (a cold or busy Rasa), over the socket: read it as the
                    # widget's fallback poll does
                    return messages + await later_replies(http, base, chat, messages[0]["id"])
                assert response.status in (502, 503, 504), await response.text()
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise AssertionError(f"{text!r} was never accepted")


async def later_replies(
    http: aiohttp.ClientSession, base: str, chat: tuple[str, str], after: int
) -> list[dict]:
    session_id, token = chat
    url = f"{base}/api/chat/sessions/{session_id}/messages?after={after}"
    for _ in range(120):
        try:
            async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
                if response.status == 200:
                    found = (await response.json())["messages"]
                    if any(m["sender"] != "customer" for m in found):
                        return found
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    return []


def bot_text(messages: list[dict]) -> str:
    return "\n".join(m["text"] or "" for m in messages if m["sender"] == "bot")


async def rasa_turn(stack: ScaledStack, url: str, sender: str, text: str) -> list[dict]:
    """A turn sent to one Rasa server's hub channel directly (what a hub sends)."""
    body = {"sender": sender, "message": text, "message_id": uuid.uuid4().hex, "metadata": {}}
    headers = {"Authorization": f"Bearer {stack.rasa_token}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{url}/webhooks/hub/webhook", json=body, headers=headers, timeout=60
        ) as response:
            assert response.status == 200, await response.text()
            return (await response.json())["messages"]


async def test_a_conversation_alternating_between_rasa_servers_keeps_its_state(up):
    first, second = up.instance_urls["rasa"]
    sender = f"alternating-{secrets.token_hex(4)}"
    opened = await rasa_turn(up, first, sender, "I want to make a complaint")
    assert "mainly about" in " ".join(m.get("text") or "" for m in opened)
    choices = {b["title"]: b["payload"] for m in opened for b in m.get("buttons") or []}
    # the form's next question comes from the other server: it read the tracker rasa-1 saved
    answered = await rasa_turn(up, second, sender, choices["A promise we didn't keep"])
    assert "what happened" in " ".join(m.get("text") or "" for m in answered)
    stored = rows(up, "SELECT count(*) FROM events WHERE sender_id = %s", sender)
    assert stored[0][0] > 0  # in the shared SQL tracker store, not in either server's memory


async def test_turns_through_both_hubs_make_one_conversation(up):
    hub_1, hub_2 = up.instance_urls["hub"]
    async with aiohttp.ClientSession() as http:
        chat = await start_chat(http, hub_1)
        asked = await say(http, hub_1, chat, "Hi, where is my order nw 104233?")
        assert "e-mail address you placed the order with" in bot_text(asked)
        answered = await say(http, hub_2, chat, "ann@example.com")
        assert "Order NW-104233 is on its way with DPD" in bot_text(answered)
    texts = rows(
        up,
        "SELECT m.sender, m.text FROM messages m JOIN conversations c "
        "ON c.id = m.conversation_id WHERE c.public_id = %s ORDER BY m.id",
        chat[0],
    )
    customer = [text for sender, text in texts if sender == "customer"]
    assert customer == ["Hi, where is my order nw 104233?", "ann@example.com"]


async def test_an_agent_on_hub_1_sees_live_a_message_posted_through_hub_2(up):
    hub_1, hub_2 = up.instance_urls["hub"]
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as agent, aiohttp.ClientSession() as http:
        email, password = DEMO_AGENT
        async with agent.post(
            f"{hub_1}/api/auth/login", json={"email": email, "password": password}
        ) as response:
            assert response.status == 200, await response.text()
        ws = await agent.ws_connect(f"{hub_1}/api/agent/ws")
        chat = await start_chat(http, hub_2)
        handed = await say(http, hub_2, chat, "can I speak to a real person please")
        assert "in the queue" in bot_text(handed)
        text = f"still there? {secrets.token_hex(3)}"
        await say(http, hub_2, chat, text, reply=False)  # queued: for the agent, not the bot
        deadline = time.monotonic() + 15
        seen = None
        while time.monotonic() < deadline and seen is None:
            event = await ws.receive_json(timeout=deadline - time.monotonic())
            if event.get("type") == "customer_message":
                seen = event["message"]["text"]
        await ws.close()
    assert seen == text


def restart_postgresql() -> None:
    clusters = sorted(Path("/etc/postgresql").glob("*"))
    assert clusters, "no PostgreSQL cluster under /etc/postgresql to restart"
    done = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1].name, "main", "restart"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for _ in range(60):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError("PostgreSQL did not come back within 30 s")


async def test_a_postgresql_restart_is_survived_without_restarting_anything(up):
    async with aiohttp.ClientSession() as http:
        # complaints half-way through their form: the state lives in Rasa's SQL tracker store
        chats, choices = [], []
        for _ in range(2):  # turns in turn: HAProxy's leastconn gives one to each Rasa server
            chat = await start_chat(http, up.hub_url)
            opened = await say(http, up.hub_url, chat, "I want to make a complaint")
            assert "mainly about" in bot_text(opened), opened
            chats.append(chat)
            choices.append({b["title"]: b["payload"] for m in opened for b in m["buttons"]})
        pids = {name: process.popen.pid for name, process in up.processes.items()}
        started = "SELECT pg_postmaster_start_time()"
        before = rows(up, started)
        restart_postgresql()
        assert rows(up, started) != before  # a new server: every pooled connection is dead
        # each form goes on where it was (Rasa's own store would fall back to an empty
        # in-memory tracker for the first turn after the restart and lose the form)
        for chat, buttons in zip(chats, choices, strict=True):
            title = "A promise we didn't keep"
            reply = bot_text(await say(http, up.hub_url, chat, title, payload=buttons[title]))
            assert APOLOGY not in reply and "what happened" in reply, reply
        fresh = await start_chat(http, up.hub_url)
        assert "delivery takes" in bot_text(await say(http, up.hub_url, fresh, "delivery time?"))
    assert {name: process.popen.pid for name, process in up.processes.items()} == pids
    assert not up.dead()


CONVERSATION = [
    "hi",
    "how long does delivery take?",
    "can I return an item?",
    "which payment methods do you accept?",
    "do you have gift cards?",
]


async def test_kill_9_of_one_instance_of_each_kind_mid_load_loses_nothing(up):
    customers, done, quarter, unanswered, apologies = 16, [], asyncio.Event(), [], []
    sent: dict[tuple[str, str], list[str]] = {}

    async def customer(http: aiohttp.ClientSession) -> None:
        chat = await start_chat(http, up.hub_url)
        sent[chat] = []
        for text in CONVERSATION:
            replies = [
                m for m in await say(http, up.hub_url, chat, text) if m["sender"] != "customer"
            ]
            if not replies:
                unanswered.append(text)
            elif any(APOLOGY in (m["text"] or "") for m in replies):
                apologies.append(text)
            sent[chat].append(text)
            done.append(text)
            if len(done) >= customers * len(CONVERSATION) // 4:
                quarter.set()

    async def killer() -> None:
        await quarter.wait()
        for name in KILLED:
            up.kill(name)

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(killer(), *(customer(http) for _ in range(customers)))
        assert not any(up.processes[name].alive for name in KILLED)
        # a message whose hub died before Rasa's answer was stored is answered when the
        # customer resends it (same Idempotency-Key); a turn the dying instances held may get
        # the apology, never silence
        print(f"turns: {len(done)}, apologies: {len(apologies)}, unanswered: {unanswered}")
        assert unanswered == []
        # nothing lost, nothing twice: each chat holds exactly the messages its customer sent
        for (session_id, _), texts in sent.items():
            stored = rows(
                up,
                "SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE c.public_id = %s AND m.sender = 'customer' ORDER BY m.id",
                session_id,
            )
            assert [text for (text,) in stored] == texts
        # nothing stuck: every chat goes on, answered by the instances still running
        for chat in sent:
            reply = bot_text(await say(http, up.hub_url, chat, "how long does delivery take?"))
            assert APOLOGY not in reply and "delivery takes" in reply, (chat[0], reply)


KILLED = ("hub-2", "rasa-2", "actions-2")
