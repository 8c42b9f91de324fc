"""Encryption at rest of customers' contact data, and keyed hashes to find it again.

Customers' e-mail addresses, names and phone numbers (profiles, conversations, tickets,
orders) are stored encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from the
``cryptography`` package): :class:`Encrypted` columns encrypt on write and decrypt on read,
so the code above works on plain values. What the hub looks up by e-mail it finds through a
keyed hash (HMAC-SHA256 with a key of its own) stored beside the ciphertext: equal addresses
give equal hashes, and the hash reveals nothing without the key.

Keys come from the environment:

- ``DATA_KEYS``: comma-separated Fernet keys (``python -m ticketing keys new`` prints one);
  the first encrypts, every one decrypts. Rotation: put a new key first, keep the old ones,
  run ``python -m ticketing keys rotate`` (re-encrypts every row with the first key), then
  drop the old keys.
- ``DATA_LOOKUP_KEY``: the hash key (any long random string). It is not rotated with the
  data keys: changing it means recomputing every hash (``keys rotate`` does that too).

Development runs on fixed development keys (with a warning); production refuses to start
without real ones (``ticketing/production.py``). A value that none of the keys decrypts is
an error that names the cause, never a silent ``None``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, String, event
from sqlalchemy.types import Text, TypeDecorator

log = logging.getLogger(__name__)

PREFIX = "enc1:"  # every ciphertext starts with it; anything else is a legacy plain value
# development only: derived from a public phrase, so anyone can read a development database
DEV_DATA_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"helpdesk development data key").digest())
DEV_LOOKUP_KEY = "helpdesk-development-lookup-key"


class DataKeyError(RuntimeError):
    """Stored data that the configured keys cannot decrypt (a wrong or missing key)."""


class Vault:
    def __init__(self, keys: Sequence[str | bytes], lookup_key: str) -> None:
        if not keys:
            raise ValueError("at least one data key is needed")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError) as exc:
            raise ValueError(
                "DATA_KEYS must be Fernet keys (32 url-safe base64-encoded bytes each): "
                "python -m ticketing keys new"
            ) from exc
        if not lookup_key:
            raise ValueError("DATA_LOOKUP_KEY is empty")
        self._lookup = lookup_key.encode()

    def encrypt(self, value: str) -> str:
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption was turned on; `keys rotate` encrypts it
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise DataKeyError(
                "stored customer data cannot be decrypted with DATA_KEYS: the key that "
                "encrypted it is missing (a wrong key, or an old key dropped too early)"
            ) from None

    def rotate(self, stored: str) -> str:
        """``stored`` encrypted with the first key (a plain value gets encrypted)."""
        if not stored.startswith(PREFIX):
            return self.encrypt(stored)
        return PREFIX + self._fernet.rotate(stored[len(PREFIX) :].encode()).decode()

    def lookup_hash(self, email: str | None) -> str | None:
        """The keyed hash of a normalised e-mail address (None for none)."""
        if not email or not email.strip():
            return None
        normalised = email.strip().lower().encode()
        return hmac.new(self._lookup, normalised, hashlib.sha256).hexdigest()


_vault = Vault([DEV_DATA_KEY], DEV_LOOKUP_KEY)
_configured = False


def configure(keys: Sequence[str] | None, lookup_key: str | None) -> Vault:
    """Use these keys in this process (the hub, a CLI command, a test); None: development."""
    global _vault, _configured
    if not keys or not lookup_key:
        if not keys and not lookup_key and not _configured:
            log.warning("DATA_KEYS / DATA_LOOKUP_KEY not set: development keys encrypt the data")
        keys = keys or [DEV_DATA_KEY]
        lookup_key = lookup_key or DEV_LOOKUP_KEY
    _vault = Vault(keys, lookup_key)
    _configured = True
    return _vault


def vault() -> Vault:
    return _vault


def lookup_hash(email: str | None) -> str | None:
    return _vault.lookup_hash(email)


def new_key() -> str:
    return Fernet.generate_key().decode()


class Encrypted(TypeDecorator):
    """A text column stored encrypted (``enc1:`` + a Fernet token), read back as plain text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return _vault.encrypt(str(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return _vault.decrypt(value)


# table: (the hashed e-mail column, every encrypted column)
ENCRYPTED_COLUMNS = {
    "customers": ("email", ("email", "name", "phone")),
    "conversations": ("customer_email", ("customer_email", "customer_name")),
    "tickets": ("customer_email", ("customer_email", "customer_name")),
    "orders": ("email", ("email",)),
}


def check_keys(connection) -> None:
    """Decrypt one stored value of each encrypted column (a sync connection): a hub whose keys
    cannot read its own database refuses to start (``DataKeyError``) instead of failing on
    the first customer it shows."""
    from sqlalchemy import text

    for table, (_hashed, columns) in ENCRYPTED_COLUMNS.items():
        for column in columns:
            stored = connection.execute(
                text(f"SELECT {column} FROM {table} WHERE {column} LIKE 'enc1:%' LIMIT 1")
            ).scalar()
            if stored is not None:
                _vault.decrypt(stored)


def rotate_rows(connection) -> int:
    """Re-encrypt every encrypted value with the first data key and recompute the hashes
    with the current lookup key (``python -m ticketing keys rotate``; a sync connection)."""
    from sqlalchemy import text

    changed = 0
    for table, (hashed, columns) in ENCRYPTED_COLUMNS.items():
        rows = connection.execute(text(f"SELECT id, {', '.join(columns)} FROM {table}"))
        for row in rows.mappings().all():
            values = {c: _vault.rotate(row[c]) if row[c] else row[c] for c in columns}
            plain = _vault.decrypt(values[hashed]) if values[hashed] else None
            values[f"{hashed}_hash"] = _vault.lookup_hash(plain)
            sets = ", ".join(f"{name} = :{name}" for name in values)
            connection.execute(
                text(f"UPDATE {table} SET {sets} WHERE id = :id"), {**values, "id": row["id"]}
            )
            changed += 1
    return changed


def hash_column(source: str) -> Column:
    """The keyed-hash column beside the encrypted column ``source``: filled on Core inserts
    from the inserted value; ``keep_hashed`` keeps it in step on ORM writes."""

    def default(context) -> str | None:
        return lookup_hash(context.get_current_parameters().get(source))

    return Column(String(64), default=default)


def keep_hashed(model: type, source: str) -> None:
    """Whenever ``model.<source>`` is set through the ORM, set ``<source>_hash`` too (bulk
    ``update()`` statements set both themselves, as ``privacy/anonymise.py`` does)."""

    def on_set(target, value, _old, _initiator) -> None:
        setattr(target, f"{source}_hash", lookup_hash(value))

    event.listen(getattr(model, source), "set", on_set)
