"""Real answers of every documented route checked against ``openapi.yaml`` (issue 10): a
handler and the document cannot drift apart.

Schemathesis (test_schemathesis.py) generates requests but, as it has no real ids, mostly
reaches the 404s of the staff API. Here a small world is built through the API itself (a
handed-off chat with a claimed ticket, a note and an agent's message; a complaint with its
record and a rating; a queued chat; a canned response; a webhook; an improvement action; a
help-centre article; an NLU label) and every documented operation under ``/api/`` is called
with real ids; each JSON answer is validated with the OpenAPI 3.0 dialect
(``openapi-schema-validator``, read direction, formats checked) against the response schema
the document gives for its status, and every other answer's content type against the
document. Last, the test fails for a documented JSON operation it did not call unless it is
in ``NOT_CALLED`` with the reason.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

import pytest
from aiohttp import web
from openapi_schema_validator import OAS30ReadValidator

from ticketing.web.app import init_app
from ticketing.web.contract import DOCUMENT_URI, _pointer, _registry
from ticketing.web.openapi import METHODS, document, public_document

from .conftest import INTERNAL_TOKEN, PASSWORD, Chat, Staff, hand_off, verified

# Documented JSON operations this test does not call, each with the reason. Empty: every one
# is called. (WebSocket upgrades, CSV and YAML downloads and 204s are not JSON: they are
# listed as unchecked when not called, and their content type is checked when they are.)
NOT_CALLED: dict[tuple[str, str], str] = {}

ANSWER = "Standard delivery costs £3.95 and takes 3-5 business days."
INTERNAL = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}


class StandInRasa:
    """Rasa's hub channel as bot/channels.py answers it: a FAQ answer with its NLU result
    (a rateable answer), and the survey's trigger; anything else (the encoder) is a 404,
    so the help centre searches lexically."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/hub/webhook", self.webhook)
        app.router.add_post("/conversations/{sender}/trigger_intent", self.trigger)
        return app

    async def webhook(self, request: web.Request) -> web.Response:
        nlu = {
            "intent": {"name": "faq", "confidence": 0.55},
            "entities": [{"entity": "product", "value": "sofa", "start": 0, "end": 4}],
            "response_selector": {
                "faq": {
                    "response": {"intent_response_key": "faq/shipping_cost", "confidence": 0.97}
                }
            },
            "ood": {"out_of_domain": False, "score": -0.41, "reason": None},
            "emotion": {"label": "frustrated"},
            "decision": "answered",
        }
        return web.json_response({"messages": [{"text": ANSWER}], "nlu": nlu})

    async def trigger(self, request: web.Request) -> web.Response:
        return web.json_response({"messages": [{"text": "How would you rate our help?"}]})


@pytest.fixture
async def rasa(aiohttp_server):
    server = await aiohttp_server(StandInRasa().app())
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture
async def client(aiohttp_client, settings, rasa):
    return await aiohttp_client(init_app(replace(settings, rasa_url=rasa)))


# ------------------------------------------------------------------ the document's answers


def _response(method: str, path: str, status: int) -> tuple[list[str], dict[str, Any]]:
    """The pointer to, and the response object of, ``method path``'s answer ``status``
    (``default`` when the status is not listed; a ``$ref`` followed)."""
    responses = document()["paths"][path][method]["responses"]
    key = str(status) if str(status) in responses else "default"
    parts, response = ["paths", path, method, "responses", key], responses[key]
    while "$ref" in response:
        parts = response["$ref"].removeprefix("#/").split("/")
        response = document()
        for part in parts:
            response = response[part]
    return parts, response


@cache
def answer_validator(method: str, path: str, status: int) -> OAS30ReadValidator | None:
    """The validator of the JSON answer ``status`` of ``method path``; None when the
    document gives that answer no JSON schema."""
    parts, response = _response(method, path, status)
    if "schema" not in response.get("content", {}).get("application/json", {}):
        return None
    ref = f"{DOCUMENT_URI}#/{_pointer(*parts, 'content', 'application/json', 'schema')}"
    return OAS30ReadValidator(
        {"$ref": ref}, registry=_registry(), format_checker=OAS30ReadValidator.FORMAT_CHECKER
    )


def content_types(method: str, path: str, status: int) -> set[str]:
    return set(_response(method, path, status)[1].get("content", {}))


def problems(method: str, path: str, status: int, data: Any) -> list[str]:
    validator = answer_validator(method, path, status)
    assert validator is not None, f"{method.upper()} {path} {status}: no JSON schema documented"
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(answer)'}: {e.message}" for e in errors]


def api_operations() -> dict[tuple[str, str], bool]:
    """Every documented operation under /api/, and whether its success answer is JSON."""
    found = {}
    for path, item in public_document()["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method in METHODS:
            if method in item:
                success = [s for s in item[method]["responses"] if s.startswith("2")]
                found[(method, path)] = any(
                    "application/json" in content_types(method, path, int(s)) for s in success
                )
    return found


class Api:
    """Calls the hub and checks every answer against the document."""

    def __init__(self, client) -> None:
        self.client = client
        self.called: set[tuple[str, str]] = set()  # (method, documented path)
        self.failures: list[str] = []

    async def call(
        self,
        method: str,
        path: str,
        who: Staff | Chat | dict | None = None,
        *,
        expect: int = 200,
        body: Any = None,
        params: dict | None = None,
        **ids: Any,
    ) -> Any:
        """``method`` on the documented ``path`` (its template), ``ids`` filled in, as ``who``
        (a staff member, a chat, or headers); the decoded answer when it is JSON."""
        method = method.lower()
        if isinstance(who, Staff):
            headers = who.headers(write=method != "get")
        elif isinstance(who, Chat):
            headers = who.auth
        else:
            headers = who or {}
        url = path.format(**ids)
        response = await self.client.request(
            method.upper(), url, json=body, params=params, headers=headers
        )
        text = await response.text()
        assert response.status == expect, f"{method.upper()} {url}: {response.status} {text}"
        if response.ok:  # an operation counts as called once a success answer was checked
            self.called.add((method, path))
        documented = content_types(method, path, response.status)
        if response.status == 204 or not documented:
            assert not text, f"{method.upper()} {url}: a body the document does not describe"
            return None
        assert response.content_type in documented, (
            f"{method.upper()} {url}: {response.content_type}, documented {sorted(documented)}"
        )
        if response.content_type != "application/json":
            return text
        data = await response.json()
        for problem in problems(method, path, response.status, data):
            self.failures.append(f"{method.upper()} {path} {response.status}: {problem}")
        return data

    async def get(self, path: str, who=None, **kwargs) -> Any:
        return await self.call("get", path, who, **kwargs)

    async def post(self, path: str, who=None, **kwargs) -> Any:
        return await self.call("post", path, who, **kwargs)

    async def patch(self, path: str, who=None, **kwargs) -> Any:
        return await self.call("patch", path, who, **kwargs)

    async def delete(self, path: str, who=None, **kwargs) -> Any:
        return await self.call("delete", path, who, **kwargs)


# ------------------------------------------------------------------ the world and the calls


ARTICLE = {
    "slug": "caring-for-wooden-furniture",
    "title": "Caring for wooden furniture",
    "category": "product-care",
    "tags": ["wood", "care"],
    "summary": "Keep oak and walnut looking good.",
    "body": (
        "## Cleaning wood\nDust wooden furniture with a soft dry cloth.\n\n"
        "## Scratches and rings\nLight scratches in oiled oak fade with a little oil.\n"
    ),
}


async def _chat_api(api: Api, client) -> Chat:
    """A verified customer's chat through the customer API, with a rated bot answer."""
    created = await api.post(
        "/api/chat/sessions",
        body={"locale": "en", "customer": verified("ann@example.com", "Ann Smith")},
        expect=201,
    )
    chat = Chat(client, created["session_id"], created["token"])
    ids = {"session_id": chat.session_id}
    notice = await api.get("/api/chat/privacy", params={"locale": "en"})
    await api.post(
        "/api/chat/sessions/{session_id}/consent",
        chat,
        body={"chat": True, "version": notice["chat"]["version"]},
        **ids,
    )
    sent = await api.post(
        "/api/chat/sessions/{session_id}/messages",
        chat,
        body={"text": "How much is delivery to 12 Oak Road?"},
        **ids,
    )
    answer = next(m for m in sent["messages"] if m.get("rateable"))
    await api.post(
        "/api/chat/sessions/{session_id}/messages/{message_id}/feedback",
        chat,
        body={"helpful": True},
        message_id=answer["id"],
        **ids,
    )
    await api.get("/api/chat/sessions/{session_id}/messages", chat, params={"after": 0}, **ids)
    await api.get("/api/chat/sessions/{session_id}", chat, **ids)
    return chat


async def _complaint(client, new_chat, rating: dict) -> tuple[Chat, str]:
    """A verified customer's complaint (ticket and record), rated through the internal API."""
    chat = await new_chat(customer=verified("bob@example.com", "Bob Jones"))
    await chat.send("The table arrived scratched")
    response = await client.post(
        "/internal/complaints",
        json={
            "session_id": chat.session_id,
            "category": "quality",
            "description": "The oak table arrived with a deep scratch on the top.",
            "emotion": "angry",
        },
        headers=INTERNAL,
    )
    assert response.status == 201, await response.text()
    number = (await response.json())["ticket"]["number"]
    response = await client.post(
        f"/internal/conversations/{chat.session_id}/rating", json=rating, headers=INTERNAL
    )
    assert response.status == 200, await response.text()
    return chat, number


async def _tickets(api: Api, admin: Staff, number: str, complaint: str, queued: str) -> None:
    t = {"number": number}
    await api.get("/api/queue", admin)
    await api.post("/api/tickets/{number}/claim", admin, **t)
    await api.post(
        "/api/tickets/{number}/messages",
        admin,
        body={"text": "Hello Ann, I'm looking at it.", "buttons": []},
        expect=201,
        **t,
    )
    await api.post(
        "/api/tickets/{number}/notes", admin, body={"text": "Customer is polite."}, expect=201, **t
    )
    await api.patch(
        "/api/tickets/{number}",
        admin,
        body={"priority": "P2", "tags": ["delivery"], "category": "delivery"},
        **t,
    )
    await api.post("/api/tickets/{number}/status", admin, body={"status": "pending"}, **t)
    await api.get("/api/tickets/{number}", admin, **t)
    await api.get("/api/queue", admin, params={"team": "general"})
    await api.get("/api/tickets", admin, params={"assignee": "me", "status": "open,pending"})
    await api.get("/api/tickets", admin, params={"q": "T-", "limit": 5})
    await api.post("/api/tickets/{number}/return-to-bot", admin, **t)
    await api.post("/api/tickets/{number}/transfer", admin, body={"team": "billing"}, **t)
    await api.post("/api/tickets/{number}/escalate", admin, **t)
    await api.post("/api/tickets/{number}/claim", admin, **t)
    await api.post("/api/tickets/{number}/unassign", admin, **t)
    # the complaint: its record worked through, then resolved
    c = {"number": complaint}
    await api.post("/api/tickets/{number}/claim", admin, **c)
    await api.patch(
        "/api/tickets/{number}/complaint",
        admin,
        body={"stage": "investigating", "verification": "Photos checked", "satisfaction": 4},
        **c,
    )
    await api.post(
        "/api/tickets/{number}/resolve",
        admin,
        body={
            "resolution": "A new table top is on its way.",
            "root_cause": "Packed without corner guards",
            "corrective_action": "Corner guards on every table",
        },
        **c,
    )
    await api.get("/api/tickets/{number}", admin, **c)
    await api.get("/api/tickets/{number}", admin, **{"number": queued})
    await api.get("/api/tickets/{number}", admin, expect=404, number="T-999999")


async def _people(api: Api, admin: Staff, agent: Staff, customer_id: int) -> None:
    await api.get("/api/teams", agent)
    await api.get("/api/agents", agent)
    await api.get("/api/customers/{customer_id}", admin, customer_id=customer_id)
    await api.patch(
        "/api/customers/{customer_id}",
        admin,
        body={"tier": "high", "vip": True, "notes": "Prefers e-mail", "marketing_consent": False},
        customer_id=customer_id,
    )
    await api.get("/api/auth/me", agent)
    await api.post("/api/presence", agent, body={"presence": "away"})


async def _canned_and_webhooks(api: Api, admin: Staff) -> None:
    first = await api.post(
        "/api/canned-responses",
        admin,
        body={"shortcut": "/thanks", "title": "Thanks", "text": "Thank you for waiting."},
        expect=201,
    )
    second = await api.post(
        "/api/canned-responses",
        admin,
        body={"shortcut": "bye", "title": "Goodbye", "text": "Have a good day."},
        expect=201,
    )
    await api.patch(
        "/api/canned-responses/{id}", admin, body={"title": "Thank you"}, id=first["id"]
    )
    await api.get("/api/canned-responses", admin)
    await api.delete("/api/canned-responses/{id}", admin, id=second["id"])

    created = await api.post(
        "/api/webhooks",
        admin,
        body={"url": "http://127.0.0.1:9/hook", "events": ["ticket.created", "rating.created"]},
        expect=201,
    )
    hook = {"id": created["webhook"]["id"]}
    other = {"url": "http://127.0.0.1:9/other", "events": ["*"]}
    spare = await api.post("/api/webhooks", admin, body=other, expect=201)
    await api.patch("/api/webhooks/{id}", admin, body={"active": False}, **hook)
    await api.post("/api/webhooks/{id}/test", admin, expect=202, **hook)
    await api.get("/api/webhooks/{id}/deliveries", admin, **hook)
    await api.get("/api/webhooks/{id}", admin, **hook)
    await api.get("/api/webhooks", admin)
    await api.delete("/api/webhooks/{id}", admin, expect=204, id=spare["webhook"]["id"])


async def _improvement(api: Api, admin: Staff, customer_message_id: int) -> None:
    action = await api.post(
        "/api/improvement-actions",
        admin,
        body={
            "title": "Corner guards on tables",
            "department": "Warehouse",
            "owner": "Dana",
            "due_date": "2020-01-31",
            "acceptance_criteria": "No scratched table tops for a month",
            "source": "/supervisor#complaints",
        },
        expect=201,
    )
    a = {"id": action["id"]}
    await api.patch("/api/improvement-actions/{id}", admin, body={"status": "in_progress"}, **a)
    await api.get("/api/improvement-actions/{id}", admin, **a)
    await api.get("/api/improvement-actions", admin)
    await api.get("/api/improvement-actions", admin, params={"status": "done"})

    review = await api.get("/api/nlu/review", admin, params={"threshold": "0.9"})
    assert review["groups"], "the low-confidence message is up for review"
    labels = await api.post(
        "/api/nlu/labels",
        admin,
        body={"message_ids": [customer_message_id], "label": "out_of_scope"},
        expect=201,
    )
    await api.get("/api/nlu/labels", admin)
    await api.get("/api/nlu/export", admin, params={"only_new": "true"})
    await api.delete("/api/nlu/labels/{id}", admin, expect=204, id=labels["labels"][0]["id"])


async def _help_centre(api: Api, admin: Staff, agent: Staff) -> None:
    article = await api.post("/api/kb/articles", admin, body=ARTICLE, expect=201)
    k = {"id": article["id"]}
    await api.patch(
        "/api/kb/articles/{id}",
        admin,
        body={"version": 1, "summary": "Oak and walnut", "note": "shorter"},
        **k,
    )
    await api.post("/api/kb/articles/{id}/publish", admin, body={"version": 2}, **k)
    await api.get("/api/kb/articles", agent)
    await api.get("/api/kb/articles", agent, params={"status": "published"})
    await api.get("/api/kb/articles/{id}", agent, **k)
    await api.get("/api/kb/articles/{id}/versions", agent, **k)
    await api.get("/api/kb/articles/{id}/versions/{version}", agent, version=2, **k)
    await api.get("/api/kb/articles/{id}/versions/{version}", agent, version=1, **k)
    await api.post("/api/kb/preview", admin, body={"body": ARTICLE["body"]})
    await api.get("/api/kb/search", agent, params={"q": "scratches in oak"})
    slug = {"slug": ARTICLE["slug"]}
    await api.get("/api/chat/help/search", params={"q": "scratches in oak"})
    await api.get("/api/chat/help/articles/{slug}", **slug)
    await api.post("/api/chat/help/articles/{slug}/feedback", body={"helpful": True}, **slug)
    await api.get("/api/kb/report", admin)
    await api.post(
        "/api/kb/articles/{id}/versions/{version}/restore",
        admin,
        body={"version": 2},
        version=1,
        **k,
    )
    await api.post("/api/kb/articles/{id}/archive", admin, body={"version": 3}, **k)


async def _reports(api: Api, admin: Staff, session_id: str) -> None:
    for name in ("summary", "agents"):
        await api.get(f"/api/reports/{name}", admin)
        await api.get(f"/api/reports/{name}.csv", admin)
    for name in ("complaints", "satisfaction"):
        await api.get(f"/api/reports/{name}", admin, params={"group": "day"})
        await api.get(f"/api/reports/{name}", admin, params={"group": "month"})
        await api.get(f"/api/reports/{name}.csv", admin)
    await api.get("/api/reports/live", admin)
    await api.get("/api/conversations", admin)
    await api.get("/api/conversations", admin, params={"q": "delivery", "contained": "false"})
    await api.get("/api/conversations.csv", admin)
    await api.get("/api/conversations/{session_id}", admin, session_id=session_id)
    await api.get("/api/tickets.csv", admin)
    await api.get("/api/audit", admin)
    await api.get("/api/audit", admin, params={"action": "customer.viewed", "limit": 5})
    await api.get("/api/audit.csv", admin)
    await api.get("/api/openapi.json")


async def _privacy(api: Api, client, admin: Staff, new_chat, make_staff) -> None:
    await api.post("/api/privacy/export", admin, body={"email": "bob@example.com"})
    await api.post("/api/privacy/retention", admin, body={"dry_run": True})
    zoe = await new_chat(customer=verified("zoe@example.com", "Zoe"))
    await zoe.send("Please forget me")
    erase = {"email": "zoe@example.com", "confirm": True}
    await api.post("/api/privacy/erase", admin, body=erase)
    await api.post("/api/privacy/erase", admin, body=erase, expect=404)  # erased already
    # signing in, a new password and signing out, on an account of their own
    leaver = await make_staff("leaver@example.com", "agent")
    await api.post("/api/auth/login", body={"email": "leaver@example.com", "password": PASSWORD})
    client.session.cookie_jar.clear()  # the calls say who they are by their own cookie
    await api.post(
        "/api/auth/password", leaver, body={"current": PASSWORD, "new": "a new long password"}
    )
    await api.post("/api/auth/logout", leaver)


async def test_every_documented_answer_matches_the_document(client, new_chat, make_staff):
    api = Api(client)
    admin = await make_staff("admin@example.com", "admin", name="Ada Admin")
    agent = await make_staff("agent@example.com", "agent", name="Sam Agent")
    await api.post("/api/presence", admin, body={"presence": "online"})

    chat = await _chat_api(api, client)
    handed = await hand_off(client, chat, "requested", summary="Asks about delivery costs")
    number = handed["ticket"]["number"]
    rating = {"csat": 4, "resolved": True, "speed": 5, "problem_solving": 4, "attitude": 5}
    complainer, complaint = await _complaint(client, new_chat, rating)
    waiting = await new_chat()
    await waiting.send("I want a person")
    queued = (await hand_off(client, waiting, "fallback"))["ticket"]["number"]

    await _tickets(api, admin, number, complaint, queued)
    detail = await api.get("/api/tickets/{number}", admin, number=number)
    assert detail["customer"]["verified"] and detail["complaint"] is None
    customer_message = next(
        m for m in detail["conversation"]["messages"] if m["sender"] == "customer"
    )
    complained = await api.get("/api/tickets/{number}", admin, number=complaint)
    assert complained["complaint"] and complained["rating"], "the world has them"
    await _people(api, admin, agent, detail["customer"]["id"])
    await _canned_and_webhooks(api, admin)
    await _improvement(api, admin, customer_message["id"])
    await _help_centre(api, admin, agent)
    await _reports(api, admin, complainer.session_id)
    await api.get("/api/conversations/{session_id}", admin, session_id=chat.session_id)
    await api.post("/api/chat/sessions/{session_id}/close", chat, session_id=chat.session_id)
    await _privacy(api, client, admin, new_chat, make_staff)

    assert not api.failures, "answers the document does not describe:\n" + "\n".join(api.failures)
    operations = api_operations()
    not_called = sorted(op for op in operations if op not in api.called)
    print("\ndocumented /api/ operations not called:")
    for method, path in not_called:
        why = NOT_CALLED.get((method, path))
        if why is None:
            why = "JSON, NOT CALLED" if operations[(method, path)] else "not JSON"
        print(f"  {method.upper()} {path}: {why}")
    missing = [op for op in not_called if operations[op] and op not in NOT_CALLED]
    assert not missing, (
        "documented JSON operations neither called here nor in NOT_CALLED: "
        + ", ".join(f"{m.upper()} {p}" for m, p in missing)
    )
    assert not [op for op in NOT_CALLED if op not in operations], "NOT_CALLED lists stale ones"


def test_a_wrong_answer_is_caught():
    """The check is not vacuous: a missing field, a wrong type, an unknown enum value and a
    malformed time in an answer are each reported."""
    ticket = {"number": "T-000001", "status": "new", "priority": "P9", "created_at": "soon"}
    found = problems("get", "/api/queue", 200, {"tickets": [ticket], "mine": "none"})
    assert any("agents_online" in p for p in found)
    assert any(p.startswith("mine") for p in found)
    assert any("P9" in p for p in found) and any("soon" in p for p in found)
    assert problems("get", "/api/teams", 200, {"teams": []}) == []
