"""Customers' contact data is encrypted at rest (issue 12, point 4), on SQLite and PostgreSQL.

The raw database (read with plain SQL, past the ORM's decryption) holds no e-mail address or
name in clear; the hub still finds and de-duplicates customers by address (keyed hashes), a
hub with the wrong key refuses to start, and key rotation re-encrypts everything.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from ticketing.privacy import crypto
from ticketing.web.app import init_app

from .conftest import INTERNAL_TOKEN, count_rows, verified

EMAIL = "encrypted.customer@example.com"
NAME = "Imogen Cipherly"
# table: the encrypted columns (ticketing/privacy/crypto.py)
COLUMNS = {table: columns for table, (_hashed, columns) in crypto.ENCRYPTED_COLUMNS.items()}


@pytest.fixture(autouse=True)
def development_keys_again():
    """Tests here change the process's keys; every other test runs on the development ones."""
    yield
    crypto.configure(None, None)


async def _raw(hub, sql: str) -> list[tuple]:
    async with hub.engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(text(sql))).all()]


async def _raw_text(hub) -> str:
    values = []
    for table, columns in COLUMNS.items():
        for row in await _raw(hub, f"SELECT {', '.join(columns)} FROM {table}"):
            values.extend(str(value) for value in row if value is not None)
    return "\n".join(values)


async def test_the_raw_database_holds_no_contact_data_in_clear(client, hub, new_chat):
    first = await new_chat(customer=verified(EMAIL, NAME))
    second = await new_chat(customer=verified(EMAIL.upper(), NAME))  # the same customer
    await first.send("hello")
    handed = await client.post(
        f"/internal/conversations/{second.session_id}/handoff",
        json={"reason": "requested"},
        headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"},
    )
    assert handed.status in (200, 201)
    raw = await _raw_text(hub)
    assert raw, "the fixture stored contact data"
    assert EMAIL not in raw.lower() and "imogen" not in raw.lower()
    for value in raw.splitlines():
        assert value.startswith(crypto.PREFIX), value
    # found again by address: one profile for both chats (de-duplicated by the keyed hash)
    assert await count_rows(hub, "customers") == 1
    [(stored_hash,)] = await _raw(hub, "SELECT email_hash FROM customers")
    assert stored_hash == crypto.lookup_hash(EMAIL) and EMAIL not in stored_hash
    ticket_hashes = await _raw(hub, "SELECT customer_email_hash FROM tickets")
    assert ticket_hashes == [(crypto.lookup_hash(EMAIL),)]


async def test_look_ups_by_address_still_work(client, hub, new_chat, make_staff):
    chat = await new_chat(customer=verified(EMAIL, NAME))
    await chat.send("my parcel")
    admin = await make_staff("admin@example.com", role="admin")
    bundle = await admin.post("/api/privacy/export", {"email": EMAIL})
    assert bundle["profile"]["email"] == EMAIL and bundle["profile"]["name"] == NAME
    assert [c["session_id"] for c in bundle["conversations"]] == [chat.session_id]
    handed = await client.post(
        f"/internal/conversations/{chat.session_id}/handoff",
        json={"reason": "requested"},
        headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"},
    )
    number = (await handed.json())["ticket"]["number"]
    found = await admin.get(f"/api/tickets?q={EMAIL}")
    assert [t["number"] for t in found["tickets"]] == [number]
    ticket = await admin.get(f"/api/tickets/{number}")
    assert ticket["customer"]["email"] == EMAIL  # decrypted for those who may see it


async def test_a_wrong_key_fails_loudly(aiohttp_client, settings, new_chat, client):
    await new_chat(customer=verified(EMAIL, NAME))  # stored with the development key
    wrong = Fernet.generate_key().decode()
    with pytest.raises(crypto.DataKeyError, match="cannot be decrypted with DATA_KEYS"):
        await aiohttp_client(init_app(replace(settings, data_keys=(wrong,))))


async def test_rotation_moves_every_value_to_the_new_key(client, hub, new_chat):
    await new_chat(customer=verified(EMAIL, NAME))
    old = crypto.DEV_DATA_KEY.decode()
    new = Fernet.generate_key().decode()
    crypto.configure([new, old], crypto.DEV_LOOKUP_KEY)
    async with hub.engine.begin() as connection:
        assert await connection.run_sync(crypto.rotate_rows) >= 2
    crypto.configure([new], crypto.DEV_LOOKUP_KEY)  # the old key is gone
    stored = [v for v in (await _raw_text(hub)).splitlines()]
    assert {crypto.vault().decrypt(v) for v in stored} >= {EMAIL, NAME}
    async with hub.engine.connect() as connection:
        await connection.run_sync(crypto.check_keys)  # the hub would start


def test_vault_round_trip_and_bad_keys():
    vault = crypto.Vault([Fernet.generate_key()], "lookup")
    token = vault.encrypt(EMAIL)
    assert token.startswith(crypto.PREFIX) and EMAIL not in token
    assert vault.encrypt(EMAIL) != token  # a fresh IV each time: equal values look different
    assert vault.decrypt(token) == EMAIL
    assert vault.lookup_hash(" Encrypted.Customer@Example.com ") == vault.lookup_hash(EMAIL)
    assert vault.decrypt("legacy@example.com") == "legacy@example.com"  # before encryption
    with pytest.raises(ValueError, match="Fernet keys"):
        crypto.Vault(["not-a-key"], "lookup")
    other = crypto.Vault([Fernet.generate_key()], "lookup")
    with pytest.raises(crypto.DataKeyError):
        other.decrypt(token)
