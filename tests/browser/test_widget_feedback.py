"""The "Was this helpful?" line (👍/👎) under the assistant's answers, in a real browser.

The hub here runs without Rasa (see conftest.py), so it never produces a rateable answer
itself: each test opens a chat, then inserts a bot message with ``rateable = 1`` straight into
the hub's SQLite database and reloads the page, which fetches the history again. The rating
then goes through the real endpoint (``POST .../messages/{id}/feedback``) and is checked in
the database.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .support import accept_privacy, start_hub, stop_hub
from .test_widget import (
    SOCKET_URL,
    auth,
    customer_bubble,
    hello_and_apology,
    open_chat,
    send,
    stored_session,
    wait_until,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

FEEDBACK_URL = re.compile(r"/api/chat/sessions/[^/]+/messages/\d+/feedback$")
ANSWER = "You can return any item within 30 days of delivery."
WIDGET_TEXTS = Path(__file__).resolve().parents[2] / "ticketing" / "locales"  # <locale>/widget.json


# ------------------------------------------------------------------------------------ the hub


@dataclass(frozen=True)
class Hub:
    url: str
    database: Path


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Hub]:
    """This module's own hub, on a SQLite file the tests write into."""
    database = tmp_path_factory.mktemp("feedback-hub") / "hub.db"
    url, process = start_hub(f"sqlite:///{database}", artifacts / "browser-feedback-hub.log")
    try:
        yield Hub(url, database)
    finally:
        stop_hub(process)


@pytest.fixture(scope="module")
def hub_url(hub: Hub) -> str:
    """Points conftest's ``context`` and ``page`` fixtures at this module's hub."""
    return hub.url


def connect(hub: Hub) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(hub.database, timeout=10))


def seed_bot_message(
    hub: Hub, session_id: str, text: str = ANSWER, *, rateable: bool = True, buttons=()
) -> int:
    """Inserts a bot message into the session's conversation (as an answer to the customer's
    last message) and returns its id."""
    created_at = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(" ")
    with connect(hub) as db, db:
        (conversation_id,) = db.execute(
            "SELECT id FROM conversations WHERE public_id = ?", (session_id,)
        ).fetchone()
        (reply_to,) = db.execute(
            "SELECT max(id) FROM messages WHERE conversation_id = ? AND sender = 'customer'",
            (conversation_id,),
        ).fetchone()
        cursor = db.execute(
            "INSERT INTO messages (conversation_id, sender, text, buttons, reply_to_id,"
            " rateable, created_at) VALUES (?, 'bot', ?, ?, ?, ?, ?)",
            (conversation_id, text, json.dumps(list(buttons)), reply_to, rateable, created_at),
        )
        return cursor.lastrowid


def stored_rating(hub: Hub, message_id: int) -> tuple[int | None, str | None]:
    """The message's ``helpful`` (1, 0 or None) and ``feedback_at`` in the database."""
    with connect(hub) as db:
        return db.execute(
            "SELECT helpful, feedback_at FROM messages WHERE id = ?", (message_id,)
        ).fetchone()


def set_rateable(hub: Hub, message_id: int, rateable: bool) -> None:
    with connect(hub) as db, db:
        db.execute("UPDATE messages SET rateable = ? WHERE id = ?", (rateable, message_id))


# ------------------------------------------------------------------------------------ helpers


def chat_with_answer(
    page: Page, hub: Hub, *, plain: bool = False, path: str = "/"
) -> tuple[dict, int, int | None]:
    """Opens a chat on ``path`` ("hello" and the hub's apology), seeds a rateable answer (after
    a plain, non-rateable bot message when ``plain``) and reloads so the widget shows them.

    Returns the stored session, the answer's id and the plain message's id (or None).
    """
    open_chat(page, path)
    hello_and_apology(page)
    session = stored_session(page)
    plain_id = None
    if plain:
        plain_id = seed_bot_message(hub, session["session_id"], "Let me check.", rateable=False)
    answer_id = seed_bot_message(hub, session["session_id"])
    page.reload()
    expect(message(page, answer_id)).to_contain_text(ANSWER)
    return session, answer_id, plain_id


def message(page: Page, message_id: int):
    return page.locator(f'li.hd-msg[data-id="{message_id}"]')


def feedback(page: Page, message_id: int):
    return message(page, message_id).locator(".hd-feedback")


def thumb(page: Page, message_id: int, helpful: bool, name: str | None = None):
    name = name or ("Helpful" if helpful else "Not helpful")
    return feedback(page, message_id).get_by_role("button", name=name, exact=True)


def is_feedback_post(response) -> bool:
    return response.request.method == "POST" and bool(FEEDBACK_URL.search(response.url))


def feedback_url(session: dict, message_id: int) -> str:
    return f"/api/chat/sessions/{session['session_id']}/messages/{message_id}/feedback"


def expect_rated(page: Page, message_id: int, helpful: bool | None) -> None:
    """The pressed states (and the thanks) show ``helpful``; None: nothing chosen."""
    expect(thumb(page, message_id, True)).to_have_attribute(
        "aria-pressed", "true" if helpful is True else "false"
    )
    expect(thumb(page, message_id, False)).to_have_attribute(
        "aria-pressed", "true" if helpful is False else "false"
    )
    status = feedback(page, message_id).locator(".hd-feedback-status")
    if helpful is None:
        expect(status).to_be_hidden()
    else:
        expect(status).to_have_text("Thanks for your feedback")


def wait_for_socket(page: Page, frames: list[str]) -> None:
    # The hub sends the status as the first frame once the socket is subscribed.
    wait_until(page, lambda: any('"type": "status"' in f for f in frames), "no WebSocket")


# -------------------------------------------------------------------------------------- tests


def test_rate_down_then_up_and_see_it_after_reload(page: Page, hub: Hub, artifacts: Path) -> None:
    session, answer, plain = chat_with_answer(page, hub, plain=True)

    # Only the rateable answer gets the line; the customer's, the system's and the plain bot
    # message do not.
    expect(page.locator("li.hd-msg[data-id]")).to_have_count(4)
    expect(page.locator(".hd-feedback")).to_have_count(1)
    expect(feedback(page, plain)).to_have_count(0)
    group = page.get_by_role("group", name="Was this helpful?")
    expect(group).to_have_count(1)
    expect(group).to_contain_text("Was this helpful?")
    up, down = thumb(page, answer, True), thumb(page, answer, False)
    expect(up).to_have_text("👍")
    expect(down).to_have_text("👎")
    expect_rated(page, answer, None)
    assert stored_rating(hub, answer) == (None, None)

    # 👎: the request, the pressed state, the database row.
    with page.expect_response(is_feedback_post) as answered:
        down.click()
    response = answered.value
    assert response.status == 200, response.text()
    assert response.request.post_data_json == {"helpful": False}
    assert response.request.headers["authorization"] == f"Bearer {session['token']}"
    assert response.url.endswith(feedback_url(session, answer))
    assert response.json()["message"]["helpful"] is False
    assert response.json()["messages"] == []  # no follow-up: Rasa is down here
    expect_rated(page, answer, False)
    helpful, first_at = stored_rating(hub, answer)
    assert helpful == 0 and first_at is not None
    page.screenshot(path=str(artifacts / "widget-feedback.png"))

    # Changing one's mind: 👍 replaces 👎.
    expect(up).to_be_enabled()
    with page.expect_response(is_feedback_post) as answered:
        up.click()
    assert answered.value.request.post_data_json == {"helpful": True}
    expect_rated(page, answer, True)
    helpful, second_at = stored_rating(hub, answer)
    assert helpful == 1 and second_at >= first_at

    # Clicking the chosen one again sends nothing.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if FEEDBACK_URL.search(r.url) else None)
    up.click()
    page.wait_for_timeout(300)
    assert posts == []

    # After a reload the hub's state is shown.
    page.reload()
    expect(message(page, answer)).to_contain_text(ANSWER)
    expect_rated(page, answer, True)
    expect(page.locator(".hd-feedback")).to_have_count(1)
    history = page.request.get(
        f"/api/chat/sessions/{session['session_id']}/messages", headers=auth(session)
    ).json()["messages"]
    rated = next(m for m in history if m["id"] == answer)
    assert rated["rateable"] is True and rated["helpful"] is True


def test_rating_from_elsewhere_arrives_over_the_websocket(page: Page, hub: Hub) -> None:
    """The hub publishes the rated message again; the widget shows its new state live."""
    sockets: list[list[str]] = []  # the frames each socket received

    def watch(ws) -> None:
        frames: list[str] = []
        sockets.append(frames)
        ws.on("framereceived", lambda data: frames.append(str(data)))

    page.on("websocket", watch)
    session, answer, _ = chat_with_answer(page, hub)
    wait_until(page, lambda: len(sockets) >= 2, "no WebSocket after the reload")
    frames = sockets[-1]
    wait_for_socket(page, frames)
    expect_rated(page, answer, None)

    # Rated in another tab of the same chat: straight through the API.
    response = page.request.post(
        feedback_url(session, answer), headers=auth(session), data={"helpful": False}
    )
    assert response.ok, response.text()
    expect_rated(page, answer, False)
    assert any(f'"id": {answer}' in f and '"helpful": false' in f for f in frames)
    response = page.request.post(
        feedback_url(session, answer), headers=auth(session), data={"helpful": True}
    )
    assert response.ok, response.text()
    expect_rated(page, answer, True)
    # The message is updated in place, not added a second time.
    expect(message(page, answer)).to_have_count(1)
    expect(page.locator(".hd-feedback")).to_have_count(1)


def test_keyboard_and_visible_focus(page: Page, hub: Hub) -> None:
    _, answer, _ = chat_with_answer(page, hub)
    up, down = thumb(page, answer, True), thumb(page, answer, False)

    down.focus()
    page.keyboard.press("Shift+Tab")  # from 👎 back to 👍
    expect(up).to_be_focused()
    assert up.evaluate("el => el.matches(':focus-visible')")
    assert up.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    assert up.evaluate("el => getComputedStyle(el).outlineWidth") != "0px"

    with page.expect_response(is_feedback_post) as answered:
        page.keyboard.press("Enter")
    assert answered.value.request.post_data_json == {"helpful": True}
    expect_rated(page, answer, True)
    expect(up).to_be_focused()  # the buttons are updated in place, focus stays

    page.keyboard.press("Tab")
    expect(down).to_be_focused()
    with page.expect_response(is_feedback_post) as answered:
        page.keyboard.press("Space")
    assert answered.value.request.post_data_json == {"helpful": False}
    expect_rated(page, answer, False)
    expect(down).to_be_focused()
    assert stored_rating(hub, answer)[0] == 0


def test_failure_shows_a_small_error_and_the_buttons_stay_usable(page: Page, hub: Hub) -> None:
    _, answer, _ = chat_with_answer(page, hub)
    up, down = thumb(page, answer, True), thumb(page, answer, False)
    status = feedback(page, answer).locator(".hd-feedback-status")

    # The network fails: the choice is not kept, a small note says so.
    page.route(FEEDBACK_URL, lambda route: route.abort("internetdisconnected"))
    down.click()
    expect(status).to_have_text("Your feedback was not sent. Please try again.")
    expect(status).to_have_class(re.compile(r"\bhd-feedback-error\b"))
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(up).to_be_enabled()
    expect(down).to_be_enabled()
    expect(page.locator(".hd-notice")).to_be_hidden()  # not the panel-wide alert
    assert stored_rating(hub, answer) == (None, None)

    # The hub fails: the same.
    page.unroute(FEEDBACK_URL)
    page.route(
        FEEDBACK_URL,
        lambda route: route.fulfill(
            status=503, json={"error": {"code": "unavailable", "message": "try later"}}
        ),
    )
    up.click()
    expect(status).to_have_text("Your feedback was not sent. Please try again.")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(up).to_be_enabled()

    # Back online: the next click works and the note goes away.
    page.unroute(FEEDBACK_URL)
    with page.expect_response(is_feedback_post) as answered:
        down.click()
    assert answered.value.ok
    expect_rated(page, answer, False)
    expect(status).not_to_have_class(re.compile(r"\bhd-feedback-error\b"))
    assert stored_rating(hub, answer)[0] == 0


def test_only_rateable_answers_can_be_rated(page: Page, hub: Hub) -> None:
    session, answer, plain = chat_with_answer(page, hub, plain=True)
    customer = int(customer_bubble(page, "hello").locator("xpath=..").get_attribute("data-id"))

    def rate(message_id: int, body) -> tuple[int, dict]:
        response = page.request.post(
            feedback_url(session, message_id), headers=auth(session), data=body
        )
        return response.status, response.json()

    # Crafted calls: a plain bot message and a customer message are not rateable.
    for message_id in (plain, customer):
        status, body = rate(message_id, {"helpful": True})
        assert status == 409, body
        assert body["error"]["code"] == "not_rateable"
        assert isinstance(body["error"]["message"], str)
        assert stored_rating(hub, message_id) == (None, None)
    status, body = rate(10**9, {"helpful": True})
    assert status == 404 and body["error"]["code"] == "not_found"
    for bad in ({"helpful": "yes"}, {"helpful": None}, {}):
        status, body = rate(answer, bad)
        assert status == 422 and body["error"]["code"], body
    assert stored_rating(hub, answer) == (None, None)

    # The answer stops being rateable while the widget shows it: the hub answers 409.
    set_rateable(hub, answer, False)
    with page.expect_response(is_feedback_post) as answered:
        thumb(page, answer, True).click()
    assert answered.value.status == 409
    status_line = feedback(page, answer).locator(".hd-feedback-status")
    expect(status_line).to_have_text("This answer can no longer be rated.")
    expect(thumb(page, answer, True)).to_be_hidden()
    expect(thumb(page, answer, False)).to_be_hidden()
    expect(page.get_by_label("Your message")).to_be_focused()  # focus is not lost
    assert stored_rating(hub, answer) == (None, None)
    # The chat itself goes on.
    send(page, "still there?")
    expect(customer_bubble(page, "still there?")).to_be_visible()


def test_thumbs_down_follow_ups_are_added_once(page: Page, hub: Hub) -> None:
    """A 👎 in bot mode brings the bot's follow-up (other topics, "Talk to a person") in the
    answer and over the socket. Without Rasa there is none, so one is added to both."""
    sockets = []  # (the page's socket, the hub's frames relayed to it)

    def relay(ws) -> None:
        server = ws.connect_to_server()
        from_hub: list[str] = []

        def forward(frame) -> None:  # the hub's own frames still reach the page
            from_hub.append(str(frame))
            ws.send(frame)

        server.on_message(forward)
        sockets.append((ws, from_hub))

    page.route_web_socket(SOCKET_URL, relay)
    _, answer, _ = chat_with_answer(page, hub)
    wait_until(page, lambda: len(sockets) >= 2, "no WebSocket after the reload")
    socket, from_hub = sockets[-1]
    wait_until(page, lambda: from_hub, "no frame from the hub")

    follow_up = {
        "id": answer + 1000,
        "sender": "bot",
        "text": "Sorry about that. Maybe one of these helps?",
        "buttons": [
            {"title": "Returns and refunds", "payload": '/faq{"topic": "returns"}'},
            {"title": "Talk to a person", "payload": "/request_human"},
        ],
        "created_at": "2024-05-01T10:00:00Z",
    }

    def with_follow_up(route) -> None:
        response = route.fetch()  # the hub stores the rating
        body = response.json()
        body["messages"] = [follow_up]
        # The socket delivers the follow-up first, then the answer brings it again.
        socket.send(json.dumps({"type": "message", "message": follow_up}))
        route.fulfill(response=response, json=body)

    page.route(FEEDBACK_URL, with_follow_up)
    thumb(page, answer, False).click()
    expect(message(page, follow_up["id"])).to_contain_text("Maybe one of these helps?")
    expect_rated(page, answer, False)
    # ...and once more after the answer: still one.
    socket.send(json.dumps({"type": "message", "message": follow_up}))
    page.wait_for_timeout(300)
    expect(message(page, follow_up["id"])).to_have_count(1)
    expect(page.locator(".hd-msg--bot", has_text="Maybe one of these helps?")).to_have_count(1)
    expect(feedback(page, follow_up["id"])).to_have_count(0)  # not rateable itself
    assert stored_rating(hub, answer)[0] == 0

    # Its buttons work like any other: "Talk to a person" hands the chat off.
    page.unroute(FEEDBACK_URL)
    person = message(page, follow_up["id"]).get_by_role("button", name="Talk to a person")
    expect(person).to_be_enabled()
    person.click()
    expect(page.locator("li.hd-msg--system", has_text="T-0000")).to_be_visible()
    expect(page.locator(".hd-status-text")).to_contain_text("Waiting for an agent")


def test_chinese_texts(browser, hub: Hub) -> None:
    context = browser.new_context(base_url=hub.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("button", name="联系客服").click()
        accept_privacy(page, "同意并开始对话")
        send(page, "你好", label="您的消息")
        expect(page.locator("li.hd-msg--system", has_text="抱歉")).to_be_visible()
        session = stored_session(page)
        answer = seed_bot_message(hub, session["session_id"], "您可以在收货后 30 天内退货。")
        page.reload()
        expect(page.get_by_role("group", name="这个回答有帮助吗?")).to_be_visible()
        expect(thumb(page, answer, False, "没有帮助")).to_be_visible()
        yes = thumb(page, answer, True, "有帮助")
        with page.expect_response(is_feedback_post):
            yes.click()
        expect(yes).to_have_attribute("aria-pressed", "true")
        expect(feedback(page, answer)).to_contain_text("感谢您的反馈")
    finally:
        context.close()


def test_every_new_text_has_both_languages() -> None:
    english, chinese = (
        set(json.loads((WIDGET_TEXTS / locale / "widget.json").read_text(encoding="utf-8")))
        for locale in ("en", "zh-CN")
    )
    new = {"feedbackQuestion", "helpfulYes", "helpfulNo", "feedbackThanks", "feedbackFailed"}
    assert new | {"feedbackUnavailable"} <= english
    assert english == chinese


def test_works_under_a_strict_content_security_policy(page: Page, hub: Hub) -> None:
    ws_origin = hub.url.replace("http://", "ws://")
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
        f" connect-src 'self' {ws_origin}; base-uri 'none'"
    )
    html = (
        '<!doctype html><meta charset="utf-8"><title>Strict shop</title><h1>Strict shop</h1>'
        '<script src="/widget.js" defer></script>'
    )
    page.route(
        f"{hub.url}/strict/shop",
        lambda route: route.fulfill(
            content_type="text/html", body=html, headers={"Content-Security-Policy": policy}
        ),
    )
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    session, answer, _ = chat_with_answer(page, hub, path="/strict/shop")
    with page.expect_response(is_feedback_post):
        thumb(page, answer, False).click()
    expect_rated(page, answer, False)
    assert stored_rating(hub, answer)[0] == 0
    # The stylesheet applied (the buttons are styled, not the browser's default look).
    radius = thumb(page, answer, True).evaluate("el => getComputedStyle(el).borderRadius")
    assert radius not in ("", "0px")
    assert violations == []
    assert session["session_id"]
