"""Claim race: N agents racing over M queued tickets on PostgreSQL (issue 14).

It creates its own database on the server of ``BENCH_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/test, trust auth), starts a real hub on it
(``python -m ticketing serve`` on free ports; the hub migrates at start; Rasa is not started:
the hub points at a port where nothing listens, and nothing here needs it), adds the agents
with ``python -m ticketing user add`` and queues the tickets the way a real hand-off does:
a customer chat (``POST /api/chat/sessions``), then the assistant's hand-off through the
internal API (``POST /internal/conversations/{id}/handoff`` on the hub's loopback listener,
with the internal token). The hub, the agents and the hand-off are bench/hubproc.py's.

Then every agent, signed in with their own cookie and CSRF token, races the others the way
the agent console works: list ``GET /api/queue``, ``POST /api/tickets/{number}/claim`` one of
the ``--spread`` oldest tickets (at random; 1: everyone on the oldest), list the queue again
after the answer (200, or 409 when someone else holds it), until the queue is empty or the
agent is at capacity (``--capacity``, default 50, the most the hub allows: 20 x 50 is just
1,000, so the last claims also meet ``at_capacity`` 409s, counted apart). All agents work the
head of the queue at once, so claims collide.
Each claim call is timed, and the hub's CPU time is read from /proc (the machine may be
shared: waiting is not cost).

Afterwards it checks from the database (a read-only connection): every ticket has one
assignee, that assignee is the agent whose claim answered 200, the ticket's timeline has one
``assigned`` event and its chat belongs to that agent. It prints one JSON line:

    {"benchmark": "claim", "agents": 20, "tickets": 1000, "claims": 1000, "conflicts": ...,
     "claims_per_s": ..., "claim_ms": {"p50", "p95", "max", "runs"}, "won_ms": {...},
     "conflict_ms": {...}, "queue_ms": {...}, "double_assignments": 0, "unclaimed": 0,
     "errors": {}, "load_average": [...], "ok": true, ...}

``ok`` means: exactly one successful claim per ticket, no double assignment, nothing left
unclaimed, no error answer (anything but 200 and 409). The hub's log goes to
``var/bench/claim-hub.log``; the database is dropped at the end unless ``--keep``.

    python bench/claim.py                            # 20 agents x 1,000 tickets
    python bench/claim.py --agents 5 --tickets 100   # quick
    python bench/claim.py --database bench_claim --keep   # keep it to look at afterwards
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import hubproc  # noqa: E402
from scripts.scaled import drop_postgres_database, ensure_postgres_database  # noqa: E402
from scripts.stack import StackError  # noqa: E402

PASSWORD = "bench-claim-password-123"
SETUP_CONCURRENCY = 16  # chats created and handed off at once
LOG = ROOT / "var" / "bench" / "claim-hub.log"


# -------------------------------------------------------------------------------- tickets


async def queue_tickets(hub: hubproc.Hub, count: int) -> list[str]:
    """``count`` customer chats, each handed off to the queue like the assistant does."""
    semaphore = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(http: aiohttp.ClientSession, index: int) -> str:
        async with semaphore:
            chat = {"locale": "en", "customer": {"name": f"Bench customer {index}"}}
            handoff = {"reason": "requested", "summary": f"bench ticket {index}"}
            return (await hubproc.handed_off_chat(http, hub, chat, handoff))[1]

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        return list(await asyncio.gather(*(one(http, i) for i in range(count))))


# --------------------------------------------------------------------------------- agents


@dataclass
class Agent:
    email: str
    http: aiohttp.ClientSession | None = None
    user_id: int | None = None
    won: list[str] = field(default_factory=list)
    won_ms: list[float] = field(default_factory=list)
    conflict_ms: list[float] = field(default_factory=list)
    queue_ms: list[float] = field(default_factory=list)
    conflicts: int = 0
    at_capacity: int = 0
    repeats: int = 0  # 200 for a ticket this agent already held (claim is idempotent)
    mismatches: int = 0  # 200 whose ticket names another assignee
    errors: Counter = field(default_factory=Counter)


async def open_console(base: str, agent: Agent) -> None:
    """The agent's own HTTP session, signed in: its cookie and CSRF token on every request."""
    http = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=120), cookie_jar=aiohttp.DummyCookieJar()
    )
    try:
        cookie, body = await hubproc.sign_in(http, base, agent.email, PASSWORD)
    except BaseException:
        await http.close()
        raise
    http.headers.update(
        {"Cookie": f"helpdesk_session={cookie}", "X-CSRF-Token": body["csrf_token"]}
    )
    agent.http, agent.user_id = http, body["user"]["id"]


async def timed(agent: Agent, what: str, method: str, url: str) -> tuple[int, Any, float] | None:
    """``(status, body, ms)`` of one request, or None (counted in ``agent.errors``) when it
    did not get an answer."""
    assert agent.http is not None
    started = time.perf_counter()
    try:
        async with agent.http.request(method, url) as response:
            status = response.status
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        agent.errors[f"{what} {type(exc).__name__}"] += 1
        return None
    return status, body, (time.perf_counter() - started) * 1000


async def race(base: str, agent: Agent, spread: int, start: asyncio.Event) -> None:
    """What the agent console does (static/agent/actions.js): list the queue, claim a ticket
    (here one of its ``spread`` oldest, at random), list the queue again after the answer,
    whether it was 200 or 409; until the queue is empty or the agent is at capacity."""
    assert agent.http is not None
    pick = random.Random(agent.email)
    await start.wait()
    while sum(agent.errors.values()) <= 50:  # more: something is broken, stop hammering
        answered = await timed(agent, "queue", "GET", f"{base}/api/queue")
        if answered is None:
            continue
        status, body, took = answered
        agent.queue_ms.append(took)
        if status != 200:
            agent.errors[f"queue {status}"] += 1
            continue
        numbers = [item["number"] for item in body["tickets"]]
        if not numbers:
            return  # the queue is empty: every ticket has an owner
        number = numbers[pick.randrange(min(spread, len(numbers)))]
        answered = await timed(agent, "claim", "POST", f"{base}/api/tickets/{number}/claim")
        if answered is None:
            continue
        status, answer, took = answered
        code = (answer.get("error") or {}).get("code") if isinstance(answer, dict) else None
        if status == 200:
            if (answer["ticket"].get("assignee") or {}).get("id") != agent.user_id:
                agent.mismatches += 1
            if number in agent.won:
                agent.repeats += 1  # already this agent's (the queue never lists it again)
            else:
                agent.won.append(number)
                agent.won_ms.append(took)
        elif status == 409 and code == "at_capacity":
            agent.at_capacity += 1
            return
        elif status == 409:
            agent.conflicts += 1
            agent.conflict_ms.append(took)
        else:
            agent.errors[f"claim {status} {code}"] += 1


async def run_race(base: str, emails: list[str], spread: int) -> tuple[list[Agent], float]:
    agents = [Agent(email) for email in emails]
    await asyncio.gather(*(open_console(base, agent) for agent in agents))
    start = asyncio.Event()
    try:
        tasks = [asyncio.create_task(race(base, agent, spread, start)) for agent in agents]
        await asyncio.sleep(0.1)  # every agent waits at the start line
        started = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    finally:
        for agent in agents:
            if agent.http is not None:
                await agent.http.close()
    return agents, elapsed


# --------------------------------------------------------------------------------- checks


def verify(database_url: str, numbers: list[str], agents: list[Agent]) -> dict[str, Any]:
    """What the database holds after the race (a read-only connection)."""
    engine = create_engine(
        database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        connect_args={"options": "-c default_transaction_read_only=on"},
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT t.number, t.assignee_id, t.status, c.status AS chat, c.agent_id,"
                    " (SELECT count(*) FROM ticket_events e"
                    "   WHERE e.ticket_id = t.id AND e.kind = 'assigned') AS assigned"
                    " FROM tickets t LEFT JOIN conversations c ON c.id = t.conversation_id"
                )
            ).all()
            server = conn.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()
    winners: dict[str, list[int]] = defaultdict(list)
    for agent in agents:
        for number in agent.won:
            winners[number].append(agent.user_id)
    by_number = {row.number: row for row in rows}
    double = unclaimed = no_win = extra_events = chat_mismatch = 0
    for number in numbers:
        row = by_number.get(number)
        won = winners.get(number, [])
        if len(won) > 1 or (won and row is not None and won[0] != row.assignee_id):
            double += 1
        if row is None or row.assignee_id is None:
            unclaimed += 1
            continue
        if not won:
            no_win += 1  # an owner no claim answered 200 for
        if row.assigned != 1:
            extra_events += 1
        if row.chat != "agent" or row.agent_id != row.assignee_id:
            chat_mismatch += 1
    return {
        "tickets_in_database": len(rows),
        "double_assignments": double,
        "unclaimed": unclaimed,
        "assigned_without_win": no_win,
        "assigned_events_not_one": extra_events,
        "chat_owner_mismatches": chat_mismatch,
        "unknown_wins": len(set(winners) - set(numbers)),
        "postgres": server,
    }


# ----------------------------------------------------------------------------------- main


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_url_for(argument: str | None) -> str:
    if argument and "://" in argument:
        return argument
    admin = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    return hubproc.postgres_database_url(admin, argument, prefix="bench_claim")


def count_tickets(database_url: str) -> int:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument(
        "--capacity",
        type=int,
        help=f"concurrent chats per agent (default: the hub's maximum, {hubproc.MAX_CAPACITY})",
    )
    parser.add_argument(
        "--spread",
        type=int,
        default=5,
        help="each agent starts on a random one of the N oldest tickets (1: all on the oldest; "
        "default 5)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database",
        help="database name on BENCH_POSTGRES_URL's server, or a full URL (default: a new "
        "bench_claim_XXXXXXXX); created when missing, must hold no tickets",
    )
    args = parser.parse_args(argv)
    capacity = args.capacity or hubproc.MAX_CAPACITY
    if min(args.agents, args.tickets, args.spread) < 1:
        parser.error("--agents, --tickets and --spread must be at least 1")
    if args.agents * capacity < args.tickets:
        parser.error(
            f"{args.agents} agents x capacity {capacity} cannot hold {args.tickets} tickets"
        )
    url = database_url_for(args.database)
    ensure_postgres_database(url)
    hub: hubproc.Hub | None = None
    try:
        hub = hubproc.start_hub(url, LOG)
        if count_tickets(url):
            raise SystemExit(f"{hubproc.database_name(url)} already holds tickets: use a new one")
        started = time.perf_counter()
        emails = hubproc.add_agents(url, args.agents, capacity, PASSWORD)
        agents_seconds = time.perf_counter() - started
        note(f"{args.agents} agents added in {agents_seconds:.0f} s")
        started = time.perf_counter()
        numbers = asyncio.run(queue_tickets(hub, args.tickets))
        setup_seconds = time.perf_counter() - started
        note(f"{len(numbers)} tickets queued in {setup_seconds:.0f} s; the race starts")
        load_before = hubproc.load_average()
        cpu_before = hubproc.cpu_seconds(hub.pid)
        agents, elapsed = asyncio.run(run_race(hub.url, emails, args.spread))
        hub_cpu = hubproc.cpu_since(hub.pid, cpu_before)
        load_after = hubproc.load_average()
        checks = verify(url, numbers, agents)
    except StackError as exc:  # the hub did not start, or an answer was not the expected one
        raise SystemExit(str(exc)) from None
    finally:
        if hub is not None:
            hubproc.stop_hub(hub)
        if not args.keep:
            drop_postgres_database(url)

    errors: Counter = Counter()
    for agent in agents:
        errors.update(agent.errors)
    claims = sum(len(agent.won) for agent in agents)
    won_ms = [ms for agent in agents for ms in agent.won_ms]
    conflict_ms = [ms for agent in agents for ms in agent.conflict_ms]
    per_agent = [len(agent.won) for agent in agents]
    requests = len(won_ms) + len(conflict_ms) + sum(len(agent.queue_ms) for agent in agents)
    ok = (
        claims == args.tickets
        and len({n for agent in agents for n in agent.won}) == args.tickets
        and checks["double_assignments"] == 0
        and checks["unclaimed"] == 0
        and checks["assigned_without_win"] == 0
        and checks["assigned_events_not_one"] == 0
        and checks["chat_owner_mismatches"] == 0
        and checks["unknown_wins"] == 0
        and sum(agent.mismatches for agent in agents) == 0
        and not errors
    )
    print(
        json.dumps(
            {
                "benchmark": "claim",
                "agents": args.agents,
                "tickets": args.tickets,
                "capacity": capacity,
                "spread": args.spread,
                "claims": claims,
                "conflicts": sum(agent.conflicts for agent in agents),
                "at_capacity": sum(agent.at_capacity for agent in agents),
                "repeat_claims": sum(agent.repeats for agent in agents),
                "claims_per_s": round(claims / elapsed, 1),
                "attempts_per_s": round((len(won_ms) + len(conflict_ms)) / elapsed, 1),
                "race_seconds": round(elapsed, 2),
                "claim_ms": hubproc.timings(won_ms + conflict_ms),
                "won_ms": hubproc.timings(won_ms),
                "conflict_ms": hubproc.timings(conflict_ms),
                "queue_ms": hubproc.timings([ms for agent in agents for ms in agent.queue_ms]),
                "claims_per_agent": {"min": min(per_agent), "max": max(per_agent)},
                "hub_cpu_seconds": None if hub_cpu is None else round(hub_cpu, 1),
                "hub_cpu_ms_per_request": None
                if hub_cpu is None
                else round(hub_cpu * 1000 / max(1, requests), 1),
                "answer_mismatches": sum(agent.mismatches for agent in agents),
                **checks,
                "errors": dict(errors),
                "agents_seconds": round(agents_seconds, 1),
                "setup_seconds": round(setup_seconds, 1),
                "load_average_before": load_before,
                "load_average": load_after,
                "cpus": os.cpu_count(),
                "database": hubproc.database_name(url) if args.keep else None,
                "ok": ok,
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
