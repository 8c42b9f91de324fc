"""The OpenAPI document is valid and lists every API route the hub serves."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from ticketing.web.app import route_table
from ticketing.web.openapi import document


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
