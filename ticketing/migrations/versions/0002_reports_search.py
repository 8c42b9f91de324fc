"""full-text search on messages and indexes for the supervisor reports

PostgreSQL: a GIN index on to_tsvector('english', messages.text) (an expression index: queries
must use exactly that expression). SQLite: an FTS5 table over messages (external content, so
the text is stored once) kept in step by triggers, and rebuilt here from the rows already
there. Both: indexes on the timestamps the reports filter by.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00
"""

from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (name, table, columns)
INDEXES = [
    ("ix_messages_sender_created_at", "messages", ["sender", "created_at"]),
    ("ix_tickets_created_at", "tickets", ["created_at"]),
    ("ix_tickets_first_response_at", "tickets", ["first_response_at"]),
    ("ix_tickets_resolved_at", "tickets", ["resolved_at"]),
    ("ix_ticket_events_kind_created_at", "ticket_events", ["kind", "created_at"]),
    ("ix_ticket_events_created_at", "ticket_events", ["created_at"]),
    ("ix_complaints_created_at", "complaints", ["created_at"]),
    ("ix_conversations_survey_offered_at", "conversations", ["survey_offered_at"]),
]

SQLITE_FTS = [
    # porter stemming, like PostgreSQL's 'english' configuration: "refunds" finds "refund"
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "text, content='messages', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END",
    # index the messages stored before this migration
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
]

POSTGRES_FTS = [
    "CREATE INDEX ix_messages_text_fts ON messages USING gin (to_tsvector('english', text))",
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRES_FTS:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("messages_fts_insert", "messages_fts_delete", "messages_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_text_fts")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
