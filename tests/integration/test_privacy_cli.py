"""``python -m ticketing customer export|erase`` and ``retention``: what an operator runs for an
access or erasure request, on the database the hub uses (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from sqlalchemy import select

from ticketing.models import AuditEntry

from .conftest import count_rows

EMAIL = "cli.subject@example.com"


async def _cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "RASA_URL": "http://127.0.0.1:9"}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ticketing", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


async def test_export_then_erase_from_the_command_line(
    client, hub, new_chat, database_url, tmp_path
):
    chat = await new_chat(customer={"email": EMAIL, "name": "Cli Subject"})
    await chat.send("hello, it's about my order")

    out = tmp_path / "bundle.json"
    exported = await _cli(database_url, "customer", "export", EMAIL, "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert bundle["conversations"][0]["session_id"] == chat.session_id
    assert bundle["conversations"][0]["messages"][0]["text"] == "hello, it's about my order"

    erased = await _cli(database_url, "customer", "erase", EMAIL)  # a script: no question
    assert erased.returncode == 0, erased.stderr
    assert "1 conversations" in erased.stdout and EMAIL not in erased.stdout + erased.stderr
    messages = await count_rows(hub, "messages")
    again = await _cli(database_url, "customer", "erase", EMAIL, "--yes")
    assert again.returncode == 0 and "Nothing changed" in again.stdout
    unknown = await _cli(database_url, "customer", "export", EMAIL)
    assert unknown.returncode == 1 and "No personal data" in unknown.stderr
    assert await count_rows(hub, "messages") == messages
    async with hub.sessions() as db:
        actions = list((await db.execute(select(AuditEntry.actor, AuditEntry.action))).all())
    assert actions == [("cli", "subject.exported"), ("cli", "subject.erased")]


async def test_retention_dry_run_from_the_command_line(client, new_chat, database_url):
    await new_chat()
    run = await _cli(database_url, "retention", "--dry-run")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["dry_run"] is True and report["days"]["transcripts"] == 730
    assert report["would_remove"] == {
        "transcripts": 0,
        "rating_comments": 0,
        "audit_log": 0,
        "outbox": 0,
    }
