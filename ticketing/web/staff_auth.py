"""Staff sign-in on the API: session cookie, CSRF token on every write, role checks."""

from __future__ import annotations

import json

from aiohttp import web

from .. import staff, tokens
from ..errors import Forbidden, Unauthorized, invalid
from ..models import AuthSession, User
from ..privacy import masking
from ..services import accounts
from ..services.audit import audited
from .keys import AUTH_SESSION, HUB, USER

COOKIE = "helpdesk_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
NO_CSRF = {"/api/auth/login"}
# answers that describe one customer at the top level (name, email, phone are theirs)
PROFILE_PATHS = ("/api/customers/",)
UNMASK, MIN_REASON, MAX_REASON = "unmask", 3, 200


async def _load_user(request: web.Request) -> tuple | None:
    request[USER] = None
    request[AUTH_SESSION] = None
    token = request.cookies.get(COOKIE)
    found = await accounts.signed_in(request.config_dict[HUB], token) if token else None
    if found is not None:
        request[USER], request[AUTH_SESSION] = found
    return found


@web.middleware
async def staff_session(request: web.Request, handler):
    """The staff API's middleware: load the signed-in user; enforce CSRF on cookie writes."""
    found = await _load_user(request)
    if found is not None and request.method not in SAFE_METHODS and request.path not in NO_CSRF:
        sent = request.headers.get(CSRF_HEADER, "")
        if not tokens.same(sent, found[1].csrf_token):
            raise Forbidden("csrf", f"missing or wrong {CSRF_HEADER} header")
    return await handler(request)


@web.middleware
async def mask_personal_data(request: web.Request, handler):
    """The staff API's serialisation boundary: a supervisor who gets masked personal data
    (``MASK_PII_FOR_SUPERVISORS``) gets every JSON answer through ``masking.mask_json``;
    agents (their own teams' tickets) and admins get it whole. CSV exports mask row by row.

    A masked supervisor may lift the masking of one answer by giving the reason
    (``?unmask=<why>``, e.g. to call a customer back): the answer comes whole and the audit log
    records ``masking.lifted`` with who, what and why."""
    user: User | None = request.get(USER)
    hub = request.config_dict[HUB]
    masked = masking.masked_staff(user, hub.settings)
    reason = request.query.get(UNMASK) if masked and request.method == "GET" else None
    if reason is not None and not MIN_REASON <= len(reason.strip()) <= MAX_REASON:
        raise invalid(
            f"unmask needs the reason ({MIN_REASON} to {MAX_REASON} characters)", field=UNMASK
        )
    response = await handler(request)
    if reason is not None:
        await audited(hub, user, "masking.lifted", request.path[:120], reason=reason.strip())
        return response
    if not masked or not isinstance(response, web.Response) or response.body is None:
        return response
    if response.content_type == "application/json":
        data = json.loads(response.body)
        masked = masking.mask_json(data, customer=request.path.startswith(PROFILE_PATHS))
        response.body = json.dumps(masked).encode()
    elif response.content_type == "application/x-yaml":  # the NLU export: customers' words
        response.body = (masking.mask_text(response.text) or "").encode()
    return response


@web.middleware
async def staff_pages(request: web.Request, handler):
    """The root application's middleware: the staff pages know who is signed in (the APIs'
    sub-applications have their own middleware and are left alone)."""
    if len(request.match_info.apps) == 1:
        await _load_user(request)
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
