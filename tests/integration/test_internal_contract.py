"""The real internal API answers as ticketing/openapi.yaml says, route by route (issue 10).

The bot's action tests hold their stand-in hub to the same document (tests/contract.py), so
the hub, the document and the stand-in cannot drift apart. Every documented internal route is
called here at least once, successfully and with a refusal; a new route must be added.
"""

from __future__ import annotations

from tests import contract, kb_fixture
from ticketing import demo

from .conftest import INTERNAL_TOKEN, verified

AUTH = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}


async def test_every_internal_answer_is_the_documented_one(client, hub, new_chat):
    async with hub.sessions() as db, db.begin():
        await demo.seed_orders(db)
        await kb_fixture.seed(db, hub.shop.facts)
    ann = await new_chat(customer=verified("ann@example.com", "Ann Smith"))
    sid = ann.session_id
    calls = [
        ("GET", f"/internal/conversations/{sid}", None, None),
        ("GET", "/internal/conversations/no-such-chat", None, None),
        ("GET", "/internal/availability", None, None),
        ("GET", "/internal/orders/NW-104233", {"session_id": sid}, None),
        ("GET", "/internal/orders/NW-999999", {"session_id": sid}, None),
        ("GET", "/internal/orders/12", None, None),
        ("POST", f"/internal/conversations/{sid}/handoff", None, {"reason": "requested"}),
        ("POST", f"/internal/conversations/{sid}/handoff", None, {"reason": "requested"}),
        ("POST", f"/internal/conversations/{sid}/handoff", None, {"email": "no"}),
        (
            "POST",
            "/internal/complaints",
            None,
            {"session_id": sid, "category": "quality", "description": "The lamp flickers"},
        ),
        ("POST", "/internal/complaints", None, {"session_id": sid, "category": "weather"}),
        ("GET", "/internal/tickets/T-000001", {"session_id": sid}, None),
        ("GET", "/internal/tickets/T-000999", {"session_id": sid}, None),
        ("POST", f"/internal/conversations/{sid}/rating", None, {"csat": 4, "comment": "ok"}),
        ("POST", f"/internal/conversations/{sid}/rating", None, {"csat": 9}),
        ("POST", f"/internal/conversations/{sid}/survey-offered", None, None),
        ("POST", f"/internal/conversations/{sid}/customer", None, {"email": "a@example.com"}),
        ("POST", f"/internal/conversations/{sid}/customer", None, {"email": "nope"}),
        ("GET", "/internal/privacy/forgotten", {"after": "0"}, None),
        ("GET", "/internal/privacy/forgotten", {"limit": "0"}, None),
        ("POST", "/internal/kb/answer", None, {"text": "how long do returns take"}),
        ("POST", "/internal/kb/answer", None, {"text": ""}),
        ("GET", "/internal/kb/passage", {"key": "gift-cards#how-long-is-a-gift-card-valid"}, None),
        ("GET", "/internal/kb/passage", {"key": "gift-cards#nowhere"}, None),
        ("GET", "/internal/openapi.json", None, None),
    ]
    problems, statuses = [], {}
    for method, path, params, body in calls:
        response = await client.request(method, path, params=params, json=body, headers=AUTH)
        answer = await response.json()
        problems += contract.response_problems(method, path, response.status, answer)
        template = contract.operation(method, path)[0]
        statuses.setdefault((method, template), set()).add(response.status)
    refused = await client.get("/internal/availability")  # without the token
    problems += contract.response_problems(
        "GET", "/internal/availability", 401, await refused.json()
    )
    assert problems == []
    documented = {
        (method.upper(), template)
        for template, item in contract.document()["paths"].items()
        if template.startswith("/internal/")
        for method in item
        if method != "parameters"
    }
    assert set(statuses) == documented  # every internal route was called
    assert all(any(s < 300 for s in found) for found in statuses.values()), statuses


def test_the_contract_check_finds_a_drift():
    """The check can fail: a missing field and an undocumented status are reported."""
    assert contract.response_problems("GET", "/internal/availability", 200, {"open": True})
    assert contract.response_problems("GET", "/internal/availability", 418, {})
    assert contract.response_problems("GET", "/internal/nowhere", 200, {})
    good = {"session_id": "s", "category": "quality", "description": "x"}
    assert contract.request_problems("POST", "/internal/complaints", good) == []
    assert contract.request_problems("POST", "/internal/complaints", {**good, "category": "?"})
