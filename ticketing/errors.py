"""Errors the hub's callers can act on: a stable machine-readable code, a message, details.

Each class says what kind of failure it is (bad input, not found, a conflict ...); the web
layer (``ticketing/web/middlewares.py``) answers them as ``{"error": {"code", "message"}}``
with the HTTP status of their kind, so nothing below ``web/`` knows about HTTP.
"""

from __future__ import annotations

from typing import Any


class HelpdeskError(Exception):
    """A failure reported to the caller; ``kind`` is one of the subclasses' kinds."""

    kind = "invalid"

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        error.update(self.details)
        return {"error": error}


class BadRequest(HelpdeskError):
    """The request is malformed (not JSON, not an object ...)."""

    kind = "bad_request"


class Unauthorized(HelpdeskError):
    """Who is asking is not known (no or a wrong token or session)."""

    kind = "unauthorized"


class Forbidden(HelpdeskError):
    """Who is asking is known but may not do this."""

    kind = "forbidden"


class NotFound(HelpdeskError):
    kind = "not_found"


class Conflict(HelpdeskError):
    """The current state does not allow it (someone else holds the ticket ...)."""

    kind = "conflict"


class TooLarge(HelpdeskError):
    kind = "too_large"


class UnsupportedMediaType(HelpdeskError):
    kind = "unsupported_media_type"


class TooManyRequests(HelpdeskError):
    """A rate limit was reached; ``details["retry_after"]`` says in how many seconds to retry."""

    kind = "too_many_requests"


class Invalid(HelpdeskError):
    """Well-formed but not acceptable (a field out of range ...)."""

    kind = "invalid"


class Misconfigured(HelpdeskError):
    """The installation's configuration is wrong (not the caller's fault)."""

    kind = "misconfigured"


def not_found(what: str) -> NotFound:
    return NotFound("not_found", f"{what} was not found")


def invalid(message: str, **details: Any) -> Invalid:
    return Invalid("invalid", message, **details)
