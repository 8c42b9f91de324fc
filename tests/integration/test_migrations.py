"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from alembic import command

from ticketing.db import alembic_config, upgrade


def _upgrade_and_check(url: str) -> None:
    upgrade(url)
    command.check(alembic_config(url))  # raises when autogenerate would find a difference


async def test_migrations_match_the_models(database_url):
    # Alembic runs its own event loop: keep it off the test's running loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_upgrade_and_check, database_url).result()


def test_hubs_started_together_on_a_new_postgresql_database_migrate_once():
    """Scale-out: two hubs starting at once on an empty database (each migrates on start);
    without the advisory lock one of them failed creating the tables the other was creating."""
    import os
    import subprocess
    import sys
    import uuid

    from scripts.scaled import drop_postgres_database, ensure_postgres_database
    from tests.conftest import POSTGRES_ADMIN_URL, ROOT

    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/helpdesk_migrate_{uuid.uuid4().hex[:8]}"
    ensure_postgres_database(url)
    try:
        # three processes (Alembic's context is one per process), as three hubs would be
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        command_line = [sys.executable, "-m", "ticketing", "db", "upgrade"]
        runs = [
            subprocess.Popen(command_line, env=env, cwd=ROOT, stderr=subprocess.PIPE)
            for _ in range(3)
        ]
        failures = [run.stderr.read().decode() for run in runs if run.wait(120) != 0]
        assert failures == []
        with ThreadPoolExecutor(1) as pool:
            pool.submit(command.check, alembic_config(url)).result()
    finally:
        drop_postgres_database(url)
