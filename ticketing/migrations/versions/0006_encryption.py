"""customers' contact data encrypted at rest, with keyed hashes for look-ups

The e-mail addresses, names and phone numbers of customers (profiles, conversations,
tickets, orders) become ciphertext (``ticketing/privacy/crypto.py``, keys from
``DATA_KEYS``); ``*_email_hash`` columns (HMAC-SHA256 with ``DATA_LOOKUP_KEY``) find them.
Existing rows are encrypted and hashed here, with the keys of the process that runs the
migration (the hub on start, or ``python -m ticketing db upgrade``). PostgreSQL gets TEXT
columns (ciphertext is longer than the old VARCHAR limits); SQLite enforces no length.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:10:00
"""

import sqlalchemy as sa
from alembic import op

from ticketing.privacy import crypto

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# the columns as this revision left them (a copy: later changes to the list are theirs)
ENCRYPTED = {
    "customers": ("email", ("email", "name", "phone")),
    "conversations": ("customer_email", ("customer_email", "customer_name")),
    "tickets": ("customer_email", ("customer_email", "customer_name")),
    "orders": ("email", ("email",)),
}
INDEXES = {
    "customers": ("ix_customers_email_hash", True),
    "conversations": ("ix_conversations_customer_email_hash", False),
    "tickets": ("ix_tickets_customer_email_hash", False),
    "orders": ("ix_orders_email_hash", False),
}


def upgrade() -> None:
    bind = op.get_bind()
    vault = crypto.vault()
    for table, (hashed, columns) in ENCRYPTED.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(f"{hashed}_hash", sa.String(64)))
        if bind.dialect.name == "postgresql":
            for column in columns:
                op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE TEXT')
        names = ", ".join(columns)
        rows = bind.execute(sa.text(f"SELECT id, {names} FROM {table}")).mappings().all()
        for row in rows:
            values = {
                column: vault.encrypt(row[column]) if row[column] is not None else None
                for column in columns
            }
            plain = row[hashed]
            if plain is not None and plain.startswith(crypto.PREFIX):
                plain = vault.decrypt(plain)
                values = {c: row[c] for c in columns}  # encrypted already: keep as is
            values[f"{hashed}_hash"] = vault.lookup_hash(plain)
            sets = ", ".join(f"{name} = :{name}" for name in values)
            bind.execute(
                sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"), {**values, "id": row["id"]}
            )
        name, unique = INDEXES[table]
        op.create_index(name, table, [f"{hashed}_hash"], unique=unique)


def downgrade() -> None:
    bind = op.get_bind()
    vault = crypto.vault()
    for table, (hashed, columns) in ENCRYPTED.items():
        op.drop_index(INDEXES[table][0], table)
        names = ", ".join(columns)
        for row in bind.execute(sa.text(f"SELECT id, {names} FROM {table}")).mappings().all():
            values = {c: vault.decrypt(row[c]) if row[c] else row[c] for c in columns}
            sets = ", ".join(f"{name} = :{name}" for name in values)
            bind.execute(
                sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"), {**values, "id": row["id"]}
            )
        with op.batch_alter_table(table) as batch:
            batch.drop_column(f"{hashed}_hash")
