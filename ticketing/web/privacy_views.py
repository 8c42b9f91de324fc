"""The admin's privacy tools: the audit log, access (export) and erasure requests.

Every route needs the admin role. Requests name the customer by e-mail in the JSON body, never
in the URL, so the address stays out of access logs and browser history.
"""

from __future__ import annotations

import json

from aiohttp import web

from ..errors import BadRequest, invalid
from ..services import privacy
from .csv import stream_csv
from .keys import HUB
from .staff_auth import require
from .util import int_query, read_json

routes = web.RouteTableDef()
ROLE = "admin"


def _email(body) -> str:
    if not isinstance(body, dict):
        raise BadRequest("bad_request", "the body must be a JSON object")
    return body.get("email")


@routes.get("/audit")
async def audit_log(request: web.Request) -> web.Response:
    user = require(request, ROLE)
    limit = int_query(request, "limit", 200, lo=1, hi=1000)
    before = int_query(request, "before", 0, lo=0, hi=2**62) or None
    hub = request.config_dict[HUB]
    return web.json_response(await privacy.audit_log(hub, user, request.query, limit, before))


@routes.get("/audit.csv")
async def audit_csv(request: web.Request) -> web.StreamResponse:
    user = require(request, ROLE)
    export = await privacy.audit_csv(request.config_dict[HUB], user, request.query)
    return await stream_csv(request, export.filename, export.header, export.rows)


@routes.post("/privacy/export")
async def export_subject(request: web.Request) -> web.Response:
    """Everything held about one customer, as a JSON download (an access request)."""
    user = require(request, ROLE)
    email = _email(await read_json(request))
    bundle = await privacy.export_subject(request.config_dict[HUB], user, email)
    return web.Response(
        text=json.dumps(bundle, ensure_ascii=False, indent=2),
        content_type="application/json",
        charset="utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="customer-data.json"',
            "Cache-Control": "no-store",
        },
    )


@routes.post("/privacy/erase")
async def erase_subject(request: web.Request) -> web.Response:
    """Anonymise everything held about one customer; needs ``"confirm": true``."""
    user = require(request, ROLE)
    body = await read_json(request)
    email = _email(body)
    if body.get("confirm") is not True:
        raise invalid('an erasure cannot be undone: send "confirm": true', field="confirm")
    counts = await privacy.erase_subject(request.config_dict[HUB], user, email)
    return web.json_response({"erased": counts})


@routes.post("/privacy/retention")
async def retention(request: web.Request) -> web.Response:
    """A retention run now (``{"dry_run": true}`` reports what it would remove)."""
    user = require(request, ROLE)
    body = await read_json(request, required=False) or {}
    if not isinstance(body, dict) or not isinstance(body.get("dry_run", False), bool):
        raise invalid('the body is {"dry_run": true|false}', field="dry_run")
    result = await privacy.run_retention(
        request.config_dict[HUB], dry_run=body.get("dry_run", False), actor=user
    )
    return web.json_response(result)
