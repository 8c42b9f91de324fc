"""Secrets the hub hands out (session tokens, cookies, survey links) and how it checks them.

Only a token's SHA-256 is stored; comparisons are constant-time and work on bytes, so a header
with characters that are not ASCII (or not even valid UTF-8) is simply a wrong token, never an
error.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def _bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def hash_token(token: str) -> str:
    """The stored form of a token (hex SHA-256)."""
    return hashlib.sha256(_bytes(token)).hexdigest()


def same(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets."""
    return hmac.compare_digest(_bytes(given), _bytes(expected))
