"""privacy: consent records, the audit log, anonymisation marks

``consents`` keeps every consent given or withdrawn with the wording shown;
``audit_log`` records staff access to personal data and refuses updates (a trigger on both
databases); ``conversations.consent_version`` / ``anonymised_at`` and
``customers.erased_at`` mark what the retention job and erasure requests did.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:30:00
"""

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log BEGIN "
    "SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)
POSTGRES_APPEND_ONLY = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("conversations.id", ondelete="SET NULL"),
        ),
        sa.Column("recorded_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_consents_customer_id", "consents", ["customer_id"])
    op.create_index("ix_consents_conversation_id", "consents", ["conversation_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("consent_version", sa.String(40)))
        batch.add_column(sa.Column("anonymised_at", sa.DateTime()))
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime()))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_APPEND_ONLY)
    elif dialect == "postgresql":
        for statement in POSTGRES_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("erased_at")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("anonymised_at")
        batch.drop_column("consent_version")
    op.drop_index("ix_audit_log_created_at", "audit_log")
    op.drop_table("audit_log")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index("ix_consents_conversation_id", "consents")
    op.drop_index("ix_consents_customer_id", "consents")
    op.drop_table("consents")
