"""Small helpers shared by the views."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from aiohttp import web

from ..errors import BadRequest, Invalid, UnsupportedMediaType
from .contract import check_body


async def read_json(
    request: web.Request, *, required: bool = True, max_bytes: int | None = None
) -> Any:
    """The JSON body; 400 when it is not JSON, 415 when not sent as ``application/json`` (a
    cross-site form can only send text/plain or form types); ``None`` for an empty optional
    body. ``max_bytes`` raises the hub's body limit for this request (an article's Markdown).
    A body is checked against the operation's schema in ``openapi.yaml`` (``contract.py``)."""
    if max_bytes is not None:
        request = request.clone(client_max_size=max_bytes)
    raw = await request.read()
    if not raw.strip():
        if required:
            raise BadRequest("bad_request", "a JSON body is required")
        return None
    if request.content_type != "application/json":
        raise UnsupportedMediaType("unsupported_media_type", "send the body as application/json")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("bad_request", "the body is not valid JSON") from exc
    check_body(request, body)
    return body


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def int_query(request: web.Request, name: str, default: int, *, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise Invalid("invalid", f"{name} must be an integer", field=name) from exc
    if not lo <= value <= hi:
        raise Invalid("invalid", f"{name} must be between {lo} and {hi}", field=name)
    return value


def client_ip(request: web.Request) -> str:
    """The client's address (the proxy's X-Forwarded-For entry when TRUST_X_FORWARDED_FOR)."""
    from .keys import HUB

    if request.config_dict[HUB].settings.trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.remote or "unknown"


def limited_client(request: web.Request) -> str | None:
    """The address customer limits count against, or None when they don't apply: a loopback
    client in development (see Settings.limit_loopback)."""
    from .keys import HUB

    settings = request.config_dict[HUB].settings
    address = client_ip(request)
    if not settings.limit_loopback and _is_loopback(address):
        return None
    return address


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def path_id(request: web.Request, what: str, name: str = "id") -> int:
    """A numeric id from the path; one too long for the database is no id we have (404)."""
    from ..errors import not_found

    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 12:
        raise not_found(what)
    return int(raw)
