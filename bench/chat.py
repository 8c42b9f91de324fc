"""Chat benchmark: the cost of a customer turn through the hub, beside the same turns at Rasa.

Starts the real stack (action server, Rasa, hub) on free ports, then for 1, 10, 50 and 200
concurrent simulated customers, each holding a 6-turn conversation (one message after the
other, each waiting for its answer; at low concurrency each customer holds several in a row,
so that every level has at least ``--min-turns`` turns), runs the same turns twice in the
same run:

- ``hub``: through the public chat API (``POST /api/chat/sessions/{id}/messages``): the
  customer's message stored, forwarded to Rasa under the hub's back-pressure, the replies
  stored and returned;
- ``rasa``: straight to the Rasa server's hub channel (``POST /webhooks/hub/webhook``, what
  the hub itself calls), each customer a fresh sender id.

Prints one JSON line: per concurrency and path, p50/p95 per turn, turns/s and (hub) the
apologies; and the ratios hub/rasa at p50 and p95. The hub's own cost per turn is the
difference (issue 14's target: ≤ 10 % at p50). ``--database postgresql`` runs the hub on a
fresh PostgreSQL database (``TEST_POSTGRES_URL``'s server) instead of SQLite. ``--scaled N``
runs the scaled topology instead (scripts/scaled.py: HAProxy in front of N hubs, N Rasa
servers and N action servers, on PostgreSQL and Redis); ``rasa`` then goes through HAProxy's
Rasa frontend, to all N Rasa servers.

    .venv-hub/bin/python bench/chat.py
    .venv-hub/bin/python bench/chat.py --concurrency 1,10 --database postgresql
    .venv-hub/bin/python bench/chat.py --scaled 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.scaled import ScaledStack, drop_postgres_database, ensure_postgres_database  # noqa: E402
from scripts.stack import Stack, free_port  # noqa: E402
from scripts.train import ensure_model  # noqa: E402

CONVERSATION = [
    "hi",
    "how long does delivery take?",
    "can I return an item?",
    "which payment methods do you accept?",
    "do you have gift cards?",
    "thanks, that's all",
]
APOLOGY = "not answering right now"
POSTGRES_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def through_hub(http: aiohttp.ClientSession, base: str, latencies: list) -> int:
    async with http.post(f"{base}/api/chat/sessions", json={}) as response:
        session = await response.json()
    auth = {"Authorization": f"Bearer {session['token']}"}
    url = f"{base}/api/chat/sessions/{session['session_id']}/messages"
    apologies = 0
    for text in CONVERSATION:
        started = time.perf_counter()
        async with http.post(url, json={"text": text}, headers=auth) as response:
            body = await response.json()
        latencies.append(time.perf_counter() - started)
        replies = [m for m in body.get("messages", []) if m["sender"] != "customer"]
        apologies += any(APOLOGY in (m.get("text") or "") for m in replies)
    return apologies


async def straight_to_rasa(
    http: aiohttp.ClientSession, stack, latencies: list, url: str = ""
) -> int:
    sender = f"bench-{uuid.uuid4().hex}"
    auth = {"Authorization": f"Bearer {stack.rasa_token}"}
    failures = 0
    for number, text in enumerate(CONVERSATION):
        body = {"sender": sender, "message": text, "message_id": str(number), "metadata": {}}
        started = time.perf_counter()
        async with http.post(
            f"{url or stack.rasa_url}/webhooks/hub/webhook", json=body, headers=auth
        ) as response:
            await response.read()
            failures += response.status != 200
        latencies.append(time.perf_counter() - started)
    return failures


async def conversations(
    http: aiohttp.ClientSession, stack, path: str, rounds: int, latencies: list
) -> int:
    """One customer's ``rounds`` conversations in a row by ``path``; apologies or failures."""
    total = 0
    for _ in range(rounds):
        if path == "hub":
            total += await through_hub(http, stack.hub_url, latencies)
        else:
            total += await straight_to_rasa(http, stack, latencies)
    return total


def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "turns_per_s": round(len(ordered) / elapsed, 1),
    }


async def measure(stack, concurrency: list[int], min_turns: int) -> list[dict]:
    rows = []
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=900)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        # each Rasa server warms itself up before it reports healthy (bot/channels.py); one
        # conversation each way opens the connections
        await through_hub(http, stack.hub_url, [])
        await straight_to_rasa(http, stack, [])
        for customers in concurrency:
            # a few customers hold several conversations in a row: enough turns to measure
            rounds = max(1, math.ceil(min_turns / (customers * len(CONVERSATION))))
            row: dict = {"customers": customers, "turns": rounds * customers * len(CONVERSATION)}
            for path in ("hub", "rasa"):
                latencies: list[float] = []

                started = time.perf_counter()
                outcomes = await asyncio.gather(
                    *(conversations(http, stack, path, rounds, latencies) for _ in range(customers))
                )
                elapsed = time.perf_counter() - started
                row[path] = summary(latencies, elapsed)
                row[path]["apologies" if path == "hub" else "failures"] = sum(outcomes)
            row["ratio_p50"] = round(row["hub"]["p50_ms"] / row["rasa"]["p50_ms"], 3)
            row["ratio_p95"] = round(row["hub"]["p95_ms"] / row["rasa"]["p95_ms"], 3)
            row["hub_cost_p50_ms"] = round(row["hub"]["p50_ms"] - row["rasa"]["p50_ms"], 1)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", default="1,10,50,200", help="customers at once, a list")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--min-turns", type=int, default=120, help="turns per level at least")
    parser.add_argument(
        "--scaled", type=int, default=0, metavar="N", help="N of each process behind HAProxy"
    )
    args = parser.parse_args()
    concurrency = [int(n) for n in args.concurrency.split(",") if n.strip()]
    model = ensure_model(quiet=True)
    limits = {"RATE_LIMITS": "session_ip=100000/60,message_session=100000/60"}
    if args.scaled:
        args.database = "postgresql"
    with tempfile.TemporaryDirectory() as tmp:
        postgres = args.database == "postgresql"
        if postgres:  # a fresh database on the test PostgreSQL server, dropped afterwards
            name = f"helpdesk_bench_{uuid.uuid4().hex[:8]}"
            database_url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
            ensure_postgres_database(database_url)
        else:
            database_url = f"sqlite:///{tmp}/chat.db"
        if args.scaled:
            redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
            stack = ScaledStack(
                model, database_url=database_url, redis_url=redis_url,
                public_port=free_port(), internal_port=free_port(), rasa_port=free_port(),
                actions_port=free_port(), stats_port=free_port(), instances=args.scaled,
                run_dir=Path(tmp), extra_env=limits,
            )  # fmt: skip
        else:
            stack = Stack(
                model,
                hub_port=free_port(),
                rasa_port=free_port(),
                actions_port=free_port(),
                database_url=database_url,
                log_dir=Path(tmp) / "logs",
                run_dir=Path(tmp),
                extra_env=limits,
            )
        stack.start(timeout=900)
        try:
            rows = asyncio.run(measure(stack, concurrency, args.min_turns))
        finally:
            stack.stop()
            if postgres:
                drop_postgres_database(database_url)
    topology = f"scaled x{args.scaled}" if args.scaled else "single"
    print(
        json.dumps(
            {"benchmark": "chat", "topology": topology, "database": args.database, "results": rows}
        )
    )


if __name__ == "__main__":
    main()
