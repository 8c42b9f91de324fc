"""``GET /api/openapi.json``: the OpenAPI document of the public and internal APIs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from aiohttp import web

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"

routes = web.RouteTableDef()


@lru_cache(maxsize=1)
def document() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
