"""Request bodies are checked against ``openapi.yaml`` (``ticketing/web/contract.py``): every
view that reads a JSON body has its schema in the document, a body that breaks it gets one
clear error naming the field, and nothing changes.

The enums of the document come from ``models.py`` (``x-enum``), so a value added there is one
the API accepts and documents at once.
"""

from __future__ import annotations

import inspect
import re

import pytest
from sqlalchemy import select

from ticketing import models
from ticketing.models import Complaint, Ticket
from ticketing.web.contract import body_contract
from ticketing.web.openapi import document

from .conftest import count_rows, hand_off, verified

BODY_READERS = ("read_json(", "_ticket_body(", "_json_object(")


def _routes(app):
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if sub is not None:
            yield from _routes(sub)
            continue
        for route in resource:
            yield route.method, resource.canonical, route.handler


def test_every_view_that_reads_a_json_body_has_its_schema_in_the_document(client):
    readers, missing = [], []
    for method, path, handler in _routes(client.app):
        if method == "HEAD" or not any(r in inspect.getsource(handler) for r in BODY_READERS):
            continue
        readers.append((method, path))
        if body_contract(method, re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)) is None:
            missing.append(f"{method} {path}")
    assert len(readers) > 30, readers  # the scan finds the views
    assert not missing, f"bodies read but not described in openapi.yaml: {missing}"


def test_enums_in_the_document_are_the_models_enums():
    text = str(document())
    assert "x-enum" not in text
    paths = document()["paths"]
    patch = paths["/api/tickets/{number}"]["patch"]["requestBody"]["content"]
    priority = patch["application/json"]["schema"]["properties"]["priority"]
    assert priority["enum"] == list(models.PRIORITIES)
    status = paths["/api/tickets/{number}/status"]["post"]["requestBody"]["content"]
    assert status["application/json"]["schema"]["properties"]["status"]["enum"] == list(
        models.TICKET_STATUSES
    )


@pytest.fixture
async def ticket(client, new_chat, make_staff, hub):
    supervisor = await make_staff("sam@example.com", role="supervisor")
    chat = await new_chat()
    handed = await hand_off(client, chat, reason="complaint", kind="complaint")
    number = handed["ticket"]["number"]
    async with hub.sessions() as db, db.begin():
        ticket = (await db.execute(select(Ticket).where(Ticket.number == number))).scalar_one()
        db.add(Complaint(ticket_id=ticket.id, category="quality", description="broken lamp"))
    await supervisor.post(f"/api/tickets/{number}/claim")
    return supervisor, number


@pytest.mark.parametrize(
    "method, path, body, status, field, says",
    [
        ("PATCH", "", {"priority": "P9"}, 422, "priority", "must be one of P1, P2, P3, P4"),
        ("PATCH", "", {}, 422, None, "send the fields to change"),
        ("PATCH", "", {"assignee_id": 1}, 422, None, "unknown field(s): assignee_id"),
        ("PATCH", "", {"tags": ["ok", "  "]}, 422, "tags.1", "must not be blank"),
        ("PATCH", "", ["priority"], 422, None, "the body must be a JSON object"),
        ("POST", "/messages", ["hello"], 400, None, "the body must be a JSON object"),
        ("POST", "/status", {}, 422, "status", "status is required"),
        ("POST", "/status", {"status": "gone"}, 422, "status", "must be one of new, open"),
        ("POST", "/transfer", {"agent_id": "7"}, 422, "agent_id", "must be a whole number"),
        ("POST", "/transfer", {"agent_id": True}, 422, "agent_id", "must be a whole number"),
        ("PATCH", "/complaint", {"stage": "done"}, 422, "stage", "must be one of received"),
        ("PATCH", "/complaint", {"satisfaction": 9}, 422, "satisfaction", "at most 5"),
        ("PATCH", "/complaint", {"root_cause": 5}, 422, "root_cause", "must be a string"),
        ("POST", "/notes", {"text": 5}, 422, "text", "text must be a string"),
        ("POST", "/messages", {"text": "x" * 2001}, 413, "text", "at most 2000 characters"),
    ],
)
async def test_a_ticket_body_that_breaks_the_document_changes_nothing(
    ticket, hub, method, path, body, status, field, says
):
    supervisor, number = ticket
    before = await supervisor.get(f"/api/tickets/{number}")
    events = await count_rows(hub, "ticket_events")
    error = (await supervisor.call(method, f"/api/tickets/{number}{path}", body, expect=status))[
        "error"
    ]
    assert says in error["message"], error
    assert error.get("field") == field
    if error["message"].startswith("unknown field"):
        assert error["allowed"] == ["category", "priority", "subject", "tags"]
    assert await supervisor.get(f"/api/tickets/{number}") == before
    assert await count_rows(hub, "ticket_events") == events


async def test_valid_bodies_still_change_the_ticket(ticket):
    supervisor, number = ticket
    await supervisor.call("PATCH", f"/api/tickets/{number}", {"priority": "P1", "tags": [" VIP "]})
    await supervisor.call(
        "PATCH", f"/api/tickets/{number}/complaint", {"stage": "investigating", "root_cause": None}
    )
    detail = await supervisor.get(f"/api/tickets/{number}")
    assert detail["ticket"]["priority"] == "P1" and detail["ticket"]["tags"] == ["vip"]
    assert detail["complaint"]["stage"] == "investigating"


@pytest.mark.parametrize(
    "body, field, says",
    [
        ({"tier": "gold"}, "tier", "must be one of high, medium, low"),
        ({"vip": "yes"}, "vip", "must be true or false"),
        ({"marketing_consent": True}, "marketing_consent", "must be false"),
        ({"email": "x@example.com"}, None, "unknown field(s): email"),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
    ],
)
async def test_a_customer_change_that_breaks_the_document_is_refused(
    client, new_chat, make_staff, body, field, says
):
    supervisor = await make_staff("sam@example.com", role="supervisor")
    chat = await new_chat(customer=verified("ann@example.com", "Ann"))
    number = (await hand_off(client, chat))["ticket"]["number"]
    customer_id = (await supervisor.get(f"/api/tickets/{number}"))["customer"]["id"]
    before = await supervisor.get(f"/api/customers/{customer_id}")
    error = (await supervisor.call("PATCH", f"/api/customers/{customer_id}", body, expect=422))[
        "error"
    ]
    assert says in error["message"] and error.get("field") == field
    assert await supervisor.get(f"/api/customers/{customer_id}") == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"shortcut": "refund", "title": "   ", "text": "We refund."}, "title"),
        ({"shortcut": "refund", "title": "Refund"}, "text"),
        ({"shortcut": "refund", "title": "Refund", "text": "x" * 2001}, "text"),
        ({"shortcut": 7, "title": "Refund", "text": "We refund."}, "shortcut"),
    ],
)
async def test_a_bad_canned_response_is_refused(make_staff, hub, body, field):
    supervisor = await make_staff("sam@example.com", role="supervisor")
    before = await count_rows(hub, "canned_responses")
    error = (await supervisor.post("/api/canned-responses", body, expect=422))["error"]
    assert error["field"] == field
    assert await count_rows(hub, "canned_responses") == before
