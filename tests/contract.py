"""The internal API's contract, as ticketing/openapi.yaml writes it, for tests on both sides.

The hub's integration tests check the real answers against it; the bot's action tests check
what their stand-in hub (``FakeHub``) answers and what the actions send, so neither the hub
nor the stand-in can drift from the document. Plain ``jsonschema`` (both environments have
it): the document's ``$ref``s are inlined and OpenAPI 3.0's ``nullable`` becomes a null type.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import jsonschema
import yaml

DOCUMENT = Path(__file__).resolve().parents[1] / "ticketing" / "openapi.yaml"


@lru_cache(maxsize=1)
def document() -> dict:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def _pointer(doc: dict, ref: str) -> Any:
    node: Any = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def json_schema(schema: Any, doc: Optional[dict] = None) -> Any:
    """``schema`` with every ``$ref`` inlined and ``nullable: true`` as ``null`` allowed."""
    doc = doc or document()
    if isinstance(schema, list):
        return [json_schema(item, doc) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return json_schema(_pointer(doc, schema["$ref"]), doc)
    converted = {
        key: json_schema(value, doc)
        for key, value in schema.items()
        if key not in ("nullable", "example", "format")
    }
    if schema.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def operation(method: str, path: str) -> Optional[tuple[str, dict]]:
    """The documented (template, operation) that ``method path`` is, if any."""
    for template, item in document()["paths"].items():
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    return None


def _errors(schema: Any, value: Any) -> list[str]:
    validator = jsonschema.Draft7Validator(json_schema(schema))
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in validator.iter_errors(value)
    ]


def response_problems(method: str, path: str, status: int, body: Any) -> list[str]:
    """What is wrong with this answer by the document (empty: nothing)."""
    found = operation(method, path)
    if found is None:
        return [f"{method} {path} is not in the document"]
    template, op = found
    if status >= 500:
        return []  # a failing hub or proxy is no answer of the API
    response = op.get("responses", {}).get(str(status))
    if response is None:
        if status == 401:  # every internal route without the token
            response = {"$ref": "#/components/responses/Error"}
        else:
            return [f"{method} {template}: status {status} is not documented"]
    response = json_schema(response)
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return []
    return [f"{method} {template} {status}: {e}" for e in _errors(schema, body)]


def request_problems(method: str, path: str, body: Any) -> list[str]:
    """What is wrong with this request body by the document."""
    found = operation(method, path)
    if found is None:
        return [f"{method} {path} is not in the document"]
    template, op = found
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None or body is None:
        return []
    return [f"{method} {template} request: {e}" for e in _errors(content["schema"], body)]
