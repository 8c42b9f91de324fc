"""Sales-day load: many customers chatting at once through the hub (issue 14).

Starts the real stack (action server, Rasa, hub on SQLite) on free ports, then N customers
each send M messages one after the other (each waits for its answer, like a person), all
customers at once. Prints one JSON line: turns, turns answered by the bot, apologies
("not answering right now"), lost / duplicated / out-of-order messages (checked against the
stored transcripts), latency p50/p95/max per turn, turns per second, and the hub's
back-pressure settings.

    python bench/load.py                              # 200 customers x 10 messages
    python bench/load.py --customers 50 --messages 5  # quick
    RASA_CONCURRENCY=4 python bench/load.py           # another bound
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.stack import Stack, free_port  # noqa: E402
from scripts.train import ensure_model  # noqa: E402

QUESTIONS = [
    "how long does delivery take?",
    "can I return an item?",
    "which payment methods do you accept?",
    "do you ship abroad?",
    "how do I change my delivery address?",
    "what is your warranty?",
    "can I cancel my order?",
    "do you have gift cards?",
    "how much is delivery?",
    "thanks, that's all",
]
APOLOGY = "not answering right now"


async def customer(http, base: str, index: int, messages: int, latencies: list) -> dict:
    async with http.post(f"{base}/api/chat/sessions", json={}) as response:
        session = await response.json()
    auth = {"Authorization": f"Bearer {session['token']}"}
    url = f"{base}/api/chat/sessions/{session['session_id']}/messages"
    sent, answered, apologies = [], 0, 0
    for turn in range(messages):
        text = f"{QUESTIONS[(index + turn) % len(QUESTIONS)]} (#{index}.{turn})"
        started = time.perf_counter()
        async with http.post(
            url, json={"text": text}, headers={**auth, "Idempotency-Key": f"{index}-{turn}"}
        ) as response:
            body = await response.json()
        latencies.append(time.perf_counter() - started)
        sent.append(text)
        replies = [m for m in body.get("messages", []) if m["sender"] != "customer"]
        if any(APOLOGY in (m.get("text") or "") for m in replies):
            apologies += 1
        elif any(m["sender"] == "bot" for m in replies):
            answered += 1
    async with http.get(f"{url}?limit=500", headers=auth) as response:
        stored = [
            m["text"] for m in (await response.json())["messages"] if m["sender"] == "customer"
        ]
    return {
        "answered": answered,
        "apologies": apologies,
        "lost": len([t for t in sent if t not in stored]),
        "duplicated": len(stored) - len(set(stored)),
        "out_of_order": int(stored != sent[: len(stored)]),
    }


async def run(base: str, customers: int, messages: int) -> dict:
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(customer(http, base, i, messages, latencies) for i in range(customers))
        )
        elapsed = time.perf_counter() - started
    total = {key: sum(r[key] for r in results) for key in results[0]}
    ordered = sorted(latencies)
    return {
        "benchmark": "load",
        "customers": customers,
        "messages_each": messages,
        "turns": len(latencies),
        **total,
        "latency_p50_ms": round(statistics.median(ordered) * 1000, 1),
        "latency_p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
        "latency_max_ms": round(ordered[-1] * 1000, 1),
        "turns_per_s": round(len(latencies) / elapsed, 1),
        "rasa_concurrency": int(os.environ.get("RASA_CONCURRENCY", 8)),
        "rasa_queue_timeout_s": float(os.environ.get("RASA_QUEUE_TIMEOUT", 60)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    args = parser.parse_args()
    model = ensure_model(quiet=True)
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(
            model,
            hub_port=free_port(),
            rasa_port=free_port(),
            actions_port=free_port(),
            database_url=f"sqlite:///{tmp}/load.db",
            log_dir=Path(tmp) / "logs",
            run_dir=Path(tmp),
            extra_env={"RATE_LIMITS": "session_ip=100000/60,message_session=100000/60"},
        )
        stack.start(timeout=400)
        try:
            print(json.dumps(asyncio.run(run(stack.hub_url, args.customers, args.messages))))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
