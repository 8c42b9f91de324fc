"""The privacy notice the widget shows before a chat's first message, in a real browser.

This module's hub runs as in production, with ``CHAT_CONSENT_REQUIRED=true``: a message in a
session without consent is refused (403 ``consent_required``), so every message that arrives
here proves the widget sent the consent. The notice itself comes from the hub
(``GET /api/chat/privacy``); what was accepted is checked in the hub's SQLite database
(``consents``, ``conversations.consent_version``).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from .support import ACCEPT_PRIVACY, start_hub, stop_hub, verified_customer
from .test_widget import APOLOGY, customer_bubble, send, stored_session

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

PRIVACY_URL = re.compile(r"/api/chat/privacy\?")
SESSIONS_URL = re.compile(r"/api/chat/sessions$")
CONSENT_URL = re.compile(r"/api/chat/sessions/[^/]+/consent$")
ACCEPT_ZH = "同意并开始对话"


# ------------------------------------------------------------------------------------ the hub


@dataclass(frozen=True)
class Hub:
    url: str
    database: Path


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Hub]:
    """This module's own hub, consent required as in production, on a SQLite file we read."""
    database = tmp_path_factory.mktemp("consent-hub") / "hub.db"
    url, process = start_hub(
        f"sqlite:///{database}",
        artifacts / "browser-consent-hub.log",
        extra_env={"CHAT_CONSENT_REQUIRED": "true"},
    )
    try:
        yield Hub(url, database)
    finally:
        stop_hub(process)


@pytest.fixture(scope="module")
def hub_url(hub: Hub) -> str:
    """Points conftest's ``context`` and ``page`` fixtures at this module's hub."""
    return hub.url


def query(hub: Hub, sql: str, *params) -> list[tuple]:
    with closing(sqlite3.connect(hub.database, timeout=10)) as db:
        return db.execute(sql, params).fetchall()


def conversation_count(hub: Hub) -> int:
    return query(hub, "SELECT count(*) FROM conversations")[0][0]


def consents_of(hub: Hub, session_id: str) -> list[tuple]:
    """(kind, granted, channel, wording, version) of a session's consent records."""
    return query(
        hub,
        "SELECT c.kind, c.granted, c.channel, c.wording, c.version FROM consents c"
        " JOIN conversations v ON v.id = c.conversation_id WHERE v.public_id = ?"
        " ORDER BY c.id",
        session_id,
    )


def consent_version(hub: Hub, session_id: str) -> str | None:
    [(version,)] = query(
        hub, "SELECT consent_version FROM conversations WHERE public_id = ?", session_id
    )
    return version


def notices(page: Page, locale: str = "en") -> dict:
    """The hub's answer to GET /api/chat/privacy, as the widget gets it."""
    response = page.request.get(f"/api/chat/privacy?locale={locale}")
    assert response.ok, response.text()
    return response.json()


# ------------------------------------------------------------------------------------ helpers


def region(page: Page, name: str = "About your privacy"):
    return page.get_by_role("region", name=name)


def launch(page: Page, path: str = "/", launcher: str = "Chat with us") -> None:
    page.goto(path)
    page.get_by_role("button", name=launcher).click()
    expect(page.locator(".hd-panel")).to_be_visible()


def session_posts(page: Page) -> list[Request]:
    """Records every POST /api/chat/sessions the page makes from now on."""
    posts: list[Request] = []
    page.on(
        "request",
        lambda r: posts.append(r) if r.method == "POST" and SESSIONS_URL.search(r.url) else None,
    )
    return posts


def shop_page(page: Page, hub: Hub, customer: dict[str, str]) -> str:
    """A shop page that embeds the widget for a signed-in customer (data attributes)."""
    attributes = (
        f'data-customer-email="{customer["email"]}" data-customer-name="{customer["name"]}"'
        + (f' data-user-hash="{customer["user_hash"]}"' if "user_hash" in customer else "")
    )
    html = (
        '<!doctype html><meta charset="utf-8"><title>Signed in</title><h1>My account</h1>'
        f'<script src="/widget.js" {attributes} defer></script>'
    )
    page.route(
        f"{hub.url}/account", lambda route: route.fulfill(content_type="text/html", body=html)
    )
    return "/account"


# -------------------------------------------------------------------------------------- tests


def test_no_chat_before_accept_then_consent_is_recorded(
    page: Page, hub: Hub, artifacts: Path
) -> None:
    notice = notices(page)["chat"]
    before = conversation_count(hub)
    posts = session_posts(page)
    launch(page)

    # (a) The notice, the link and the button; the composer waits; no session exists.
    shown = region(page)
    expect(shown).to_be_visible()
    expect(shown.locator(".hd-consent-text")).to_have_text(notice["text"])
    link = shown.get_by_role("link", name=re.compile("^Privacy notice"))
    expect(link).to_have_attribute("href", f"{hub.url}/privacy?locale=en")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    assert page.request.get(link.get_attribute("href")).ok  # the hub's privacy page
    accept = shown.get_by_role("button", name=ACCEPT_PRIVACY)
    expect(accept).to_be_focused()  # the customer opened the panel: the focus is on the notice
    expect(page.get_by_label("Your message")).to_be_disabled()
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_disabled()
    expect(shown.get_by_role("checkbox")).to_have_count(0)  # (d) anonymous: no marketing box
    page.wait_for_timeout(500)  # time enough for a session the widget should not create
    assert posts == []
    assert stored_session(page) is None
    assert conversation_count(hub) == before
    page.screenshot(path=str(artifacts / "widget-privacy-notice.png"))

    # (b) Accept with the keyboard: the session starts with the consent, the message goes in.
    page.keyboard.press("Enter")
    expect(shown).to_be_hidden()
    box = page.get_by_label("Your message")
    expect(box).to_be_enabled()
    expect(box).to_be_focused()
    send(page, "hello")
    expect(customer_bubble(page, "hello")).to_be_visible()
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible()

    assert len(posts) == 1
    assert posts[0].post_data_json["consent"] == {"chat": True, "version": notice["version"]}
    session = stored_session(page)
    assert consent_version(hub, session["session_id"]) == notice["version"]
    assert consents_of(hub, session["session_id"]) == [
        ("chat", 1, "widget", notice["text"], notice["version"])
    ]
    remembered = page.evaluate(f"() => localStorage.getItem('hd-chat-consent:{hub.url}')")
    assert json.loads(remembered)["version"] == notice["version"]


def test_the_same_version_is_not_asked_again(page: Page, hub: Hub) -> None:
    launch(page)
    region(page).get_by_role("button", name=ACCEPT_PRIVACY).click()
    send(page, "hello")
    expect(customer_bubble(page, "hello")).to_be_visible()
    first = stored_session(page)

    # (c) After a reload: the same chat, no notice, the composer works at once.
    page.reload()
    expect(customer_bubble(page, "hello")).to_be_visible()
    expect(page.get_by_label("Your message")).to_be_enabled()
    send(page, "still here")
    expect(customer_bubble(page, "still here")).to_be_visible()
    expect(region(page)).to_be_hidden()

    # A new chat on the same site, same notice version: not asked again, consent still sent.
    posts = session_posts(page)
    page.get_by_role("button", name="End chat").click()
    page.get_by_role("button", name="Start a new chat").click()
    expect(page.get_by_role("button", name="End chat")).to_be_enabled()
    second = stored_session(page)
    assert second["session_id"] != first["session_id"]
    expect(region(page)).to_be_hidden()
    send(page, "a new chat")
    expect(customer_bubble(page, "a new chat")).to_be_visible()
    version = notices(page)["chat"]["version"]
    assert posts[0].post_data_json["consent"] == {"chat": True, "version": version}
    assert consent_version(hub, second["session_id"]) == version


def test_another_version_is_asked_again(page: Page, hub: Hub) -> None:
    """The customer accepted an older notice on this site: the current one is shown."""
    old = json.dumps({"version": "chat-000000000000", "customer": None})
    page.context.add_init_script(
        f"localStorage.setItem({json.dumps('hd-chat-consent:' + hub.url)}, {json.dumps(old)});"
    )
    launch(page)
    expect(region(page).get_by_role("button", name=ACCEPT_PRIVACY)).to_be_visible()
    expect(page.get_by_label("Your message")).to_be_disabled()


def test_marketing_box_is_unticked_for_a_verified_customer(
    page: Page, hub: Hub, artifacts: Path
) -> None:
    texts = notices(page)
    customer = verified_customer("Ann Lee", "ann.consent@example.com")
    posts = session_posts(page)
    launch(page, shop_page(page, hub, customer))

    # (d) Verified: the box with the hub's wording, unticked.
    box = region(page).get_by_role("checkbox", name=texts["marketing"]["text"])
    expect(box).to_be_visible()
    expect(box).not_to_be_checked()
    page.screenshot(path=str(artifacts / "widget-privacy-notice-verified.png"))
    box.check()  # the customer opts in herself
    region(page).get_by_role("button", name=ACCEPT_PRIVACY).click()
    send(page, "hello")
    expect(customer_bubble(page, "hello")).to_be_visible()

    assert posts[0].post_data_json["consent"] == {
        "chat": True,
        "version": texts["chat"]["version"],
        "marketing": True,
    }
    records = consents_of(hub, stored_session(page)["session_id"])
    assert records == [
        ("chat", 1, "widget", texts["chat"]["text"], texts["chat"]["version"]),
        ("marketing", 1, "widget", texts["marketing"]["text"], texts["marketing"]["version"]),
    ]


def test_no_marketing_box_for_a_customer_the_shop_did_not_verify(page: Page, hub: Hub) -> None:
    unverified = {"name": "Eve", "email": "eve@example.com"}  # an e-mail without the hash
    launch(page, shop_page(page, hub, unverified))
    accept = region(page).get_by_role("button", name=ACCEPT_PRIVACY)
    expect(accept).to_be_visible()
    expect(region(page).get_by_role("checkbox")).to_have_count(0)


def test_a_resumed_session_without_consent_asks_and_records_it(page: Page, hub: Hub) -> None:
    """A chat started before the notice existed (here: through the API, without consent)."""
    created = page.request.post("/api/chat/sessions", data={"locale": "en"})
    assert created.status == 201, created.text()
    chat = created.json()
    stored = json.dumps({"session_id": chat["session_id"], "token": chat["token"], "base": hub.url})
    page.context.add_init_script(
        f"localStorage.setItem({json.dumps('hd-chat:' + hub.url)}, {json.dumps(stored)});"
    )
    consents: list[Request] = []
    page.on(
        "request",
        lambda r: consents.append(r) if r.method == "POST" and CONSENT_URL.search(r.url) else None,
    )
    refused = page.request.post(
        f"/api/chat/sessions/{chat['session_id']}/messages",
        data={"text": "no consent yet"},
        headers={"Authorization": f"Bearer {chat['token']}"},
    )
    assert refused.status == 403 and refused.json()["error"]["code"] == "consent_required"
    launch(page)
    expect(region(page).get_by_role("button", name=ACCEPT_PRIVACY)).to_be_focused()
    expect(page.get_by_label("Your message")).to_be_disabled()
    assert consent_version(hub, chat["session_id"]) is None

    region(page).get_by_role("button", name=ACCEPT_PRIVACY).click()
    send(page, "hello again")
    expect(customer_bubble(page, "hello again")).to_be_visible()
    assert stored_session(page)["session_id"] == chat["session_id"]  # the same chat
    version = notices(page)["chat"]["version"]
    assert [r.post_data_json for r in consents] == [{"chat": True, "version": version}]
    assert consent_version(hub, chat["session_id"]) == version


def test_a_changed_notice_is_shown_again(page: Page, hub: Hub) -> None:
    """The hub's notice changed after the widget fetched it: 422 notice_changed, ask again."""
    current = notices(page)
    served: list[str] = []

    def stale_first(route) -> None:
        response = route.fetch()
        body = response.json()
        if not served:
            body["chat"] = {**body["chat"], "version": "chat-0123456789ab", "text": "Old notice."}
        served.append(body["chat"]["version"])
        route.fulfill(response=response, json=body)

    page.route(PRIVACY_URL, stale_first)
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: (
            statuses.append(r.status)
            if r.request.method == "POST" and SESSIONS_URL.search(r.url)
            else None
        ),
    )
    launch(page)
    expect(region(page).locator(".hd-consent-text")).to_have_text("Old notice.")
    region(page).get_by_role("button", name=ACCEPT_PRIVACY).click()

    expect(region(page)).to_contain_text("Our privacy notice has changed")
    expect(region(page).locator(".hd-consent-text")).to_have_text(current["chat"]["text"])
    expect(page.get_by_label("Your message")).to_be_disabled()
    region(page).get_by_role("button", name=ACCEPT_PRIVACY).click()
    send(page, "hello")
    expect(customer_bubble(page, "hello")).to_be_visible()
    assert statuses == [422, 201]
    session = stored_session(page)
    assert consent_version(hub, session["session_id"]) == current["chat"]["version"]


def test_no_chat_when_the_notice_cannot_be_fetched(page: Page, hub: Hub) -> None:
    before = conversation_count(hub)
    page.route(PRIVACY_URL, lambda route: route.abort("connectionrefused"))
    launch(page)
    shown = region(page)
    expect(shown).to_contain_text("We can't start the chat right now, please try again")
    retry = shown.get_by_role("button", name="Try again")
    expect(retry).to_be_focused()
    expect(page.get_by_label("Your message")).to_be_disabled()
    page.wait_for_timeout(300)
    assert stored_session(page) is None
    assert conversation_count(hub) == before

    page.unroute(PRIVACY_URL)
    retry.click()
    accept = shown.get_by_role("button", name=ACCEPT_PRIVACY)
    expect(accept).to_be_focused()
    accept.click()
    send(page, "hello")
    expect(customer_bubble(page, "hello")).to_be_visible()


def test_the_notice_is_shown_as_text(page: Page, hub: Hub) -> None:
    attack = 'Recorded. <img src=x onerror=alert(1)><a href="javascript:alert(2)">x</a>'

    def markup(route) -> None:
        response = route.fetch()
        body = response.json()
        body["chat"]["text"] = attack
        route.fulfill(response=response, json=body)

    page.route(PRIVACY_URL, markup)
    launch(page)
    expect(region(page).locator(".hd-consent-text")).to_have_text(attack)
    root = "document.getElementById('hd-chat-widget').shadowRoot"
    assert page.evaluate(f"() => {root}.querySelectorAll('.hd-consent img').length") == 0
    assert page.evaluate(f"() => {root}.querySelectorAll('.hd-consent a').length") == 1  # ours


def test_chinese_notice(browser: Browser, hub: Hub) -> None:
    context = browser.new_context(base_url=hub.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        notice = notices(page, "zh-CN")["chat"]
        assert notice["text"] != notices(page, "en")["chat"]["text"]
        launch(page, launcher="联系客服")

        # (e) The Chinese notice, link and button.
        shown = region(page, "关于您的隐私")
        expect(shown.locator(".hd-consent-text")).to_have_text(notice["text"])
        link = shown.get_by_role("link", name=re.compile("^隐私声明"))
        expect(link).to_have_attribute("href", f"{hub.url}/privacy?locale=zh-CN")
        expect(page.get_by_label("您的消息")).to_be_disabled()
        shown.get_by_role("button", name=ACCEPT_ZH).click()
        send(page, "你好", label="您的消息")
        expect(customer_bubble(page, "你好")).to_be_visible()

        session = stored_session(page)
        assert consents_of(hub, session["session_id"]) == [
            ("chat", 1, "widget", notice["text"], notice["version"])
        ]
    finally:
        context.close()
