"""The customer chat widget in a real browser, against a real hub whose Rasa is unreachable.

With Rasa down the hub answers every customer message with a system apology that offers a
"Talk to a person" button; clicking it opens a ticket (T-000001, ...) and queues the chat.
The widget lives in an open Shadow DOM; Playwright's CSS and role locators pierce it.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .support import accept_privacy

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

APOLOGY = "Sorry, our assistant is not answering right now"
MESSAGES_URL = re.compile(r"/api/chat/sessions/[^/]+/messages(\?|$)")
SOCKET_URL = re.compile(r"/api/chat/sessions/[^/]+/ws")

# Every rendered (confirmed) message, as the widget shows it.
JS_MESSAGES = """() => Array.from(
  document.getElementById('hd-chat-widget').shadowRoot.querySelectorAll('li.hd-msg[data-id]')
).map(li => ({
  id: Number(li.dataset.id),
  sender: li.dataset.sender,
  text: (li.querySelector('.hd-bubble') || {textContent: ''}).textContent,
}))"""


# ------------------------------------------------------------------------------------ helpers


def open_chat(page: Page, path: str = "/") -> None:
    page.goto(path)
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".hd-panel")).to_be_visible()
    accept_privacy(page)
    expect(page.get_by_label("Your message")).to_be_focused()


def send(page: Page, text: str, label: str = "Your message") -> None:
    page.get_by_label(label).fill(text)
    page.get_by_label(label).press("Enter")


def stored_session(page: Page) -> dict | None:
    return page.evaluate("() => JSON.parse(localStorage.getItem('hd-chat:' + location.origin))")


def rendered_messages(page: Page) -> list[dict]:
    return page.evaluate(JS_MESSAGES)


def customer_bubble(page: Page, text: str):
    return page.locator("li.hd-msg--customer[data-id] .hd-bubble", has_text=text)


def hello_and_apology(page: Page) -> None:
    """Sends "hello" and waits for the hub's apology (Rasa is down) with its button."""
    send(page, "hello")
    expect(customer_bubble(page, "hello")).to_be_visible()
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible()
    expect(page.get_by_role("button", name="Talk to a person")).to_be_enabled()


def hand_off(page: Page) -> str:
    """Clicks "Talk to a person"; returns the ticket number from the system message."""
    page.get_by_role("button", name="Talk to a person").last.click()
    notice = page.locator("li.hd-msg--system", has_text="T-0000")
    expect(notice).to_be_visible()
    return re.search(r"T-\d{6}", notice.inner_text()).group(0)


def auth(session: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['token']}"}


def api_messages(page: Page, session: dict) -> list[dict]:
    response = page.request.get(
        f"/api/chat/sessions/{session['session_id']}/messages", headers=auth(session)
    )
    assert response.ok, response.text()
    return response.json()["messages"]


def post_as_customer(page: Page, text: str) -> list[dict]:
    """Writes into the page's session straight through the API, as a second tab would."""
    wait_until(page, lambda: stored_session(page), "the widget to create its session")
    session = stored_session(page)
    response = page.request.post(
        f"/api/chat/sessions/{session['session_id']}/messages",
        headers=auth(session),
        data={"text": text},
    )
    assert response.ok, response.text()
    return response.json()["messages"]


def wait_until(page: Page, condition, message: str, timeout: float = 10) -> None:
    """Waits for a condition on Python-side state (event listeners) to become true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        page.wait_for_timeout(100)


# -------------------------------------------------------------------------------------- tests


def test_open_panel_send_message_and_get_apology(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_text("Customer service: chat with us (bottom right)")).to_be_visible()
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".hd-panel")).to_be_hidden()

    launcher.click()
    expect(page.locator(".hd-panel")).to_be_visible()
    expect(page.get_by_role("button", name="Hide chat")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    send_button = page.get_by_role("button", name="Send", exact=True)
    expect(send_button).to_be_disabled()  # nothing typed yet
    accept_privacy(page)

    # Hold the POST to see the pending bubble and the typing indicator, then let it through.
    held = []
    page.route(
        MESSAGES_URL,
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    send(page, "hello")
    expect(page.get_by_label("Your message")).to_have_value("")  # sent, so cleared
    expect(page.locator("li.hd-msg--pending")).to_contain_text("Sending…")
    expect(page.locator(".hd-typing")).to_be_visible()
    wait_until(page, lambda: held, "the message was never posted")
    held[0].continue_()
    page.unroute(MESSAGES_URL)

    expect(customer_bubble(page, "hello")).to_be_visible()
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible()
    expect(page.get_by_role("button", name="Talk to a person")).to_be_enabled()
    expect(page.locator(".hd-typing")).to_be_hidden()
    expect(page.locator("li.hd-msg--pending")).to_have_count(0)

    messages = rendered_messages(page)
    assert [m["sender"] for m in messages] == ["customer", "system"]
    assert messages[0]["text"] == "hello"
    assert APOLOGY in messages[1]["text"]
    assert messages[0]["id"] < messages[1]["id"]
    assert stored_session(page)["session_id"]

    # The customer's bubble sits on the right, the system notice in the middle.
    log_box = page.get_by_role("log").bounding_box()
    mine = page.locator("li.hd-msg--customer[data-id]").first.bounding_box()
    notice = page.locator("li.hd-msg--system").first.bounding_box()
    assert mine["x"] + mine["width"] == pytest.approx(log_box["x"] + log_box["width"], abs=2)
    notice_center = notice["x"] + notice["width"] / 2
    assert notice_center == pytest.approx(log_box["x"] + log_box["width"] / 2, abs=4)

    # Keyboard: Escape minimizes and gives focus back to the launcher, Enter reopens.
    page.keyboard.press("Escape")
    expect(page.locator(".hd-panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".hd-panel")).to_be_visible()
    expect(page.get_by_label("Your message")).to_be_focused()


def test_talk_to_a_person_creates_ticket_and_shows_queue(page: Page, artifacts: Path) -> None:
    open_chat(page)
    hello_and_apology(page)
    ticket = hand_off(page)

    expect(page.locator(".hd-status-text")).to_have_text(
        re.compile(rf"Waiting for an agent \(ticket {ticket}\) — you are number \d+ in the queue")
    )
    # The click is shown as the customer's message, and the used button group is disabled.
    expect(customer_bubble(page, "Talk to a person")).to_be_visible()
    expect(page.get_by_role("button", name="Talk to a person")).to_be_disabled()

    session = stored_session(page)
    state = page.request.get(
        f"/api/chat/sessions/{session['session_id']}", headers=auth(session)
    ).json()
    assert state["status"] == "queued"
    assert state["ticket"]["number"] == ticket

    page.screenshot(path=str(artifacts / "widget-queued.png"))


def test_reload_keeps_the_session(page: Page) -> None:
    open_chat(page)
    hello_and_apology(page)
    ticket = hand_off(page)
    before = rendered_messages(page)
    session = stored_session(page)
    assert len(before) == 4  # hello, apology, "Talk to a person", ticket notice

    created: list[str] = []
    page.on(
        "request",
        lambda r: (
            created.append(r.url)
            if r.method == "POST" and r.url.endswith("/api/chat/sessions")
            else None
        ),
    )
    page.reload()

    # The panel was open, so it is open again, with the same conversation and status.
    expect(page.locator(".hd-panel")).to_be_visible()
    expect(page.locator("li.hd-msg[data-id]")).to_have_count(len(before))
    assert rendered_messages(page) == before
    assert stored_session(page) == session
    assert created == []
    expect(page.locator(".hd-status-text")).to_contain_text(f"ticket {ticket}")

    # Minimizing is remembered too.
    page.get_by_role("button", name="Minimize chat").click()
    expect(page.locator(".hd-panel")).to_be_hidden()
    page.reload()
    expect(page.get_by_role("button", name="Chat with us")).to_be_visible()
    expect(page.locator(".hd-panel")).to_be_hidden()


def test_websocket_push_appears_without_reload(page: Page) -> None:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(str(data))))
    open_chat(page)
    expect(page.locator("li.hd-msg[data-id]")).to_have_count(0)
    # The hub sends the status as the first frame once the socket is subscribed.
    wait_until(page, lambda: any('"type": "status"' in f for f in frames), "no WebSocket")

    stored = post_as_customer(page, "written in another tab")

    # It shows up in this page over the socket, before any poll could have run.
    expect(customer_bubble(page, "written in another tab")).to_be_visible(timeout=2_500)
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible(timeout=2_500)
    assert any("written in another tab" in f for f in frames)
    assert [m["id"] for m in rendered_messages(page)] == [m["id"] for m in stored]

    # While minimized, new replies are counted on the launcher.
    page.get_by_role("button", name="Minimize chat").click()
    post_as_customer(page, "again from the other tab")
    badge = page.locator(".hd-badge")
    expect(badge).to_have_text("1")  # the apology; the customer's own text does not count
    launcher = page.locator(".hd-launcher")
    expect(launcher).to_have_attribute("aria-label", re.compile("1 new messages"))
    launcher.click()
    expect(badge).to_be_hidden()


def test_markup_in_messages_is_shown_as_text(page: Page) -> None:
    open_chat(page)
    attack = "<img src=x onerror=alert(1)>"
    send(page, attack)
    expect(customer_bubble(page, attack)).to_have_text(attack)
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible()
    images = page.evaluate(
        "() => document.querySelectorAll('img').length"
        " + document.getElementById('hd-chat-widget').shadowRoot.querySelectorAll('img').length"
    )
    assert images == 0
    # The page fixture also fails the test if an alert() dialog was opened.


def test_links_and_line_breaks(page: Page) -> None:
    open_chat(page)
    box = page.get_by_label("Your message")
    box.fill("first line")
    box.press("Shift+Enter")  # a new line, not a send
    box.press_sequentially("see https://example.com/track?id=7.")
    expect(page.locator("li.hd-msg--customer")).to_have_count(0)
    box.press("Enter")

    bubble = customer_bubble(page, "first line")
    expect(bubble).to_have_text("first line\nsee https://example.com/track?id=7.")
    link = bubble.locator("a")
    expect(link).to_have_attribute("href", "https://example.com/track?id=7")  # no trailing "."
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")
    assert bubble.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"


def test_senders_look_different_and_duplicates_are_dropped(page: Page) -> None:
    """Bot and agent turns need Rasa and an agent; here they are injected into the socket."""
    sockets = []
    from_hub: list[str] = []

    def relay(ws) -> None:
        hub = ws.connect_to_server()

        def forward(frame) -> None:  # the hub's own frames still reach the page
            from_hub.append(str(frame))
            ws.send(frame)

        hub.on_message(forward)
        sockets.append(ws)

    page.route_web_socket(SOCKET_URL, relay)
    open_chat(page)
    # Inject only after the hub's first status frame, which would override ours.
    wait_until(page, lambda: from_hub, "no WebSocket")

    def push(event: dict) -> None:
        sockets[-1].send(json.dumps(event))

    def message(id_: int, sender: str, text: str, buttons=()) -> dict:
        body = {
            "id": id_,
            "sender": sender,
            "text": text,
            "buttons": list(buttons),
            "created_at": "2024-05-01T10:00:00Z",
        }
        return {"type": "message", "message": body}

    buttons = [
        {"title": "Track my order", "payload": "/track"},
        {"title": "Returns", "payload": "/returns"},
    ]
    ticket = {"number": "T-000042", "status": "open", "priority": "P3"}
    push(message(1002, "agent", "Hi, I am Ana from support."))
    push(message(1001, "bot", "Hello!\nHow can I help?", buttons))  # arrives out of order
    push(message(1002, "agent", "Hi, I am Ana from support."))  # again: dropped
    push({"type": "status", "status": "agent", "ticket": ticket, "queue_position": None})

    expect(page.locator("li.hd-msg[data-id]")).to_have_count(2)
    senders = [(m["id"], m["sender"]) for m in rendered_messages(page)]
    assert senders == [(1001, "bot"), (1002, "agent")]
    bot = page.locator("li.hd-msg--bot")
    agent = page.locator("li.hd-msg--agent")
    expect(bot.locator(".hd-msg-label")).to_have_text("Assistant")
    expect(agent.locator(".hd-msg-label")).to_have_text("Agent")
    expect(bot.locator(".hd-bubble")).to_have_text("Hello!\nHow can I help?")
    background = "el => getComputedStyle(el).backgroundColor"
    assert bot.locator(".hd-bubble").evaluate(background) != agent.locator(".hd-bubble").evaluate(
        background
    )
    expect(page.locator(".hd-status-text")).to_have_text("You are chatting with an agent")

    # A button sends its payload with its title as the text, then its group is disabled.
    with page.expect_request(lambda r: r.method == "POST" and MESSAGES_URL.search(r.url)) as sent:
        page.get_by_role("button", name="Track my order").click()
    assert sent.value.post_data_json == {"payload": "/track", "text": "Track my order"}
    expect(page.get_by_role("button", name="Returns")).to_be_disabled()
    expect(page.get_by_role("button", name="Track my order")).to_be_disabled()
    expect(customer_bubble(page, "Track my order")).to_be_visible()


def test_failed_send_keeps_text_and_retry_reuses_the_key(page: Page) -> None:
    open_chat(page)
    attempts: list[str] = []

    def flaky(route) -> None:
        if route.request.method != "POST":
            return route.continue_()
        attempts.append(route.request.headers.get("idempotency-key", ""))
        if len(attempts) == 1:
            return route.abort("internetdisconnected")
        return route.continue_()

    page.route(MESSAGES_URL, flaky)
    send(page, "please arrive once")

    failed = page.locator("li.hd-msg--failed")
    expect(failed).to_contain_text("please arrive once")
    expect(failed).to_contain_text("Not sent.")
    failed.get_by_role("button", name="Retry").click()

    expect(customer_bubble(page, "please arrive once")).to_be_visible()
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible()
    expect(page.locator("li.hd-msg--pending")).to_have_count(0)
    assert len(attempts) == 2 and attempts[0] and attempts[0] == attempts[1]

    stored = api_messages(page, stored_session(page))
    assert [m["text"] for m in stored if m["sender"] == "customer"] == ["please arrive once"]


def test_lost_answer_is_not_stored_twice(page: Page) -> None:
    """The hub stored the message but the answer never arrived: nothing shows up twice."""
    open_chat(page)
    keys: list[str] = []

    def lose_answer(route) -> None:
        if route.request.method != "POST":
            return route.continue_()
        keys.append(route.request.headers.get("idempotency-key", ""))
        route.fetch()  # the hub receives and stores it...
        route.abort("connectionreset")  # ...but the browser never sees the answer

    page.route(MESSAGES_URL, lose_answer)
    send(page, "stored exactly once")
    expect(customer_bubble(page, "stored exactly once")).to_have_count(1)
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible()
    expect(page.locator("li.hd-msg--pending")).to_have_count(0)
    stored = api_messages(page, stored_session(page))
    assert [m["text"] for m in stored if m["sender"] == "customer"] == ["stored exactly once"]
    assert len(keys) == 1


def test_end_chat_and_start_a_new_one(page: Page) -> None:
    open_chat(page)
    hello_and_apology(page)
    first = stored_session(page)

    page.get_by_role("button", name="End chat").click()
    expect(page.locator(".hd-status-text")).to_have_text("Chat ended")
    expect(page.locator("li.hd-msg--system", has_text="This chat has ended")).to_be_visible()
    expect(page.get_by_role("button", name="End chat")).to_be_disabled()

    page.get_by_role("button", name="Start a new chat").click()
    expect(page.locator("li.hd-msg[data-id]")).to_have_count(0)
    expect(page.locator(".hd-status")).to_be_hidden()
    expect(page.get_by_role("button", name="End chat")).to_be_enabled()
    second = stored_session(page)
    assert second["session_id"] != first["session_id"]


def test_polling_takes_over_when_the_websocket_fails(page: Page) -> None:
    connects: list[str] = []

    def refuse(ws) -> None:
        connects.append(ws.url)
        ws.close()

    page.route_web_socket(SOCKET_URL, refuse)
    open_chat(page)
    post_as_customer(page, "delivered by polling")
    expect(customer_bubble(page, "delivered by polling")).to_be_visible(timeout=8_000)
    assert len(connects) >= 2  # and it keeps trying to reconnect the socket


def test_message_length_limit(page: Page) -> None:
    open_chat(page)
    box = page.get_by_label("Your message")
    counter = page.locator(".hd-counter")
    send_button = page.get_by_role("button", name="Send", exact=True)

    box.fill("   ")
    expect(send_button).to_be_disabled()  # blank
    box.fill("x" * 1000)
    expect(counter).to_be_hidden()  # far from the limit
    box.fill("x" * 1900)
    expect(counter).to_have_text("1900 / 2000")
    expect(send_button).to_be_enabled()
    box.fill("x" * 2001)
    expect(counter).to_contain_text("2001 / 2000")
    expect(send_button).to_be_disabled()
    expect(box).to_have_attribute("aria-invalid", "true")
    box.press("Enter")
    expect(page.locator("li.hd-msg--customer")).to_have_count(0)  # blocked
    expect(box).to_have_value("x" * 2001)  # and nothing is lost


def test_chinese_locale(browser, hub_url: str) -> None:
    context = browser.new_context(base_url=hub_url, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("button", name="联系客服").click()
        accept_privacy(page, "同意并开始对话")
        send(page, "你好", label="您的消息")
        # The session was created with the browser's locale, so the hub answers in Chinese.
        expect(page.locator("li.hd-msg--system", has_text="抱歉")).to_be_visible()
        expect(page.get_by_role("button", name="转人工客服")).to_be_visible()
        expect(page.get_by_role("button", name="结束对话")).to_be_visible()
    finally:
        context.close()


def test_embedded_with_data_attributes_and_mobile_layout(
    browser, hub_url: str, artifacts: Path
) -> None:
    context = browser.new_context(base_url=hub_url, viewport={"width": 390, "height": 800})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        # Any page can embed the widget with one tag. This one names no charset and has
        # aggressive CSS of its own.
        html = (
            "<!doctype html><title>Another site</title>"
            "<style>button, li { color: red !important; font-size: 40px !important }</style>"
            "<h1>Another site</h1>"
            f'<script src="{hub_url}/widget.js" data-title="Help desk" data-open="true" defer>'
            "</script>"
        )
        page.route(
            f"{hub_url}/some/shop/page",
            lambda route: route.fulfill(content_type="text/html", body=html),
        )
        page.goto("/some/shop/page")
        panel = page.locator(".hd-panel")
        expect(panel).to_be_visible()  # data-open="true"
        expect(page.get_by_role("heading", name="Help desk")).to_be_visible()  # data-title
        # Non-ASCII UI strings survive a page that is not UTF-8.
        expect(page.get_by_label("Your message")).to_have_attribute(
            "placeholder", "Type your message…"
        )
        # The page's CSS does not reach into the widget.
        send_button = page.get_by_role("button", name="Send", exact=True)
        assert send_button.evaluate("el => getComputedStyle(el).fontSize") != "40px"
        # Under 480 px the panel fills the screen.
        expect(panel).to_have_css("width", "390px")
        expect(panel).to_have_css("height", "800px")
        accept_privacy(page)
        hello_and_apology(page)
        page.screenshot(path=str(artifacts / "widget-mobile.png"))
    finally:
        context.close()
