"""The OpenAPI documents: ``GET /api/openapi.json`` the public APIs (chat and staff), and
``GET /internal/openapi.json`` (internal listener, token) the whole of ``openapi.yaml``
including the internal API the action server calls."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from .. import models

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"

routes = web.RouteTableDef()


METHODS = ("get", "put", "post", "patch", "delete")


@lru_cache(maxsize=1)
def document() -> dict:
    """``openapi.yaml``, with what its description says of every operation written out: any
    status an operation does not list is an error in the one shape (``default``); and each
    ``x-enum: NAME`` replaced by ``enum``: the values of ``NAME`` in ``models.py``, the one
    place an enum is defined."""
    spec = _enums(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    for item in spec["paths"].values():
        for method in METHODS:
            if method in item:
                item[method]["responses"].setdefault(
                    "default", {"$ref": "#/components/responses/Error"}
                )
    return spec


def _enums(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _enums(value) for key, value in node.items()}
        name = node.pop("x-enum", None)
        if name is not None:
            node["enum"] = list(getattr(models, name))
        return node
    if isinstance(node, list):
        return [_enums(item) for item in node]
    return node


@lru_cache(maxsize=1)
def public_document() -> dict:
    """The document without the internal API: the public port doesn't serve it, so the
    public document doesn't describe it."""
    whole = document()
    paths = {p: v for p, v in whole["paths"].items() if not p.startswith("/internal/")}
    return {**whole, "paths": paths}


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(public_document())


async def internal_openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
