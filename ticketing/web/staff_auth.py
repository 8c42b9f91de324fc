"""Staff sign-in on the API: session cookie, CSRF token on every write, role checks."""

from __future__ import annotations

import secrets

from aiohttp import web

from .. import staff
from ..errors import Forbidden, Unauthorized
from ..models import AuthSession, User
from ..services import accounts
from .keys import AUTH_SESSION, HUB, USER

COOKIE = "helpdesk_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Paths that never use the staff cookie (the customer chat API, internal API, sign-in).
PUBLIC_PREFIXES = ("/api/chat/", "/internal/", "/api/openapi.json", "/api/survey/")
NO_CSRF = {"/api/auth/login"}


@web.middleware
async def staff_session(request: web.Request, handler):
    """Load the signed-in user for /api/ and staff pages; enforce CSRF on cookie writes."""
    request[USER] = None
    request[AUTH_SESSION] = None
    token = request.cookies.get(COOKIE)
    if token and not request.path.startswith(PUBLIC_PREFIXES):
        found = await accounts.signed_in(request.app[HUB], token)
        if found is not None:
            request[USER], request[AUTH_SESSION] = found
            if request.method not in SAFE_METHODS and request.path not in NO_CSRF:
                sent = request.headers.get(CSRF_HEADER, "")
                if not secrets.compare_digest(sent, found[1].csrf_token):
                    raise Forbidden("csrf", f"missing or wrong {CSRF_HEADER} header")
    return await handler(request)


def require(request: web.Request, role: str = "agent") -> User:
    """The signed-in user with at least ``role``; 401 when signed out, 403 when not allowed."""
    user: User | None = request.get(USER)
    if user is None:
        raise Unauthorized("unauthorized", "sign in first")
    if not staff.has_role(user, role):
        raise Forbidden("forbidden", f"this needs the {role} role")
    return user


def current_session(request: web.Request) -> AuthSession:
    session = request.get(AUTH_SESSION)
    if session is None:
        raise Unauthorized("unauthorized", "sign in first")
    return session


def set_cookie(response: web.StreamResponse, token: str, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=secure,
        path="/",
        max_age=int(staff.SESSION_TTL.total_seconds()),
    )
