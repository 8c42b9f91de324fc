"""Fan-out: live messages through 200 open WebSockets, customers and agents (issue 14).

Starts the hub alone (bench/hubproc.py; no Rasa: ``RASA_URL`` points at a closed port; a
handed-off chat never calls the bot) on a temporary SQLite database, adds ``--agents`` agent
users (every team), opens ``--customers`` chats, hands each off through the internal API and
has one of the agents claim it (round robin). Then it opens one customer socket per chat
(``/api/chat/sessions/{id}/ws``) and one agent-console socket per ticket (``/api/agent/ws``,
the owner's console with that ticket open, as the console subscribes to it): with the
defaults 100 + 100 = 200 sockets, all open at once.

Each of ``--rounds`` rounds, every customer posts a message at the same moment; each agent
answers (``POST /api/tickets/{number}/messages``) as soon as the message shows on its
console's socket, and the customer waits for the answer on its own socket. Every text carries
a unique marker. Prints one JSON line: p50/p95/max from the start of the POST to the arrival
of the message on

- ``customer_to_agent_ms``: the console socket of the ticket's owner;
- ``customer_to_every_agent_ms``: the last of all the agent sockets (a customer's message
  goes to the ticket's team channel, which every agent console listens on);
- ``agent_to_customer_ms``: the customer's socket;

the POSTs' own round trips, how long after the POST's answer the event arrived on the
console and on the customer's socket (the live path's own delay: the hub publishes before
it answers, so this is about 0 or negative), the frames each kind of socket received
(queue notices included), and the delivery check of every
socket against the channels it listens on (the hub sends an event once per channel: a
console gets a customer's message from the team, its owner's and the ticket's channels, see
``ticketing/bus.py``):
``lost`` (a socket that should have got a message never did), ``duplicated`` (more copies
than channels), ``misdelivered`` (a message on a socket that must not see it, such as
another customer's). ``ok`` is true when all three are 0, every POST and every wait
succeeded, every socket stayed open and no POST got an answer of the bot. Also: the CPU
seconds of the hub and of this client during the rounds, and the load average before the
setup (``load_average_before``) and after the rounds (``load_average``).

    .venv-hub/bin/python bench/fanout.py                                  # 100 + 100 sockets
    .venv-hub/bin/python bench/fanout.py --customers 10 --agents 2 --rounds 2   # quick
    .venv-hub/bin/python bench/fanout.py --database postgresql --redis redis://127.0.0.1:6379/2

``--database postgresql`` (the server of ``TEST_POSTGRES_URL``) or ``--database URL`` (a
PostgreSQL server: the URL's database name is ignored) runs the hub on a fresh database of
its own there, dropped afterwards. ``--redis URL`` gives the hub ``REDIS_URL``: live events
(and rate-limit counters) through Redis pub/sub, as when several hubs run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import hubproc  # noqa: E402
from scripts.scaled import drop_postgres_database, ensure_postgres_database  # noqa: E402
from scripts.stack import StackError  # noqa: E402
from ticketing.reports.stats import rounded  # noqa: E402

POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PREFIX = "fanout"


# ----------------------------------------------------------------------------- the people


@dataclass
class Agent:
    email: str
    cookie: str = ""
    csrf: str = ""

    def headers(self, write: bool = True) -> dict[str, str]:
        headers = {"Cookie": f"helpdesk_session={self.cookie}"}
        if write:
            headers["X-CSRF-Token"] = self.csrf
        return headers


@dataclass
class Chat:
    index: int
    session_id: str
    token: str
    agent: Agent
    ticket: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def customer_socket(chat: Chat) -> str:
    return f"c{chat.index}"


def console_socket(chat: Chat) -> str:
    return f"a{chat.index}"


async def login(http: aiohttp.ClientSession, hub: hubproc.Hub, agent: Agent, password: str) -> None:
    agent.cookie, data = await hubproc.sign_in(http, hub.url, agent.email, password)
    agent.csrf = data["csrf_token"]


async def open_chat(
    http: aiohttp.ClientSession, hub: hubproc.Hub, index: int, agent: Agent
) -> Chat:
    """A chat, handed off (internal API, as the assistant does) and claimed by ``agent``."""
    body = {"customer": {"name": f"Customer {index}"}}
    session, number = await hubproc.handed_off_chat(http, hub, body, {"reason": "requested"})
    chat = Chat(index, session["session_id"], session["token"], agent, number)
    url = f"{hub.url}/api/tickets/{chat.ticket}/claim"
    async with http.post(url, headers=agent.headers()) as response:
        await hubproc.answer(response, 200)
    async with http.get(f"{hub.url}/api/chat/sessions/{chat.session_id}", headers=chat.auth) as r:
        status = (await hubproc.answer(r, 200))["status"]
    if status != "agent":
        raise StackError(f"chat {index} is {status!r} after the claim, not 'agent'")
    return chat


# --------------------------------------------------------------------------- the sockets


@dataclass
class Deliveries:
    """What arrived on which socket: copies per (socket, marker, event type), first times."""

    counts: Counter = field(default_factory=Counter)
    first: dict[tuple[str, str], float] = field(default_factory=dict)
    waiters: dict[tuple[str, str], asyncio.Future] = field(default_factory=dict)
    frames: Counter = field(default_factory=Counter)  # every frame, per kind of socket

    def expect(self, socket: str, marker: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiters[(socket, marker)] = future
        return future

    def arrived(self, socket: str, kind: str, text: str, now: float) -> None:
        marker = text.split(" | ", 1)[0]
        self.counts[(socket, marker, kind)] += 1
        self.first.setdefault((socket, marker), now)
        waiter = self.waiters.get((socket, marker))
        if waiter is not None and not waiter.done():
            waiter.set_result(now)


async def read(ws: aiohttp.ClientWebSocketResponse, socket: str, seen: Deliveries) -> None:
    async for frame in ws:
        if frame.type != aiohttp.WSMsgType.TEXT:
            continue
        now = time.perf_counter()
        seen.frames[socket[0]] += 1
        event = json.loads(frame.data)
        kind = event.get("type")
        if kind in ("message", "customer_message"):
            text = (event.get("message") or {}).get("text") or ""
            if text.startswith(PREFIX):
                seen.arrived(socket, kind, text, now)


async def until(ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = 30) -> dict:
    """The first frame of type ``kind`` (what comes before is setup noise, no markers)."""
    while True:
        frame = await ws.receive(timeout=timeout)
        if frame.type != aiohttp.WSMsgType.TEXT:
            raise StackError(f"the socket closed while waiting for {kind!r}: {frame}")
        event = json.loads(frame.data)
        if event.get("type") == kind:
            return event
        if event.get("type") == "error":
            raise StackError(f"socket error: {event}")


async def open_sockets(
    http: aiohttp.ClientSession, hub: hubproc.Hub, chat: Chat, seen: Deliveries
) -> list[tuple[aiohttp.ClientWebSocketResponse, asyncio.Task]]:
    """The customer's socket and the owner's console socket with the ticket open."""
    ws_base = hub.url.replace("http://", "ws://")
    customer = await http.ws_connect(
        f"{ws_base}/api/chat/sessions/{chat.session_id}/ws?token={chat.token}"
    )
    await until(customer, "status")  # subscribed to the conversation's channel by now
    console = await http.ws_connect(f"{ws_base}/api/agent/ws", headers=chat.agent.headers(False))
    await console.send_json({"type": "subscribe", "ticket": chat.ticket})
    await until(console, "subscribed")
    return [
        (customer, asyncio.create_task(read(customer, customer_socket(chat), seen))),
        (console, asyncio.create_task(read(console, console_socket(chat), seen))),
    ]


# ------------------------------------------------------------------------------ the rounds


@dataclass
class Sent:
    marker: str
    chat: Chat
    sender: str  # "customer" or "agent"
    started: float
    post_ms: float | None = None  # None: the POST failed
    bot_replies: int = 0  # messages of the bot in the POST's answer (there must be none)
    waited: bool = False  # the message showed on the socket it was waited for in time


async def post(http, url: str, body: dict, headers: dict, sent: Sent, expect: int) -> None:
    try:
        async with http.post(url, json=body, headers=headers) as response:
            data = await hubproc.answer(response, expect)
        sent.post_ms = (time.perf_counter() - sent.started) * 1000
        sent.bot_replies = sum(1 for m in data.get("messages", []) if m["sender"] == "bot")
    except (aiohttp.ClientError, StackError, TimeoutError) as exc:
        print(f"POST failed ({sent.marker}): {exc}", file=sys.stderr)


async def conversation_round(
    http,
    hub: hubproc.Hub,
    chat: Chat,
    round_no: int,
    seen: Deliveries,
    log: list[Sent],
    timeout: float,
) -> None:
    """The customer writes; the owner answers once it shows on the console; the customer
    waits for the answer on its socket."""
    for sender, socket, url, headers, expect in (
        (
            "customer",
            console_socket(chat),
            f"{hub.url}/api/chat/sessions/{chat.session_id}/messages",
            chat.auth,
            200,
        ),
        (
            "agent",
            customer_socket(chat),
            f"{hub.url}/api/tickets/{chat.ticket}/messages",
            chat.agent.headers(),
            201,
        ),
    ):
        marker = f"{PREFIX} c{chat.index} r{round_no} {sender}"
        text = f"{marker} | {'Where is my parcel?' if sender == 'customer' else 'On its way.'}"
        arrival = seen.expect(socket, marker)
        sent = Sent(marker, chat, sender, time.perf_counter())
        log.append(sent)
        await post(http, url, {"text": text}, headers, sent, expect)
        if sent.post_ms is None:
            arrival.cancel()
            continue
        try:
            await asyncio.wait_for(arrival, timeout)
            sent.waited = True
        except TimeoutError:
            print(f"{marker}: not on socket {socket} after {timeout:g} s", file=sys.stderr)


async def settle(seen: Deliveries, quiet: float = 1.0, limit: float = 30.0) -> None:
    """Wait until no frame has come for ``quiet`` seconds (the fan-out is drained)."""
    deadline = time.monotonic() + limit
    last = -1
    while seen.frames.total() != last and time.monotonic() < deadline:
        last = seen.frames.total()
        await asyncio.sleep(quiet)


def expected_copies(sent: Sent, chats: list[Chat]) -> dict[tuple[str, str], int]:
    """(socket, event type) -> copies: one per channel of the socket that carries the message.

    A customer's message: ``message`` on its own chat's socket (conversation channel);
    ``customer_message`` on every console from the ticket's team channel (every agent is in
    every team), again from the owner's channel on the owner's consoles, again from the
    ticket's channel on the console that has the ticket open, which also gets ``message``
    from the conversation channel. An agent's answer: ``message`` on the chat's socket, and
    on the console with the ticket open from the conversation and the ticket channels.
    """
    chat = sent.chat
    copies = {(customer_socket(chat), "message"): 1}
    if sent.sender == "agent":
        copies[(console_socket(chat), "message")] = 2
        return copies
    for other in chats:
        own_ticket = other.index == chat.index
        owner = 1 if other.agent is chat.agent else 0
        copies[(console_socket(other), "customer_message")] = 1 + owner + int(own_ticket)
        if own_ticket:
            copies[(console_socket(other), "message")] = 1
    return copies


def check(log: list[Sent], chats: list[Chat], seen: Deliveries) -> dict[str, int]:
    lost = duplicated = misdelivered = expected_total = 0
    accepted = {s.marker: s for s in log if s.post_ms is not None}
    by_marker: dict[str, dict[tuple[str, str], int]] = {}
    for (socket, marker, kind), count in seen.counts.items():
        by_marker.setdefault(marker, {})[(socket, kind)] = count
    for marker, sent in accepted.items():
        copies = expected_copies(sent, chats)
        got = by_marker.pop(marker, {})
        expected_total += sum(copies.values())
        sockets = {socket for socket, _ in copies}
        lost += sum(1 for socket in sockets if (socket, marker) not in seen.first)
        for key, count in got.items():
            if key[0] not in sockets:
                misdelivered += count
            elif count > copies.get(key, 0):
                duplicated += count - copies.get(key, 0)
    misdelivered += sum(sum(rest.values()) for rest in by_marker.values())  # never accepted
    return {
        "lost": lost,
        "duplicated": duplicated,
        "misdelivered": misdelivered,
        "copies_expected": expected_total,
        "copies_received": sum(seen.counts.values()),
    }


def latencies(log: list[Sent], seen: Deliveries, chats: list[Chat]) -> dict[str, dict]:
    to_agent, to_every, to_customer, customer_posts, agent_posts = [], [], [], [], []
    # arrival on the waited-for socket minus the POST's answer, per direction
    console_after, customer_after = [], []
    consoles = [console_socket(c) for c in chats]
    for sent in log:
        if sent.post_ms is None:
            continue
        if sent.sender == "customer":
            customer_posts.append(sent.post_ms)
            mine = seen.first.get((console_socket(sent.chat), sent.marker))
            if mine is not None:
                to_agent.append((mine - sent.started) * 1000)
                console_after.append(to_agent[-1] - sent.post_ms)
            times = [seen.first.get((socket, sent.marker)) for socket in consoles]
            if all(t is not None for t in times):
                to_every.append((max(times) - sent.started) * 1000)
        else:
            agent_posts.append(sent.post_ms)
            theirs = seen.first.get((customer_socket(sent.chat), sent.marker))
            if theirs is not None:
                to_customer.append((theirs - sent.started) * 1000)
                customer_after.append(to_customer[-1] - sent.post_ms)
    series = {
        "customer_to_agent_ms": to_agent,
        "customer_to_every_agent_ms": to_every,
        "agent_to_customer_ms": to_customer,
        "customer_post_ms": customer_posts,
        "agent_post_ms": agent_posts,
        # negative: the event came before the POST's answer (the hub publishes, then answers)
        "console_after_response_ms": console_after,
        "customer_after_response_ms": customer_after,
    }
    return {key: hubproc.timings(values, runs=False) for key, values in series.items()}


async def run(hub: hubproc.Hub, args: argparse.Namespace, emails: list[str], password: str) -> dict:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    jar = aiohttp.DummyCookieJar()  # every request names its own cookie
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=jar) as http:
        agents = [Agent(email) for email in emails]
        await asyncio.gather(*(login(http, hub, agent, password) for agent in agents))
        gate = asyncio.Semaphore(10)

        async def one_chat(index: int) -> Chat:
            async with gate:
                return await open_chat(http, hub, index, agents[index % len(agents)])

        chats = list(await asyncio.gather(*(one_chat(i) for i in range(args.customers))))
        seen = Deliveries()

        async def sockets_of(chat: Chat):
            async with gate:
                return await open_sockets(http, hub, chat, seen)

        opened = [pair for pairs in await asyncio.gather(*map(sockets_of, chats)) for pair in pairs]
        await asyncio.sleep(1.0)  # the setup's queue notices die down
        log: list[Sent] = []
        cpu_start = hubproc.cpu_seconds(hub.pid), hubproc.cpu_seconds()
        started = time.perf_counter()
        for round_no in range(args.rounds):
            await asyncio.gather(
                *(
                    conversation_round(http, hub, chat, round_no, seen, log, args.timeout)
                    for chat in chats
                )
            )
        elapsed = time.perf_counter() - started
        await settle(seen)
        # CPU seconds of the rounds (and the drain after them): the hub's and this client's
        cpu = {
            "hub_cpu_s": rounded(hubproc.cpu_since(hub.pid, cpu_start[0]), 1),
            "client_cpu_s": rounded(hubproc.cpu_since(None, cpu_start[1]), 1),
        }
        load = hubproc.load_average()
        still_open = sum(1 for ws, _ in opened if not ws.closed)
        for ws, task in opened:
            await ws.close()
            await task
    checked = check(log, chats, seen)
    posted = [s for s in log if s.post_ms is not None]
    failures = {
        "post_errors": len(log) - len(posted),
        "wait_timeouts": sum(1 for s in posted if not s.waited),
        "bot_replies": sum(s.bot_replies for s in posted),
        "sockets_closed_early": len(opened) - still_open,
    }
    return {
        "sockets": len(opened),
        "customer_sockets": len(chats),
        "agent_sockets": len(chats),
        "messages": len(log),
        **latencies(log, seen, chats),
        **checked,
        **failures,
        "frames_received": {
            "consoles": seen.frames["a"],
            "customers": seen.frames["c"],
        },
        "rounds_seconds": round(elapsed, 2),
        **cpu,
        "messages_per_s": round(len(posted) / elapsed, 1),
        "load_average": load,
        "ok": not any(checked[k] for k in ("lost", "duplicated", "misdelivered"))
        and not any(failures.values()),
    }


def postgres_url(option: str) -> str:
    """A fresh database's URL on the server of ``option`` (``postgresql`` or a URL)."""
    server = POSTGRES_SERVER if option == "postgresql" else option
    return hubproc.postgres_database_url(server, prefix="helpdesk_fanout")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100, help="chats (and consoles)")
    parser.add_argument("--agents", type=int, default=10, help="agent users")
    parser.add_argument("--rounds", type=int, default=5, help="messages each way per chat")
    parser.add_argument("--timeout", type=float, default=30.0, help="wait for one arrival, s")
    parser.add_argument(
        "--database", default="sqlite", help="sqlite (default), postgresql or a PostgreSQL URL"
    )
    parser.add_argument("--redis", metavar="URL", help="REDIS_URL for the hub (live events)")
    args = parser.parse_args()
    if args.customers < 1 or args.agents < 1 or args.rounds < 1:
        parser.error("--customers, --agents and --rounds must be at least 1")
    capacity = math.ceil(args.customers / args.agents)
    if capacity > hubproc.MAX_CAPACITY:
        parser.error(f"at most {hubproc.MAX_CAPACITY} chats per agent: use more --agents")
    postgres = args.database != "sqlite"
    if postgres and not args.database.startswith(("postgresql", "postgres://")):
        parser.error("--database is sqlite, postgresql or a postgresql:// URL")
    load_before = hubproc.load_average()
    password = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        database_url = postgres_url(args.database) if postgres else f"sqlite:///{tmp}/fanout.db"
        if postgres:
            ensure_postgres_database(database_url)
        hub = None
        try:
            redis = {"REDIS_URL": args.redis} if args.redis else None
            hub = hubproc.start_hub(database_url, Path(tmp) / "hub.log", redis)
            emails = hubproc.add_agents(database_url, args.agents, capacity, password)
            result = asyncio.run(run(hub, args, emails, password))
        except BaseException:
            if hub is not None:
                print(hub.log_tail(40), file=sys.stderr)
            raise
        finally:
            if hub is not None:
                hubproc.stop_hub(hub)
            if postgres:
                drop_postgres_database(database_url)
    print(
        json.dumps(
            {
                "benchmark": "fanout",
                "database": "postgresql" if postgres else "sqlite",
                "bus": "redis" if args.redis else "local",
                "customers": args.customers,
                "agents": args.agents,
                "rounds": args.rounds,
                **result,
                "load_average_before": load_before,
            }
        )
    )


if __name__ == "__main__":
    main()
