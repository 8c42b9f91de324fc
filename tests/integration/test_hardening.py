"""The hub on the open internet: response headers, pages without inline code, staff sockets
from foreign pages, staff sessions that end, password changes, tokens of any shape, report
dates out of range, webhooks into the hub's own network."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select, update

from ticketing.models import AuthSession, OutboxItem, Webhook, utcnow
from ticketing.services.delivery import deliver_due
from ticketing.web.app import init_app

from .conftest import PASSWORD

PAGES = ["/", "/login", "/agent", "/supervisor", "/survey/not-a-real-token"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


@pytest.fixture
def settings(settings):
    """Webhooks may go to one named host only: the loopback receivers of other modules are
    refused here, as they would be in production."""
    return replace(settings, webhook_allowed_hosts="hooks.allowed.example")


@pytest.fixture
async def admin(make_staff):
    return await make_staff("admin@example.com", role="admin", name="Ada")


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_has_a_policy_and_no_inline_code(client, path):
    response = await client.get(path, allow_redirects=False)
    assert response.status in (200, 302, 404), path
    if response.status == 302:
        return
    html = await response.text()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if not response.content_type.startswith("text/html"):
        assert response.status == 404, path  # a plain-text "not found", nothing to run
        return
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, csp
    assert "frame-ancestors" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert not INLINE_SCRIPT.search(html), f"{path} has an inline script"
    assert " style=" not in html and "<style" not in html, f"{path} has inline style"
    assert not re.search(r"\son[a-z]+=", html), f"{path} has an inline event handler"


async def test_api_answers_carry_nosniff_and_no_hsts_over_plain_http(client):
    response = await client.get("/api/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers
    error = await client.get("/api/no-such-thing")
    assert error.status == 404 and error.headers["X-Content-Type-Options"] == "nosniff"


async def test_hsts_and_frame_ancestors_follow_the_settings(aiohttp_client, settings):
    secure = await aiohttp_client(
        init_app(replace(settings, cookie_secure=True, frame_ancestors="https://shop.example"))
    )
    response = await secure.get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "frame-ancestors https://shop.example" in response.headers["Content-Security-Policy"]


async def test_agent_socket_from_a_foreign_page_is_refused(client, make_staff):
    dana = await make_staff("dana@example.com")
    headers = {**dana.headers(write=False), "Origin": "https://evil.example"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/api/agent/ws", headers=headers)
    assert refused.value.status == 403
    own = f"http://{client.server.host}:{client.server.port}"
    ws = await client.ws_connect(
        "/api/agent/ws", headers={**dana.headers(write=False), "Origin": own}
    )
    await ws.close()


async def test_a_staff_session_ends_a_week_after_sign_in_even_when_used(client, hub, make_staff):
    dana = await make_staff("dana@example.com")
    assert (await dana.get("/api/auth/me"))["user"]["email"] == "dana@example.com"
    async with hub.sessions() as db, db.begin():
        await db.execute(
            update(AuthSession).values(
                created_at=utcnow() - timedelta(days=7, minutes=1),
                last_seen_at=utcnow() - timedelta(minutes=5),
            )
        )
    await dana.get("/api/auth/me", expect=401)


async def test_changing_the_password_ends_the_other_sessions(client, make_staff):
    dana = await make_staff("dana@example.com")
    login = {"email": "dana@example.com", "password": PASSWORD}
    other = await client.post("/api/auth/login", json=login)
    other_cookie = {"Cookie": f"helpdesk_session={other.cookies['helpdesk_session'].value}"}
    client.session.cookie_jar.clear()

    wrong = await dana.post("/api/auth/password", {"current": "nope", "new": "x" * 12}, 401)
    assert wrong["error"]["code"] == "invalid_credentials"
    short = await dana.post("/api/auth/password", {"current": PASSWORD, "new": "short"}, 422)
    assert short["error"]["field"] == "new"
    assert (await client.get("/api/auth/me", headers=other_cookie)).status == 200  # unchanged

    await dana.post("/api/auth/password", {"current": PASSWORD, "new": "a much better one"})
    assert (await client.get("/api/auth/me", headers=other_cookie)).status == 401
    await dana.get("/api/auth/me")  # the session that changed it goes on
    old = await client.post("/api/auth/login", json=login)
    assert old.status == 401
    new = await client.post(
        "/api/auth/login", json={"email": "dana@example.com", "password": "a much better one"}
    )
    assert new.status == 200


@pytest.mark.parametrize("token", ["\xff\xfe", "é" * 40, "x" * 5000, ""])
async def test_odd_tokens_are_refused_not_crashed_on(client, new_chat, token):
    chat = await new_chat()
    response = await client.get(
        f"/api/chat/sessions/{chat.session_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401
    cookie = await client.get("/api/auth/me", headers={"Cookie": f"helpdesk_session={token}"})
    assert cookie.status == 401


@pytest.mark.parametrize("bad", ["0001-01-01", "9999-12-31", "1999-12-31"])
async def test_report_dates_outside_the_supported_range_are_refused(make_staff, bad):
    sam = await make_staff("sam@example.com", role="supervisor")
    answer = await sam.get(f"/api/reports/summary?from={bad}&to=2026-01-01", expect=422)
    assert answer["error"]["field"] == "from"
    await sam.get("/api/reports/summary?from=2026-01-01&to=2026-01-07")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",  # the cloud's metadata service
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://localhost/hook",
        "http://0.0.0.0/hook",
    ],
)
async def test_webhooks_into_the_hubs_own_network_are_refused(hub, admin, url):
    answer = await admin.post(
        "/api/webhooks", {"url": url, "events": ["ticket.created"], "secret": "s" * 20}, 422
    )
    assert answer["error"]["field"] == "url" and "public" in answer["error"]["message"]
    async with hub.sessions() as db:
        assert (await db.execute(select(Webhook))).first() is None


async def test_allowed_and_public_webhook_hosts_are_accepted(admin):
    for url in ["https://hooks.allowed.example/in", "https://93.184.216.34/in"]:
        body = {"url": url, "events": ["ticket.created"], "secret": "s" * 20}
        created = await admin.post("/api/webhooks", body, 201)
        hook = created["webhook"]
        moved = {"url": "http://10.1.2.3/in"}
        await admin.patch(f"/api/webhooks/{hook['id']}", moved, 422)
        assert (await admin.get(f"/api/webhooks/{hook['id']}"))["webhook"]["url"] == url


async def test_a_webhook_that_points_inside_by_delivery_time_is_not_called(
    aiohttp_server, hub, admin
):
    calls = []

    async def receive(request):
        calls.append(await request.read())
        return web.Response()

    app = web.Application()
    app.router.add_post("/in", receive)
    server = await aiohttp_server(app)
    # saved when it was still allowed (or its name resolved elsewhere): the row is as stored
    async with hub.sessions() as db, db.begin():
        hook = Webhook(url=f"http://127.0.0.1:{server.port}/in", secret="s" * 20, events=["*"])
        db.add(hook)
    await admin.post(f"/api/webhooks/{hook.id}/test", expect=202)
    assert await deliver_due(hub) == 1
    assert calls == []
    async with hub.sessions() as db:
        item = (await db.execute(select(OutboxItem))).scalar_one()
    assert item.status == "failed" and "public" in item.last_error


async def test_a_wrong_method_names_the_allowed_ones(client):
    response = await client.request("TRACE", "/api/chat/sessions")
    assert response.status == 405
    assert "POST" in response.headers["Allow"]
    assert (await response.json())["error"]["code"] == "method_not_allowed"


async def test_a_customer_that_is_not_an_object_is_refused(client):
    for customer in ("", [], 0):
        response = await client.post("/api/chat/sessions", json={"customer": customer})
        assert response.status == 422, customer
        assert (await response.json())["error"]["field"] == "customer"


async def test_an_id_too_long_for_the_database_is_not_found(admin):
    huge = "9" * 30
    for method, path in (
        ("GET", f"/api/improvement-actions/{huge}"),
        ("PATCH", f"/api/improvement-actions/{huge}"),
        ("DELETE", f"/api/nlu/labels/{huge}"),
        ("GET", f"/api/webhooks/{huge}"),
        ("PATCH", f"/api/canned-responses/{huge}"),
        ("DELETE", f"/api/canned-responses/{huge}"),
        ("GET", f"/api/customers/{huge}"),
    ):
        body = {"status": "done"} if method == "PATCH" else None
        error = await admin.call(method, path, body, expect=404)
        assert error["error"]["code"] == "not_found", path
