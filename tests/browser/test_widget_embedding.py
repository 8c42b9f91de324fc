"""The widget on another site's page: one classic tag, its modules fetched across origins.

``/widget.js`` is a classic script that imports the widget's ES modules (``/static/widget/``
and the ``/static/live.js`` it shares with the consoles) from the hub that served it. On a
shop's own site that is a cross-origin module fetch, which needs a CORS header. Here the
shop's page comes from a small server of its own on another port: another origin for the
browser (both on loopback, so Chromium's local-network checks stay out of the way).
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .support import accept_privacy
from .test_widget import APOLOGY, customer_bubble, send

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


class Shop:
    """A one-page web site on its own port; the page and its Content-Security-Policy are set
    per test."""

    def __init__(self) -> None:
        shop = self
        self.html = b""
        self.csp: str | None = None

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                if shop.csp:
                    self.send_header("Content-Security-Policy", shop.csp)
                self.end_headers()
                self.wfile.write(shop.html)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, hub_url: str, *, csp: str | None = None) -> str:
        self.csp = csp
        self.html = (
            '<!doctype html><meta charset="utf-8"><title>Another shop</title><h1>Another shop</h1>'
            f'<script src="{hub_url}/widget.js" defer></script>'
        ).encode()
        return self.url + "/shop/product"


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    site = Shop()
    yield site
    site.server.shutdown()
    site.server.server_close()


def stored_session(page: Page, hub_url: str) -> dict | None:
    """The widget keeps its session in the shop's localStorage, keyed by the hub's URL."""
    return page.evaluate(f"() => JSON.parse(localStorage.getItem('hd-chat:{hub_url}'))")


def test_chats_from_another_origin(page: Page, hub_url: str, shop: Shop) -> None:
    modules: dict[str, str | None] = {}
    page.on(
        "response",
        lambda r: (
            modules.__setitem__(r.url, r.headers.get("access-control-allow-origin"))
            if r.url.endswith(".js")
            else None
        ),
    )
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(shop.page(hub_url))
    assert page.evaluate("location.origin") == shop.url != hub_url

    page.get_by_role("button", name="Chat with us").click()
    accept_privacy(page)
    expect(page.get_by_label("Your message")).to_be_focused()
    send(page, "hello from another site")
    expect(customer_bubble(page, "hello from another site")).to_be_visible()
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible()

    # The modules came from the hub with the header a cross-origin module needs.
    assert modules[f"{hub_url}/static/widget/main.js"] == "*"
    assert modules[f"{hub_url}/static/live.js"] == "*"
    # The live connection (live.js) is up: the hub's socket, for this session.
    session = stored_session(page, hub_url)
    assert session and session["base"] == hub_url
    deadline = time.monotonic() + 10
    while not any(session["session_id"] in url for url in sockets):
        assert time.monotonic() < deadline, "no WebSocket to the hub"
        page.wait_for_timeout(100)
    assert all(url.startswith(hub_url.replace("http", "ws")) for url in sockets)


def test_another_origin_with_a_strict_content_security_policy(
    page: Page, hub_url: str, shop: Shop
) -> None:
    """The shop allows the hub and nothing inline: the widget needs no more than that."""
    ws_origin = hub_url.replace("http://", "ws://")
    policy = (
        f"default-src 'none'; script-src {hub_url}; style-src {hub_url}; img-src {hub_url};"
        f" connect-src {hub_url} {ws_origin}; base-uri 'none'"
    )
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(shop.page(hub_url, csp=policy))
    page.get_by_role("button", name="Chat with us").click()
    accept_privacy(page)
    send(page, "hello under a policy")
    expect(customer_bubble(page, "hello under a policy")).to_be_visible()
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible()
    radius = page.locator(".hd-send").evaluate("el => getComputedStyle(el).borderRadius")
    assert radius not in ("", "0px")  # the stylesheet applied
    assert violations == []


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_widget_js_carries_the_texts_of_every_locale(hub_url: str) -> None:
    status, headers, body = fetch(f"{hub_url}/widget.js")
    assert status == 200
    assert headers["Content-Type"].startswith("application/javascript")
    assert headers["Cache-Control"] == "no-cache"
    assert body.isascii()  # \u escapes: right on a page in any charset
    first, rest = body.decode().split("\n", 1)
    match = re.fullmatch(r"window\.__hdChatWidgetStrings = (\{.*\});", first)
    assert match, first[:200]
    strings = json.loads(match.group(1))
    assert set(strings) == {"en", "zh-CN"}
    assert strings["en"]["launcher"] == "Chat with us"
    assert strings["zh-CN"]["launcher"] == "联系客服"
    assert set(strings["en"]) == set(strings["zh-CN"])
    assert 'import(base + "/static/widget/main.js")' in rest
    # Revalidation answers 304 while nothing changed.
    again, _, empty = fetch(f"{hub_url}/widget.js", {"If-None-Match": headers["ETag"]})
    assert (again, empty) == (304, b"")


def test_the_widget_modules_are_served_across_origins(hub_url: str) -> None:
    for path in ("/static/live.js", "/static/widget/main.js", "/static/widget/session.js"):
        status, headers, _ = fetch(hub_url + path)
        assert status == 200, path
        assert headers["Access-Control-Allow-Origin"] == "*", path
        assert headers["Content-Type"].startswith("text/javascript"), path
    assert fetch(f"{hub_url}/static/widget/nothing.js")[0] == 404
