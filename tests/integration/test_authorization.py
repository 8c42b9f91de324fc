"""The authorisation matrix (issue 11, point 6): every route of the hub × every kind of caller.

The routes come from the application's own route table, so a new route without an entry in
``POLICY`` fails ``test_every_route_has_a_policy``. A policy says who may call the route; the
test calls each route as each actor and checks that the allowed ones get past the checks (no
401/403: they may still get 400/404/409/422 for the deliberately empty bodies) and the others
are refused with the right status. Also the three cross-team leaks the security review found:
``/api/queue?team=``, customers' messages on every agent's socket, and profiles by sequential
id.
"""

from __future__ import annotations

import re

import pytest

from ticketing.settings import Settings
from ticketing.web.app import init_app

from .conftest import INTERNAL_TOKEN, hand_off, verified

ACTORS = (
    "anonymous",
    "other_customer",
    "customer",
    "other_team_agent",
    "agent",
    "supervisor",
    "admin",
    "internal",
)
STAFF = ("other_team_agent", "agent", "supervisor", "admin")

# who may call a route: public, chat (the session's own token), internal (the internal API's
# token), staff (any signed-in staff), team (staff who may work on the ticket or customer),
# supervisor, admin
POLICY: dict[tuple[str, str], str] = {
    ("GET", "/health"): "public",
    ("GET", "/"): "public",
    ("GET", "/widget.js"): "public",
    ("GET", "/static/live.js"): "public",
    ("GET", "/static/dom.js"): "public",
    ("GET", "/static/console-common.js"): "public",
    ("GET", "/static/charts.js"): "public",
    ("GET", "/static/transcript.js"): "public",
    ("GET", "/static/agent/{name}"): "public",
    ("GET", "/static/supervisor/{name}"): "public",
    ("GET", "/static/widget/{name}"): "public",
    ("GET", "/static"): "public",
    ("GET", "/login"): "public",
    ("GET", "/agent"): "public",  # the page shell; its data needs a sign-in
    ("GET", "/supervisor"): "supervisor_page",
    ("GET", "/survey/{token}"): "public",  # the link's token is the credential
    ("POST", "/survey/{token}"): "public",
    ("GET", "/api/openapi.json"): "public",
    ("POST", "/api/auth/login"): "public",
    # the customer chat API
    ("POST", "/api/chat/sessions"): "public",
    ("GET", "/api/chat/privacy"): "public",
    ("GET", "/privacy"): "public",
    ("POST", "/api/chat/sessions/{session_id}/consent"): "chat",
    ("GET", "/api/chat/sessions/{session_id}"): "chat",
    ("POST", "/api/chat/sessions/{session_id}/messages"): "chat",
    ("GET", "/api/chat/sessions/{session_id}/messages"): "chat",
    ("POST", "/api/chat/sessions/{session_id}/messages/{message_id}/feedback"): "chat",
    ("POST", "/api/chat/sessions/{session_id}/close"): "chat",
    ("GET", "/api/chat/sessions/{session_id}/ws"): "chat",
    # the internal API (actions)
    ("GET", "/internal/conversations/{session_id}"): "internal",
    ("GET", "/internal/availability"): "internal",
    ("GET", "/internal/privacy/forgotten"): "internal",
    ("GET", "/internal/openapi.json"): "internal",
    ("POST", "/internal/conversations/{session_id}/handoff"): "internal",
    ("GET", "/internal/orders/{number}"): "internal",
    ("POST", "/internal/complaints"): "internal",
    ("GET", "/internal/tickets/{number}"): "internal",
    ("POST", "/internal/conversations/{session_id}/rating"): "internal",
    ("POST", "/internal/conversations/{session_id}/survey-offered"): "internal",
    ("POST", "/internal/conversations/{session_id}/customer"): "internal",
    ("POST", "/internal/kb/answer"): "internal",
    ("GET", "/internal/kb/passage"): "internal",
    # the help centre: published articles for everyone, editing for supervisors and admins
    ("GET", "/help"): "public",
    ("GET", "/help/{slug}"): "public",
    ("POST", "/help/{slug}/feedback"): "public",
    ("GET", "/api/chat/help/search"): "public",
    ("GET", "/api/chat/help/articles/{slug}"): "public",
    ("POST", "/api/chat/help/articles/{slug}/feedback"): "public",
    ("GET", "/api/kb/articles"): "staff",
    ("GET", "/api/kb/articles/{id}"): "staff",
    ("GET", "/api/kb/articles/{id}/versions"): "staff",
    ("GET", "/api/kb/articles/{id}/versions/{version}"): "staff",
    ("GET", "/api/kb/search"): "staff",
    ("POST", "/api/kb/articles"): "supervisor",
    ("PATCH", "/api/kb/articles/{id}"): "supervisor",
    ("POST", "/api/kb/articles/{id}/publish"): "supervisor",
    ("POST", "/api/kb/articles/{id}/archive"): "supervisor",
    ("POST", "/api/kb/articles/{id}/versions/{version}/restore"): "supervisor",
    ("POST", "/api/kb/preview"): "supervisor",
    ("GET", "/api/kb/report"): "supervisor",
    # staff
    ("POST", "/api/auth/logout"): "staff",
    ("POST", "/api/auth/password"): "staff",
    ("GET", "/api/auth/me"): "staff",
    ("POST", "/api/presence"): "staff",
    ("GET", "/api/queue"): "staff",
    ("GET", "/api/tickets"): "staff",
    ("GET", "/api/teams"): "staff",
    ("GET", "/api/agents"): "staff",
    ("GET", "/api/canned-responses"): "staff",
    ("GET", "/api/agent/ws"): "staff",
    ("GET", "/api/tickets/{number}"): "team",
    ("POST", "/api/tickets/{number}/claim"): "team",
    ("POST", "/api/tickets/{number}/messages"): "team",
    ("POST", "/api/tickets/{number}/notes"): "team",
    ("POST", "/api/tickets/{number}/resolve"): "team",
    ("POST", "/api/tickets/{number}/status"): "team",
    ("PATCH", "/api/tickets/{number}"): "team",
    ("PATCH", "/api/tickets/{number}/complaint"): "team",
    ("POST", "/api/tickets/{number}/transfer"): "team",
    ("POST", "/api/tickets/{number}/escalate"): "team",
    ("POST", "/api/tickets/{number}/unassign"): "team",
    ("POST", "/api/tickets/{number}/return-to-bot"): "team",
    ("GET", "/api/customers/{customer_id}"): "team_hidden",  # others: 404, not 403
    ("PATCH", "/api/customers/{customer_id}"): "supervisor",
    ("POST", "/api/canned-responses"): "supervisor",
    ("PATCH", "/api/canned-responses/{id}"): "supervisor",
    ("DELETE", "/api/canned-responses/{id}"): "supervisor",
    # supervisors
    ("GET", "/api/reports/summary"): "supervisor",
    ("GET", "/api/reports/summary.csv"): "supervisor",
    ("GET", "/api/reports/complaints"): "supervisor",
    ("GET", "/api/reports/complaints.csv"): "supervisor",
    ("GET", "/api/reports/agents"): "supervisor",
    ("GET", "/api/reports/agents.csv"): "supervisor",
    ("GET", "/api/reports/satisfaction"): "supervisor",
    ("GET", "/api/reports/satisfaction.csv"): "supervisor",
    ("GET", "/api/reports/live"): "supervisor",
    ("GET", "/api/conversations"): "supervisor",
    ("GET", "/api/conversations.csv"): "supervisor",
    ("GET", "/api/conversations/{session_id}"): "supervisor",
    ("GET", "/api/tickets.csv"): "supervisor",
    ("GET", "/api/nlu/review"): "supervisor",
    ("GET", "/api/nlu/labels"): "supervisor",
    ("POST", "/api/nlu/labels"): "supervisor",
    ("DELETE", "/api/nlu/labels/{id}"): "supervisor",
    ("GET", "/api/nlu/export"): "supervisor",
    ("GET", "/api/improvement-actions"): "supervisor",
    ("POST", "/api/improvement-actions"): "supervisor",
    ("GET", "/api/improvement-actions/{id}"): "supervisor",
    ("PATCH", "/api/improvement-actions/{id}"): "supervisor",
    # admins
    ("GET", "/api/webhooks"): "admin",
    ("POST", "/api/webhooks"): "admin",
    ("GET", "/api/webhooks/{id}"): "admin",
    ("PATCH", "/api/webhooks/{id}"): "admin",
    ("DELETE", "/api/webhooks/{id}"): "admin",
    ("GET", "/api/webhooks/{id}/deliveries"): "admin",
    ("POST", "/api/webhooks/{id}/test"): "admin",
    ("GET", "/api/audit"): "admin",
    ("GET", "/api/audit.csv"): "admin",
    ("POST", "/api/privacy/export"): "admin",
    ("POST", "/api/privacy/erase"): "admin",
    ("POST", "/api/privacy/retention"): "admin",
}

# where the template itself is no request (the static directory: a file in it)
SAMPLE_PATHS = {("GET", "/static"): "/static/shop.css"}

ALLOWED = {
    "public": set(ACTORS),
    # the supervisor console's page: sign-in first (302), agents refused
    "supervisor_page": {"supervisor", "admin"},
    "chat": {"customer"},
    "internal": {"internal"},
    "staff": set(STAFF),
    "team": {"agent", "supervisor", "admin"},
    "team_hidden": {"agent", "supervisor", "admin"},
    "supervisor": {"supervisor", "admin"},
    "admin": {"admin"},
}


def expected_refusal(policy: str, actor: str) -> int:
    """The status a refused actor gets: 401 without the right kind of credential, 403 with
    it but not enough rights, 404 where even existence is hidden."""
    if policy == "supervisor_page":
        return 403 if actor in STAFF else 302
    if policy == "chat":
        return 403 if actor == "other_customer" else 401
    if policy == "internal" or actor not in STAFF:
        return 401
    if policy == "team_hidden":
        return 404
    return 403


def route_table(app) -> list[tuple[str, str]]:
    found = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource else {}
        if "app" in info:
            continue
        path = info.get("formatter") or info.get("path") or info.get("prefix")
        found.add((route.method, re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)))
    return sorted(found)


def test_every_route_has_a_policy():
    routes = route_table(init_app(Settings(database_url="sqlite:///unused.db")))
    missing = [route for route in routes if route not in POLICY]
    assert not missing, f"add these routes to POLICY (who may call them): {missing}"
    stale = [route for route in POLICY if route not in routes]
    assert not stale, f"POLICY names routes that no longer exist: {stale}"
    assert len(routes) > 80


@pytest.fixture
async def world(client, new_chat, make_staff, hub):
    """A queued ticket with its customer, and one actor of each kind."""
    customer = await new_chat(customer=verified("ann@example.com", "Ann Smith"))
    other = await new_chat()
    handed = await hand_off(client, customer)
    number = handed["ticket"]["number"]
    admin = await make_staff("admin@example.com", role="admin")
    ticket = await admin.get(f"/api/tickets/{number}")
    team = ticket["ticket"]["team"]["key"]
    elsewhere = "billing" if team != "billing" else "delivery"
    staff = {
        "other_team_agent": await make_staff("other@example.com", teams=[elsewhere]),
        "agent": await make_staff("agent@example.com", teams=[team]),
        "supervisor": await make_staff("sup@example.com", role="supervisor", teams=[elsewhere]),
        "admin": admin,
    }
    customer_id = ticket["customer"]["id"]
    return {
        "chat": customer,
        "other": other,
        "staff": staff,
        "team": team,
        "elsewhere": elsewhere,
        "values": {
            "session_id": customer.session_id,
            "number": number,
            "customer_id": str(customer_id),
            "message_id": "1",
            "id": "999999",
            "token": "not-a-survey-token",
            "name": "app.js",
            "slug": "no-such-article",
            "version": "1",
        },
        "handed": lambda chat: hand_off(client, chat),
        "new_chat": new_chat,
    }


def _headers(world, actor: str, write: bool) -> dict:
    if actor == "customer":
        return dict(world["chat"].auth)
    if actor == "other_customer":
        return dict(world["other"].auth)
    if actor == "internal":
        return {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    if actor in STAFF:
        return world["staff"][actor].headers(write=write)
    return {}


async def test_every_route_answers_each_actor_as_its_policy_says(client, world):
    routes = route_table(client.app)
    # signing out ends the caller's session: last, so the other routes still see them signed in
    routes.sort(key=lambda route: route == ("POST", "/api/auth/logout"))
    wrong = []
    for method, template in routes:
        policy = POLICY[(method, template)]
        values = dict(world["values"])
        if "{number}" in template:
            # a fresh ticket of the same team for each ticket route: what an allowed actor
            # did on the last route (resolve, escalate to another team) changes no outcome
            fresh = await world["handed"](await world["new_chat"]())
            values["number"] = fresh["ticket"]["number"]
        path = SAMPLE_PATHS.get((method, template), template).format(**values)
        for actor in ACTORS:
            write = method != "GET"
            response = await client.request(
                method,
                path,
                json={} if write else None,
                headers=_headers(world, actor, write),
                allow_redirects=False,
            )
            status = response.status
            if actor in ALLOWED[policy]:
                if status in (401, 403) or status >= 500:
                    wrong.append(f"{method} {template} as {actor}: {status}, expected access")
            elif status != expected_refusal(policy, actor):
                wrong.append(
                    f"{method} {template} as {actor}: {status}, "
                    f"expected {expected_refusal(policy, actor)}"
                )
    assert not wrong, "\n".join(wrong)


async def test_queue_of_another_team_is_refused(world):
    agent = world["staff"]["other_team_agent"]
    await agent.get(f"/api/queue?team={world['team']}", expect=403)
    own = await agent.get(f"/api/queue?team={world['elsewhere']}")
    assert own["tickets"] == []
    everything = await agent.get("/api/queue")
    assert [t["number"] for t in everything["tickets"]] == []  # the ticket is another team's
    assert [t["number"] for t in (await world["staff"]["agent"].get("/api/queue"))["tickets"]] == [
        world["values"]["number"]
    ]


async def test_profiles_only_through_a_ticket_the_agent_may_work_on(world):
    customer_id = world["values"]["customer_id"]
    profile = await world["staff"]["agent"].get(f"/api/customers/{customer_id}")
    assert profile["email"] == "ann@example.com"
    hidden = await world["staff"]["other_team_agent"].get(
        f"/api/customers/{customer_id}", expect=404
    )
    assert hidden["error"]["code"] == "not_found" and "ann" not in str(hidden)
    await world["staff"]["supervisor"].get(f"/api/customers/{customer_id}")


async def test_customer_messages_reach_only_their_teams_sockets(client, world):
    """The security review's leak: every agent socket received every customer message."""

    async def socket(actor):
        headers = world["staff"][actor].headers(write=False)
        return await client.ws_connect("/api/agent/ws", headers=headers)

    own, other, supervisor = (
        await socket("agent"),
        await socket("other_team_agent"),
        await socket("supervisor"),
    )
    chat = world["chat"]
    await chat.send("my card number is on the order, please call me")

    async def customer_messages(ws, wait: float) -> list[str]:
        texts = []
        while True:
            try:
                event = await ws.receive_json(timeout=wait)
            except TimeoutError:
                return texts
            if event.get("type") == "customer_message":
                texts.append(event["message"]["text"])

    assert await customer_messages(own, 2) == ["my card number is on the order, please call me"]
    assert await customer_messages(supervisor, 2) == [
        "my card number is on the order, please call me"
    ]
    assert await customer_messages(other, 1) == []
    for ws in (own, other, supervisor):
        await ws.close()
