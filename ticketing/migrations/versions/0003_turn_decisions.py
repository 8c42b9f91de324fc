"""the assistant's decision per customer turn, and answer feedback

Customer turns: ``decision`` (answered / clarified / declined / handed_off), the out-of-domain
gate's ``ood_score`` and ``ood_reason``, the FAQ ``faq_topic`` and ``faq_confidence``. Bot
messages: ``rateable`` (the widget shows "Was this helpful?"), ``helpful`` and ``feedback_at``.
Existing rows keep NULLs (and ``rateable`` false): no decision was recorded for them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def columns() -> list[sa.Column]:
    return [
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("ood_score", sa.Float(), nullable=True),
        sa.Column("ood_reason", sa.String(40), nullable=True),
        sa.Column("faq_topic", sa.String(100), nullable=True),
        sa.Column("faq_confidence", sa.Float(), nullable=True),
        # a literal default: SQLite then adds the column in place instead of rebuilding the table
        # (a rebuild would drop the full-text triggers of 0002)
        sa.Column("rateable", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("feedback_at", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        for column in columns():
            batch.add_column(column)
    op.create_index("ix_messages_feedback_at", "messages", ["feedback_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_messages_feedback_at", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        for column in reversed(columns()):
            batch.drop_column(column.name)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's batch mode rebuilt the table: put back the full-text triggers of 0002
        from importlib import import_module

        search = import_module("ticketing.migrations.versions.0002_reports_search")
        for statement in search.SQLITE_FTS[1:]:
            op.execute(statement)
