"""Alembic environment: runs migrations over the async engine of the configured URL."""

import asyncio

from alembic import context
from sqlalchemy import String, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ticketing.db import create_engine
from ticketing.models import Base
from ticketing.privacy.crypto import Encrypted

config = context.config
target_metadata = Base.metadata


# Full-text search objects live in migrations 0002 and 0007 only (dialect-specific DDL).
FTS_OBJECTS = ("messages_fts", "ix_messages_text_fts", "kb_sections_fts", "kb_fts_", "ix_kb_fts")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (name or "").startswith(FTS_OBJECTS)


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """An encrypted column is text of any length: SQLite keeps its old VARCHAR(n) (it enforces
    no length, and changing a column's type there rebuilds the table), PostgreSQL has TEXT."""
    if isinstance(metadata_type, Encrypted) and isinstance(inspected_type, String):
        return False
    return None  # Alembic's own comparison


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


# one migration run at a time on PostgreSQL: hubs started together on a new database would
# otherwise race to create the same tables (the lock ends with the migration's transaction)
MIGRATION_LOCK = 7_341_902_116


def _run_sync(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=compare_type,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine: AsyncEngine = create_engine(config.get_main_option("sqlalchemy.url"))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
