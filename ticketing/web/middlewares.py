"""Turns every error on the API into ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import logging

from aiohttp import web

from ..errors import HelpdeskError, Misconfigured

log = logging.getLogger(__name__)

# the HTTP status of each kind of error (ticketing/errors.py)
STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "invalid": 422,
    "too_many_requests": 429,
    "misconfigured": 500,
}

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


def _is_api(request: web.Request) -> bool:
    return request.path.startswith(("/api/", "/internal/"))


def error_response(error: HelpdeskError, status: int | None = None) -> web.Response:
    response = web.json_response(error.body(), status=status or STATUS.get(error.kind, 422))
    if isinstance(error.details.get("retry_after"), int):
        response.headers["Retry-After"] = str(error.details["retry_after"])
    return response


@web.middleware
async def errors(request: web.Request, handler):
    try:
        return await handler(request)
    except HelpdeskError as error:
        return error_response(error)
    except web.HTTPException as exc:
        if not _is_api(request) or exc.status < 400:
            raise
        code = _CODES.get(exc.status, "http_error")
        message = exc.text if exc.text and not exc.text.startswith(str(exc.status)) else exc.reason
        response = error_response(HelpdeskError(code, message), exc.status)
        if "Allow" in exc.headers:  # a 405 names the methods the resource has (RFC 9110)
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _is_api(request):
            raise
        return error_response(Misconfigured("internal", "an unexpected error occurred"))


CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key",
    "Access-Control-Max-Age": "600",
}


@web.middleware
async def cors(request: web.Request, handler):
    """Let the widget embedded on any site call the customer chat API (its sub-application).

    Safe for any origin: the chat API uses bearer tokens, never cookies.
    """
    if request.method == "OPTIONS":
        return web.Response(status=204, headers=CORS_HEADERS)
    response = await handler(request)
    if not response.prepared:
        response.headers.update(CORS_HEADERS)
    return response
