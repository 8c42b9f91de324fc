"""Admin API for outgoing webhooks: register, change, remove, inspect deliveries, send a test.

Every call needs the ``admin`` role. A webhook's secret is shown once, in the answer to its
creation; receivers check each request with it (see ``ticketing.services.delivery``). The rules
live in ``ticketing.services.webhooks``; these views parse the request and answer.
"""

from __future__ import annotations

from aiohttp import web

from ..services import webhooks
from .keys import HUB
from .staff_auth import require
from .util import int_query, path_id, read_json

routes = web.RouteTableDef()


def _id(request: web.Request) -> int:
    return path_id(request, "the webhook")


@routes.get("/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    user = require(request, "admin")
    return web.json_response(await webhooks.list_webhooks(request.config_dict[HUB], user))


@routes.post("/webhooks")
async def create_webhook(request: web.Request) -> web.Response:
    """Register a webhook; the answer is the only place its secret is ever shown."""
    user = require(request, "admin")
    body = await read_json(request)
    return web.json_response(
        await webhooks.create(request.config_dict[HUB], user, body), status=201
    )


@routes.get("/webhooks/{id}")
async def get_webhook(request: web.Request) -> web.Response:
    user = require(request, "admin")
    webhook_id = _id(request)
    return web.json_response(await webhooks.get_webhook(request.config_dict[HUB], user, webhook_id))


@routes.patch("/webhooks/{id}")
async def update_webhook(request: web.Request) -> web.Response:
    """Change ``url``, ``events`` or ``active``; queued deliveries follow the new settings."""
    user = require(request, "admin")
    webhook_id = _id(request)
    body = await read_json(request)
    return web.json_response(
        await webhooks.update_webhook(request.config_dict[HUB], user, webhook_id, body)
    )


@routes.delete("/webhooks/{id}")
async def delete_webhook(request: web.Request) -> web.Response:
    """Remove the webhook and cancel its queued deliveries (their history stays)."""
    user = require(request, "admin")
    webhook_id = _id(request)
    await webhooks.delete_webhook(request.config_dict[HUB], user, webhook_id)
    return web.Response(status=204)


@routes.get("/webhooks/{id}/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    """The webhook's most recent deliveries, newest first (``?limit=``, default 50)."""
    user = require(request, "admin")
    webhook_id = _id(request)
    limit = int_query(request, "limit", 50, lo=1, hi=200)
    return web.json_response(
        await webhooks.list_deliveries(request.config_dict[HUB], user, webhook_id, limit)
    )


@routes.post("/webhooks/{id}/test")
async def test_webhook(request: web.Request) -> web.Response:
    """Queue a signed ``webhook.test`` delivery (sent even while the webhook is disabled)."""
    user = require(request, "admin")
    webhook_id = _id(request)
    return web.json_response(
        await webhooks.send_test(request.config_dict[HUB], user, webhook_id), status=202
    )
