"""Verified customer identity: the shop vouches for a signed-in customer's e-mail.

The embedding shop computes ``user_hash = hex(HMAC-SHA256(IDENTITY_SECRET, email))`` on its
server (the e-mail lower-cased and trimmed) and passes ``{"email": ..., "user_hash": ...}``
when the widget starts a chat: the identity-verification scheme Intercom and Chatwoot use.
A matching hash makes the chat *verified*: it is linked to the customer's profile (VIP
routing, history, their tickets and orders). An e-mail typed into the chat is only a claim: it
is kept and shown to agents as unverified, and grants nothing.
"""

from __future__ import annotations

import hashlib
import hmac

from .errors import Forbidden


def normalise(email: str) -> str:
    return email.strip().lower()


def user_hash(secret: str, email: str) -> str:
    """What the shop's server sends for ``email`` (also used by tests and the demo page)."""
    return hmac.new(secret.encode(), normalise(email).encode(), hashlib.sha256).hexdigest()


def verify(secret: str | None, email: str | None, claimed_hash: object) -> bool:
    """True when ``claimed_hash`` signs ``email``; False when there is no hash to check.
    A hash that does not match, or one sent while the hub has no secret, is refused."""
    if claimed_hash is None:
        return False
    if not isinstance(claimed_hash, str) or not email:
        raise Forbidden("identity_invalid", "customer.user_hash needs customer.email")
    if not secret:
        raise Forbidden("identity_invalid", "identity verification is not configured")
    # as bytes: compare_digest refuses str with non-ASCII characters (a 500, not a 403)
    expected = user_hash(secret, email).encode()
    if not hmac.compare_digest(expected, claimed_hash.strip().lower().encode("utf-8", "replace")):
        raise Forbidden("identity_invalid", "customer.user_hash does not match customer.email")
    return True
