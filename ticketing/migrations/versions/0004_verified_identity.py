"""verified customer identity

``conversations.identity_verified``: the shop vouched for the customer's e-mail with an
HMAC-signed user hash (README, "Verified identity"). Only a verified e-mail links the
conversation to a customer profile (VIP routing, history, ticket status); a typed one is kept
as the customer's claim. Existing rows are unverified.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        # a literal default: SQLite adds the column in place (no rebuild, triggers kept)
        batch.add_column(
            sa.Column("identity_verified", sa.Boolean(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("identity_verified")
