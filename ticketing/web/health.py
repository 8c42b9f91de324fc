"""``GET /health``: the hub, its database and whether Rasa answers."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from .keys import HUB

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    try:
        async with hub.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        database = f"error: {type(exc).__name__}"
    rasa = "ok" if await hub.rasa.reachable() else "unreachable"
    if database != "ok":
        status, code = "error", 503
    else:
        status, code = ("ok" if rasa == "ok" else "degraded"), 200
    return web.json_response({"status": status, "database": database, "rasa": rasa}, status=code)
