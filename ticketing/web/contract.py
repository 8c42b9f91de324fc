"""Request bodies checked against ``openapi.yaml``: the document that tells clients what to
send is the one the hub checks what they sent against (issue 10).

``check_body(request, body)`` finds the operation of the matched route, validates the body
with the OpenAPI 3.0 dialect of JSON Schema (``openapi-schema-validator``: ``nullable``,
``readOnly`` ...) and raises the hub's own errors: a body that is not what the operation
takes at its top (not an object) is a ``BadRequest`` (400, or what the request body's
``x-wrong-type-status`` says); a field that breaks its schema is ``Invalid`` (422) naming the
field, or ``TooLarge`` (413) past a ``maxLength`` marked ``x-too-long-status: 413``. The
messages are written here from the schema, never from the value, so a customer's text is
not echoed back. Services below ``web/`` then take
well-shaped input and keep only the checks the document cannot state (a team that exists, a
state that allows the change).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from aiohttp import web
from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import OAS30WriteValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from ..errors import BadRequest, Invalid, TooLarge
from .openapi import document

DOCUMENT_URI = "urn:helpdesk:openapi"
BLANK = "\\S"  # the document's pattern for "some non-space text"


@lru_cache(maxsize=1)
def _registry() -> Registry:
    resource = Resource.from_contents(document(), default_specification=DRAFT4)
    return Registry().with_resource(DOCUMENT_URI, resource)


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass(frozen=True)
class BodyContract:
    validator: OAS30WriteValidator
    # the status of a body that is not the JSON type the operation takes (the request
    # body's ``x-wrong-type-status``; 400 unless it says otherwise)
    wrong_type_status: int


@cache
def body_contract(method: str, path: str) -> BodyContract | None:
    """What the JSON body of ``method path`` (the route's template, as in the document) must
    be, or None when the document describes no body for it."""
    operation = document()["paths"].get(path, {}).get(method.lower())
    body = (operation or {}).get("requestBody", {})
    if "application/json" not in body.get("content", {}):
        return None
    ref = "#/" + _pointer("paths", path, method.lower(), "requestBody", "content")
    schema = {"$ref": f"{DOCUMENT_URI}{ref}/application~1json/schema"}
    return BodyContract(
        OAS30WriteValidator(schema, registry=_registry()), body.get("x-wrong-type-status", 400)
    )


def route_template(request: web.Request) -> str | None:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else None


def check_body(request: web.Request, body: Any) -> None:
    """Raise the hub's error for a body the document says this operation does not take."""
    path = route_template(request)
    if path:
        check(request.method, path, body)


def check(method: str, path: str, body: Any) -> None:
    """Raise the hub's error for a body ``method path`` does not take (see the module)."""
    contract = body_contract(method, path)
    if contract is None:
        return
    error = best_match(contract.validator.iter_errors(body))
    if error is None:
        return
    field, message = describe(error)
    if not error.absolute_path and error.validator == "type":
        message = f"the body must be a JSON {_kind(error.validator_value)}"
        if contract.wrong_type_status == 400:
            raise BadRequest("bad_request", message)
        raise Invalid("invalid", message)
    if error.validator == "maxLength" and error.schema.get("x-too-long-status") == 413:
        raise TooLarge("too_long", message, field=field)
    details: dict[str, Any] = {"field": field} if field else {}
    if error.validator == "additionalProperties":
        details["allowed"] = sorted(error.schema.get("properties", {}))
    raise Invalid("invalid", message, **details)


def describe(error: ValidationError) -> tuple[str, str]:
    """The dotted field an error is about and a sentence saying what it must be."""
    path = [str(part) for part in error.absolute_path]
    value = error.validator_value
    kind = error.validator
    if kind in ("anyOf", "oneOf") and error.context:
        # say what the first alternative (the usual form) wants, not "matches none"
        first = [e for e in error.context if e.relative_schema_path[0] == 0]
        inner = best_match(first or error.context)
        if inner is not None:
            return describe(inner)
    if kind == "required":
        missing = [name for name in value if name not in (error.instance or {})]
        field = ".".join([*path, missing[0]]) if missing else ".".join(path)
        return field, f"{field} is required"
    field = ".".join(path) or "the body"
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return field if path else "", f"unknown field(s): {', '.join(extra)}"
    says = {
        "type": lambda: f"must be {_kind(value, article=True)}",
        "enum": lambda: (
            f"must be {_literal(value[0])}"
            if len(value) == 1
            else "must be one of " + ", ".join(_literal(v) for v in value)
        ),
        "maxLength": lambda: f"must be at most {value} characters",
        "minLength": lambda: "must not be empty" if value == 1 else f"needs {value} characters",
        "maximum": lambda: f"must be at most {value}",
        "minimum": lambda: f"must be at least {value}",
        "maxItems": lambda: f"must hold at most {value} items",
        "minItems": lambda: f"must hold at least {value} item(s)",
        "minProperties": lambda: "must not be empty: send the fields to change",
        "pattern": lambda: "must not be blank" if value == BLANK else "is not in a form it takes",
        "format": lambda: f"must be a valid {value}",
        "uniqueItems": lambda: "must not repeat an item",
        "nullable": lambda: "must not be null",
    }
    sentence = says.get(kind, lambda: "is not valid")()
    return field if path else "", f"{field} {sentence}"


def _literal(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _kind(value: Any, *, article: bool = False) -> str:
    names = {
        "object": ("object", "an object"),
        "array": ("array", "a list"),
        "string": ("string", "a string"),
        "integer": ("integer", "a whole number"),
        "number": ("number", "a number"),
        "boolean": ("boolean", "true or false"),
    }
    plain, spoken = names.get(str(value), (str(value), f"a {value}"))
    return spoken if article else plain
