"""The OpenAPI document is valid and lists every API route the hub serves."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from ticketing.web.app import route_table
from ticketing.web.openapi import document

from .conftest import INTERNAL_TOKEN


def test_openapi_document_is_valid():
    validate(document())


def test_every_api_route_is_documented(client):
    documented = set(document()["paths"])
    served = set()
    for _method, path in route_table(client.app):
        if not path.startswith(("/api/", "/internal/")) or path.endswith(".csv"):
            continue
        # aiohttp writes {name:regex}; OpenAPI writes {name}
        served.add(re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path))
    missing = sorted(served - documented)
    assert not missing, f"routes missing from ticketing/openapi.yaml: {missing}"


async def test_the_public_document_leaves_the_internal_api_out(client):
    public = await (await client.get("/api/openapi.json")).json()
    assert public["paths"] and not [p for p in public["paths"] if p.startswith("/internal/")]
    assert "/api/chat/sessions" in public["paths"]
    validate(public)
    assert (await client.get("/internal/openapi.json")).status == 401
    whole = await client.get(
        "/internal/openapi.json", headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    )
    assert "/internal/orders/{number}" in (await whole.json())["paths"]
