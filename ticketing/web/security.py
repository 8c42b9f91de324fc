"""What every response carries, what the access log leaves out, who may open a staff socket.

- ``security_headers`` (the root application's middleware): ``nosniff``, a referrer policy, on
  HTTPS (``COOKIE_SECURE``) HSTS, and for every HTML page that sets none of its own a
  Content-Security-Policy without inline script or style; ``frame-ancestors`` comes from
  ``FRAME_ANCESTORS`` (default ``'none'``: no page may be framed; a shop that shows the demo
  page or the survey page in a frame names its origin there). The consoles set a stricter
  policy of their own.
- ``AccessLogger``: method, path (never the query string: the customer's socket token and
  the survey link's token travel there), status, size and time.
- ``same_origin``: a staff WebSocket opened by a browser must come from the hub's own pages
  (the cookie would let any site's page open one otherwise).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .keys import HUB

DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' {sockets}; frame-ancestors {ancestors}; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def _headers(request: web.Request, headers, content_type: str | None) -> None:
    settings = request.config_dict[HUB].settings if HUB in request.config_dict else None
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if settings is not None and settings.cookie_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if (content_type or "").startswith("text/html") and "Content-Security-Policy" not in headers:
        ancestors = (settings.frame_ancestors if settings else None) or "'none'"
        sockets = f"ws://{request.host} wss://{request.host}"
        headers["Content-Security-Policy"] = DEFAULT_CSP.format(
            sockets=sockets, ancestors=ancestors
        )


@web.middleware
async def security_headers(request: web.Request, handler):
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _headers(request, exc.headers, exc.content_type)
        raise
    _headers(request, response.headers, response.content_type)
    return response


class AccessLogger(AbstractAccessLogger):
    """``"GET /api/chat/sessions/{id}/ws" 101 0 B 12.3 ms`` (no query strings, no tokens)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s B %.1f ms',
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time * 1000,
        )


def same_origin(request: web.Request) -> bool:
    """A browser's WebSocket (browsers always send Origin) comes from the hub's own pages or
    ``STAFF_ORIGINS``; a client without Origin is no browser, so no other site's page."""
    origin = request.headers.get("Origin")
    if not origin:
        return True
    allowed = {f"http://{request.host}", f"https://{request.host}"}
    settings = request.config_dict[HUB].settings
    allowed.update(o.strip().rstrip("/") for o in (settings.staff_origins or "").split(",") if o)
    return origin.rstrip("/") in allowed
