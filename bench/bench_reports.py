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

Growth (``--growth 1000,10000,100000``: conversations, ~9.6 messages each, so ~10k, 100k and
1M messages) builds the history in one database step by step: it generates the first step,
runs ``VACUUM ANALYZE`` and measures, then adds conversations up to the next step (with seed
+ step index, spread over the same ``--days``, so each day gets busier), vacuums and measures
again, and so on; the whole curve costs about one generation of the last step.
``--conversations`` is ignored, ``--csv-runs 0`` skips the CSV export to keep it short, the
plans of every step go to var/bench/reports_growth_plans.txt. One JSON line for the curve:

    {"benchmark": "reports_growth", "steps": [{"conversations", "messages", "tickets",
     "ratings", "generate_seconds", "database_mb", "summary_ms", "search_ms", ...,
     "load_average"}, ...], "total_seconds": ..., "target_p95_ms": 500, "ok": ..., ...}

    python bench/bench_reports.py --growth 1000,10000,100000   # ~ the 100,000 run's time
    python bench/bench_reports.py --growth 200,1000 --runs 3   # quick (under a minute)

While it measures, the hub's SQL statements time out after ``--timeout`` seconds (set on the
benchmark's database): a request with a pathological plan then fails fast, is counted as
``"failed"`` in its timings (its time a lower bound) and makes the run not ok, instead of
holding the machine for minutes.

Defaults: 30 timed runs per request (``--runs``), 5 CSV exports (``--csv-runs``), 180 days
(``--days``), seed 7, a 10 s statement timeout (``--timeout``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import os
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, make_url, select, text
from sqlalchemy.exc import DBAPIError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.scaled import drop_postgres_database, ensure_postgres_database  # noqa: E402
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


def _timings(values: list[float], failed: int = 0) -> dict[str, float | None]:
    """Percentiles of ``values`` (failed requests included, their time a lower bound)."""
    return {
        "p50": round(percentile(values, 50), 1) if values else None,
        "p95": round(percentile(values, 95), 1) if values else None,
        "max": round(max(values), 1) if values else None,
        "runs": len(values),
        **({"failed": failed} if failed else {}),
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
            try:
                rows = await conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                )
                plan = _short("\n".join(row[0] for row in rows))
            except DBAPIError as exc:  # e.g. over the statement timeout
                await conn.rollback()
                plan = f"EXPLAIN failed: {exc.orig!r}"
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

        failed: Counter[str] = Counter()  # requests that did not answer 200, by path

        async def timed(path: str, body: bool = False) -> tuple[float, Any]:
            started = time.perf_counter()
            response = await client.get(path)
            payload = await (response.read() if body else response.json())
            took = (time.perf_counter() - started) * 1000
            if response.status != 200:
                failed[path.partition("?")[0]] += 1
                print(f"{path}: {response.status} after {took:.0f} ms", file=sys.stderr)
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

        failed.clear()
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
        "plans": summary_plans + search_plans,
        "summary_ms": _timings(summary_ms, failed["/api/reports/summary"]),
        "search_ms": _timings(search_ms, failed["/api/conversations"]),
        "search_total_hits_sample": found.get("total"),
        "csv_month_ms": _timings(csv_ms, failed["/api/conversations.csv"]),
        "csv_month": f"{first}..{last}",
        "csv_month_rows": rows,
    }


def _generate(url: str, n: int, seed: int, days: int) -> dict[str, int]:
    """Add ``n`` conversations to the database; how many rows of each kind were written."""

    def progress(done: int, total: int) -> None:
        print(f"generated {done}/{total} conversations", file=sys.stderr, flush=True)

    return asyncio.run(demo_history.generate(url, n, seed=seed, days=days, progress=progress))


@contextlib.contextmanager
def _autocommit(url: str) -> Iterator[Connection]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT", future=True)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _database_facts(url: str, vacuum: bool) -> tuple[int, str]:
    """``VACUUM ANALYZE`` (if ``vacuum``), then the database's size in bytes and the server."""
    with _autocommit(url) as conn:
        if vacuum:
            conn.execute(text("VACUUM ANALYZE"))
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
        server = conn.execute(text("SHOW server_version")).scalar()
    return size, server


def _statement_timeout(url: str, seconds: float | None) -> None:
    """Set (or with None reset) the database's default statement timeout for new sessions."""
    value = f"'{round(seconds * 1000)}ms'" if seconds else "DEFAULT"
    with _autocommit(url) as conn:
        conn.execute(
            text(f'ALTER DATABASE "{make_url(url).database}" SET statement_timeout = {value}')
        )


def _measure_within(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """``_measure`` with ``--timeout`` as the hub's statement timeout: a pathological plan
    fails that request (counted as failed) instead of holding the benchmark for minutes."""
    _statement_timeout(url, args.timeout)
    try:
        return asyncio.run(_measure(url, args.runs, args.csv_runs))
    finally:
        _statement_timeout(url, None)


def _write_plans(path: Path, sections: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# EXPLAIN (ANALYZE, BUFFERS) of the slowest statements\n\n" + "\n".join(sections),
        encoding="utf-8",
    )


def _ok(results: dict[str, Any]) -> bool:
    timings = [results["summary_ms"], results["search_ms"], results["csv_month_ms"]]
    return (
        results["summary_ms"]["p95"] < TARGET_MS
        and results["search_ms"]["p95"] < TARGET_MS
        and not any(t.get("failed") for t in timings)
    )


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


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


def _single(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Generate ``--conversations`` (or count ``--database``'s), vacuum, measure once."""
    started = time.perf_counter()
    if args.database:
        counts = asyncio.run(_counts(url))
    else:
        counts = _generate(url, args.conversations, args.seed, args.days)
    generate_seconds = time.perf_counter() - started
    size, server = _database_facts(url, vacuum=not args.database)
    results = _measure_within(url, args)
    _write_plans(args.plans, results.pop("plans"))
    return {
        "benchmark": "reports",
        "conversations": counts["conversations"],
        "messages": counts["messages"],
        "tickets": counts["tickets"],
        "ratings": counts["ratings"],
        "days": args.days,
        "generate_seconds": None if args.database else round(generate_seconds, 1),
        "load_average": _load_average(),
        "cpus": os.cpu_count(),
        "database_mb": round(size / 2**20),
        "postgres": server,
        "timezone": load_shop().calendar.timezone,
        **results,
        "target_p95_ms": TARGET_MS,
        "ok": _ok(results),
        "plans": str(args.plans),
    }


def _growth(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Grow one database through ``--growth``'s sizes, vacuuming and measuring at each."""
    started = time.perf_counter()
    steps: list[dict[str, Any]] = []
    plans: list[str] = []
    have = 0
    for index, target in enumerate(args.growth):
        step_started = time.perf_counter()
        _generate(url, target - have, args.seed + index, args.days)
        generate_seconds = time.perf_counter() - step_started
        size, server = _database_facts(url, vacuum=True)
        counts = asyncio.run(_counts(url))
        have = counts["conversations"]
        results = _measure_within(url, args)
        plans += [f"## {have:,} conversations, {counts['messages']:,} messages\n"]
        plans += results.pop("plans")
        steps.append(
            {
                **counts,
                "generate_seconds": round(generate_seconds, 1),
                "database_mb": round(size / 2**20),
                **results,
                "load_average": _load_average(),
            }
        )
        print(f"step {index + 1}: {json.dumps(steps[-1])}", file=sys.stderr, flush=True)
    _write_plans(args.plans, plans)
    return {
        "benchmark": "reports_growth",
        "days": args.days,
        "runs": args.runs,
        "csv_runs": args.csv_runs,
        "seed": args.seed,
        "steps": steps,
        "total_seconds": round(time.perf_counter() - started, 1),
        "load_average": _load_average(),
        "cpus": os.cpu_count(),
        "postgres": server,
        "timezone": load_shop().calendar.timezone,
        "target_p95_ms": TARGET_MS,
        "ok": all(_ok(step) for step in steps),
        "plans": str(args.plans),
    }


def _sizes(value: str) -> list[int]:
    """``1000,10000,100000`` -> [1000, 10000, 100000] (positive and increasing)."""
    try:
        sizes = [int(part.replace("_", "")) for part in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value!r}") from None
    if sizes[0] < 1 or any(a >= b for a, b in itertools.pairwise(sizes)):
        raise argparse.ArgumentTypeError(f"sizes must be positive and increasing: {value!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument(
        "--growth",
        type=_sizes,
        metavar="N,N,...",
        help="measure at each of these conversation counts, growing one database",
    )
    parser.add_argument("--days", type=int, default=180, help="history spread over N days")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per request")
    parser.add_argument("--csv-runs", type=int, default=5, help="0 skips the CSV export")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="statement timeout (s) of the hub while measuring; a request over it fails",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database", help="measure this already generated database (URL) instead of a new one"
    )
    parser.add_argument(
        "--plans",
        type=Path,
        help="default var/bench/reports_plans.txt (reports_growth_plans.txt with --growth)",
    )
    args = parser.parse_args(argv)
    if args.growth and args.database:
        parser.error("--growth builds its own database: drop --database")
    if args.plans is None:
        args.plans = ROOT / "var" / "bench" / f"reports{'_growth' if args.growth else ''}_plans.txt"
    logging.basicConfig(level=logging.WARNING)

    if args.database:
        url, args.keep = args.database, True
    else:
        admin_url = os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        )
        url = f"{admin_url.rsplit('/', 1)[0]}/bench_reports_{uuid.uuid4().hex[:8]}"
        ensure_postgres_database(url)
    try:
        db.upgrade(url)
        line = _growth(url, args) if args.growth else _single(url, args)
    finally:
        if not args.keep:
            drop_postgres_database(url)
    line["database"] = url.rsplit("/", 1)[1] if args.keep else None
    print(json.dumps(line))
    return 0 if line["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
