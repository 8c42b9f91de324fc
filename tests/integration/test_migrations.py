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
