"""Supervisor reports benchmark: dashboard summary, transcript search and a month's CSV export
on PostgreSQL with a generated history (``ticketing.demo_history``).

It creates its own database on the server of ``BENCH_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/test), migrates it, generates N conversations (~10
messages each), runs ``VACUUM ANALYZE``, serves the hub in-process and times, from an HTTP
client, each request ``--runs`` times. It prints one JSON line:

    {"benchmark": "reports", "conversations": ..., "messages": ..., "generate_seconds": ...,
     "summary_ms": {"p50", "p95", "max"}, "search_ms": {...}, "csv_month_ms": {...},
     "csv_month_rows": ..., "target_p95_ms": 500, "ok": true|false, ...}

and writes the EXPLAIN (ANALYZE, BUFFERS) plans of the slowest SQL statements of one summary
and one search to ``--plans`` (default var/bench/reports_plans.txt). The database is dropped
at the end unless ``--keep``.

    python bench/bench_reports.py                          # 100,000 conversations
    python bench/bench_reports.py --conversations 5000 --runs 5   # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ticketing import db, staff  # noqa: E402
from ticketing.demo import history as demo_history  # noqa: E402
from ticketing.models import User  # noqa: E402
from ticketing.reports.stats import percentile  # noqa: E402
from ticketing.settings import Settings  # noqa: E402
from ticketing.shop import load_shop  # noqa: E402
from ticketing.web import report_views  # noqa: E402
from ticketing.web.app import init_app  # noqa: E402
from ticketing.web.keys import HUB  # noqa: E402

TARGET_MS = 500
SEARCH_WORDS = ["refund", "broken", "delivery", "password", "invoice", "parcel", "rude"]
PASSWORD = "bench-password-123"
EMAIL = "bench-supervisor@example.com"


def _timings(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": round(percentile(values, 50), 1) if values else None,
        "p95": round(percentile(values, 95), 1) if values else None,
        "max": round(max(values), 1) if values else None,
        "runs": len(values),
    }


def _last_full_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _short(text_: str) -> str:
    """Long id lists (``%s, %s, ...`` or ``{1,2,...}``) cut to their first items."""
    text_ = re.sub(r"(%s, ){8,}%s", lambda m: f"%s, ... ({m.group(0).count('%s')} ids)", text_)
    text_ = re.sub(
        r"(\d+, ){8,}\d+",
        lambda m: f"{m.group(0)[:40]}... ({m.group(0).count(',') + 1} ids)",
        text_,
    )
    return re.sub(
        r"(\d+,){8,}\d+", lambda m: f"{m.group(0)[:40]}... ({m.group(0).count(',') + 1} ids)", text_
    )


class Recorder:
    """Every SQL statement run through the hub's engine, with its duration."""

    def __init__(self, engine) -> None:
        self.active = False
        self.statements: list[tuple[float, str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            took = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
            self.statements.append((took, statement, parameters))


async def _explain(hub, recorder: Recorder, label: str, top: int) -> list[str]:
    slowest = sorted(recorder.statements, key=lambda item: -item[0])[:top]
    out = []
    async with hub.engine.connect() as conn:
        for took, statement, parameters in slowest:
            rows = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = _short("\n".join(row[0] for row in rows))
            sql = _short(statement.strip())
            out.append(
                f"### {label}: {took:.1f} ms in the app\n\n```sql\n{sql}\n```\n"
                f"parameters: {_short(repr(parameters))}\n\n```\n{plan}\n```\n"
            )
    return out


async def _measure(url: str, runs: int, csv_runs: int) -> dict[str, Any]:
    from aiohttp.test_utils import TestClient, TestServer

    app = init_app(Settings(database_url=url, rasa_url="http://127.0.0.1:9"))
    if "/api/reports/summary" not in {r.canonical for r in app.router.resources()}:
        app.router.add_routes(report_views.routes)
    async with TestClient(TestServer(app)) as client:
        hub = client.app[HUB]
        async with hub.sessions() as session, session.begin():
            known = await session.scalar(select(User.id).where(User.email == EMAIL))
            if known is None:
                await staff.create_user(
                    session, EMAIL, PASSWORD, role="supervisor", name="Bench", teams=["general"]
                )
        login = await client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status == 200, await login.text()

        async def timed(path: str, body: bool = False) -> tuple[float, Any]:
            started = time.perf_counter()
            response = await client.get(path)
            payload = await (response.read() if body else response.json())
            took = (time.perf_counter() - started) * 1000
            assert response.status == 200, (path, payload)
            return took, payload

        recorder = Recorder(hub.engine.sync_engine)
        # warm up (connections, caches), then record one of each for the plans
        await timed("/api/reports/summary")
        await timed(f"/api/conversations?q={SEARCH_WORDS[0]}")
        recorder.active = True
        await timed("/api/reports/summary")
        recorder.active = False
        summary_plans = await _explain(hub, recorder, "summary", 4)
        recorder.statements.clear()
        recorder.active = True
        _, found = await timed(f"/api/conversations?q={SEARCH_WORDS[1]}")
        recorder.active = False
        search_plans = await _explain(hub, recorder, f"search q={SEARCH_WORDS[1]}", 3)

        summary_ms = [(await timed("/api/reports/summary"))[0] for _ in range(runs)]
        search_ms = []
        for i in range(runs):
            word = SEARCH_WORDS[i % len(SEARCH_WORDS)]
            search_ms.append((await timed(f"/api/conversations?q={word}"))[0])
        first, last = _last_full_month(datetime.now(timezone.utc).date())
        csv_ms, rows = [], 0
        for _ in range(csv_runs):
            took, body = await timed(f"/api/conversations.csv?from={first}&to={last}", body=True)
            csv_ms.append(took)
            rows = body.count(b"\r\n") - 1
    return {
        "plans_text": "# EXPLAIN (ANALYZE, BUFFERS) of the slowest statements\n\n"
        + "\n".join(summary_plans + search_plans),
        "summary_ms": _timings(summary_ms),
        "search_ms": _timings(search_ms),
        "search_total_hits_sample": found["total"],
        "csv_month_ms": _timings(csv_ms),
        "csv_month": f"{first}..{last}",
        "csv_month_rows": rows,
    }


def _generate(url: str, args: argparse.Namespace) -> dict[str, int]:
    def progress(done: int, total: int) -> None:
        print(f"generated {done}/{total} conversations", file=sys.stderr, flush=True)

    return asyncio.run(
        demo_history.generate(
            url, args.conversations, seed=args.seed, days=args.days, progress=progress
        )
    )


async def _counts(url: str) -> dict[str, int]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                table: (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                for table in ("conversations", "messages", "tickets", "ratings")
            }
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180, help="history spread over N days")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per request")
    parser.add_argument("--csv-runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database", help="measure this already generated database (URL) instead of a new one"
    )
    parser.add_argument("--plans", type=Path, default=ROOT / "var" / "bench" / "reports_plans.txt")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    if args.database:
        url, name, args.keep = args.database, args.database.rsplit("/", 1)[1], True
    else:
        name = f"bench_reports_{uuid.uuid4().hex[:8]}"
        url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        db.upgrade(url)
        started = time.perf_counter()
        counts = asyncio.run(_counts(url)) if args.database else _generate(url, args)
        generate_seconds = time.perf_counter() - started
        vacuum = create_engine(url, isolation_level="AUTOCOMMIT", future=True)
        with vacuum.connect() as conn:
            if not args.database:
                conn.execute(text("VACUUM ANALYZE"))
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
            server = conn.execute(text("SHOW server_version")).scalar()
        vacuum.dispose()
        results = asyncio.run(_measure(url, args.runs, args.csv_runs))
        args.plans.parent.mkdir(parents=True, exist_ok=True)
        args.plans.write_text(results.pop("plans_text"), encoding="utf-8")
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    ok = results["summary_ms"]["p95"] < TARGET_MS and results["search_ms"]["p95"] < TARGET_MS
    print(
        json.dumps(
            {
                "benchmark": "reports",
                "conversations": counts["conversations"],
                "messages": counts["messages"],
                "tickets": counts["tickets"],
                "ratings": counts["ratings"],
                "days": args.days,
                "generate_seconds": None if args.database else round(generate_seconds, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "cpus": os.cpu_count(),
                "database_mb": round(size / 2**20),
                "postgres": server,
                "timezone": load_shop().calendar.timezone,
                **results,
                "target_p95_ms": TARGET_MS,
                "ok": ok,
                "plans": str(args.plans),
                "database": name if args.keep else None,
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
