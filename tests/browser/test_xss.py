"""XSS probes (issue 11): markup written by a customer, by an agent and in names stays text.

One hub for the module (`python -m ticketing serve`, SQLite, Rasa down), one Chromium. The
conversations are made through the public APIs before any page opens:

- Mallory's chat: her *name* is markup; she sends every probe as a message (the chat API); the
  hand-off goes through the internal API (with a summary that is markup too); the agent,
  whose own *display name* is markup, claims the ticket, answers with every probe (the staff
  API, cookie + CSRF token) and adds an internal note that is markup.
- Trudy's chat: a complaint (internal API) with a markup name, message and description, left
  waiting in the queue, so the agent console's queue list shows her name and message preview.

Then the widget (the demo shop page, resuming Mallory's session), the agent console (Mallory's
ticket open, Trudy's in the queue) and the supervisor console (the transcript list, Mallory's
transcript, the agents report) are opened in Chromium; the widget and the agent console also
send a probe through their own composer. Each page must show every probe literally, as text,
contain no element a probe would inject (``img[src=x]``, ``svg[onload]``, any ``on*``
attribute, a ``javascript:`` link, a ``<script>`` carrying ``alert(``), open no dialog and
raise no page error.

The hub's Content-Security-Policy forbids inline code, so an injected ``onerror`` would be
blocked and never open an alert: the contexts bypass the CSP (Playwright's ``bypass_csp``) so
that the dialog listener is a real second detector next to the DOM checks, and each test ends
by proving it: a deliberately injected ``<img onerror=alert("canary")>`` must open a dialog.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import APIRequestContext, Browser, BrowserContext, Locator, Page, expect

from .support import (
    INTERNAL_TOKEN,
    accept_privacy,
    add_users_cli,
    internal_url,
    start_hub,
    stop_hub,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

PASSWORD = "correct horse battery"
INTERNAL = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}

PROBES = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    '<a href="javascript:alert(3)">click</a>',
    '"><svg onload=alert(4)>',
]
# A probe next to a real link: the linkifier must stop the URL at the quote and keep the rest text.
LINK_PROBE = 'see https://example.com/track"><img src=x onerror=alert(5)>'
LINK_HREF = "https://example.com/track"
CUSTOMER_TEXTS = [*PROBES, LINK_PROBE]
AGENT_TEXTS = [*PROBES, LINK_PROBE]

CUSTOMER_NAME = 'Mallory <img src=x onerror=alert(11)> "><svg onload=alert(12)>'
CUSTOMER_EMAIL = "mallory@example.com"
WAITING_NAME = "Trudy <script>alert(13)</script>"
WAITING_TEXT = '<a href="javascript:alert(14)">my order</a> is late'
COMPLAINT_TEXT = "Broken <img src=x onerror=alert(15)> kettle"
AGENT_NAME = 'Dana "><img src=x onerror=alert(16)>'
NOTE_TEXT = "Internal note <svg onload=alert(17)>"
SUMMARY_TEXT = "Summary <script>alert(18)</script>"
WIDGET_TYPED = "<img src=x onerror=alert(19)> typed in the widget"
CONSOLE_TYPED = '"><svg onload=alert(20)> typed in the agent console'

# Every element a probe could inject, in the document and in every open shadow root.
JS_INJECTED = """() => {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const tag = el.localName;
      const attrs = el.getAttributeNames();
      const what = () => '<' + tag + ' ' + attrs.map(a => a + '=' + el.getAttribute(a)).join(' ');
      if (attrs.some(a => a.toLowerCase().startsWith('on'))) found.push('handler: ' + what());
      if (tag === 'img' && el.getAttribute('src') === 'x') found.push('img: ' + what());
      if (/^\\s*javascript:/i.test(el.getAttribute('href') || '')) found.push('link: ' + what());
      if (tag === 'script' && /alert\\(/.test(el.textContent)) found.push('script: ' + what());
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  return found;
}"""

# Proves the dialog listener would hear an injected handler (the CSP is bypassed).
JS_CANARY = """() => {
  const probe = document.createElement('div');
  probe.innerHTML = '<img src="x" onerror="alert(\\'canary\\')">';
  document.body.appendChild(probe);
}"""


# ------------------------------------------------------------------------------ the hub


@dataclass
class Chat:
    session_id: str
    token: str
    number: str


@dataclass
class Hub:
    url: str
    database_url: str
    chats: dict[str, Chat] = field(default_factory=dict)


def login(request: APIRequestContext, email: str) -> str:
    """Signs in through the staff API (the cookie stays in the context); the CSRF token."""
    response = request.post("/api/auth/login", data={"email": email, "password": PASSWORD})
    assert response.ok, response.text()
    return response.json()["csrf_token"]


def new_chat(request: APIRequestContext, name: str, email: str) -> tuple[str, str]:
    response = request.post("/api/chat/sessions", data={"customer": {"name": name, "email": email}})
    assert response.status == 201, response.text()
    return response.json()["session_id"], response.json()["token"]


def customer_says(request: APIRequestContext, session_id: str, token: str, text: str) -> None:
    response = request.post(
        f"/api/chat/sessions/{session_id}/messages",
        data={"text": text},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.ok, response.text()
    assert response.json()["messages"][0]["text"] == text  # stored as written


def staff_post(request: APIRequestContext, csrf: str, path: str, body: dict) -> dict:
    response = request.post(path, data=body, headers={"X-CSRF-Token": csrf})
    assert response.ok, f"{path}: {response.text()}"
    return response.json()


def seed(browser: Browser, hub: Hub) -> None:
    """Mallory's handled chat and Trudy's waiting complaint, through the public APIs."""
    context = browser.new_context(base_url=hub.url)
    try:
        request = context.request
        session_id, token = new_chat(request, CUSTOMER_NAME, CUSTOMER_EMAIL)
        for text in CUSTOMER_TEXTS:
            customer_says(request, session_id, token, text)
        handoff = request.post(
            internal_url(hub.url, f"/internal/conversations/{session_id}/handoff"),
            data={"reason": "requested", "priority": "P3", "summary": SUMMARY_TEXT},
            headers=INTERNAL,
        )
        assert handoff.status == 201, handoff.text()
        number = handoff.json()["ticket"]["number"]
        hub.chats["mallory"] = Chat(session_id, token, number)

        csrf = login(request, "dana@example.com")
        staff_post(request, csrf, f"/api/tickets/{number}/claim", {})
        for text in AGENT_TEXTS:
            staff_post(request, csrf, f"/api/tickets/{number}/messages", {"text": text})
        staff_post(request, csrf, f"/api/tickets/{number}/notes", {"text": NOTE_TEXT})

        waiting_id, waiting_token = new_chat(request, WAITING_NAME, "trudy@example.com")
        customer_says(request, waiting_id, waiting_token, WAITING_TEXT)
        complaint = request.post(
            internal_url(hub.url, "/internal/complaints"),
            data={
                "session_id": waiting_id,
                "category": "quality",
                "description": COMPLAINT_TEXT,
                "emotion": "angry",
            },
            headers=INTERNAL,
        )
        assert complaint.status == 201, complaint.text()
        hub.chats["trudy"] = Chat(waiting_id, waiting_token, complaint.json()["ticket"]["number"])
    finally:
        context.close()


@pytest.fixture(scope="module")
def hub(
    tmp_path_factory: pytest.TempPathFactory, artifacts: Path, browser: Browser
) -> Iterator[Hub]:
    """A hub of its own (SQLite, Rasa down), staff accounts, and the probes' conversations."""
    tmp = tmp_path_factory.mktemp("xss-hub")
    database_url = f"sqlite:///{tmp / 'hub.db'}"
    url, process = start_hub(database_url, artifacts / "browser-xss-hub.log")
    try:
        add_users_cli(
            database_url,
            [
                ("dana@example.com", AGENT_NAME, "agent"),
                ("sam@example.com", "Sam", "supervisor"),
            ],
            PASSWORD,
        )
        hub = Hub(url=url, database_url=database_url)
        seed(browser, hub)
        yield hub
    finally:
        stop_hub(process)


@dataclass
class Watched:
    """A page whose dialogs and page errors are recorded from before its first navigation."""

    page: Page
    dialogs: list[str]
    errors: list[str]


@pytest.fixture
def open_page(browser: Browser, hub: Hub) -> Iterator[Callable[..., Watched]]:
    contexts: list[BrowserContext] = []

    def open_(init_script: str | None = None) -> Watched:
        context = browser.new_context(
            base_url=hub.url, viewport={"width": 1440, "height": 900}, bypass_csp=True
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        watched = Watched(page, [], [])

        def on_dialog(dialog) -> None:
            watched.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)  # before any navigation
        page.on("pageerror", lambda error: watched.errors.append(str(error)))
        return watched

    yield open_
    for context in contexts:
        context.close()


# ------------------------------------------------------------------------------------ helpers


def assert_nothing_injected(watched: Watched) -> None:
    """No probe became markup, opened a dialog or broke the page's JavaScript."""
    page = watched.page
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("svg[onload]").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.evaluate(JS_INJECTED) == []
    assert watched.dialogs == [], f"a probe ran: {watched.dialogs}"
    assert watched.errors == [], f"JavaScript errors on the page: {watched.errors}"


def assert_detector_works(watched: Watched) -> None:
    """An injected handler does run on this page (CSP bypassed) and the listener hears it."""
    with watched.page.expect_event("dialog") as info:
        watched.page.evaluate(JS_CANARY)
    assert info.value.message == "canary"
    assert watched.dialogs == ["alert: canary"]


def shown_once_or_more(scope: Locator, text: str) -> None:
    """``text`` is on the page literally: some element under ``scope`` contains it as text."""
    expect(scope.filter(has_text=text).first).to_be_visible()


def expect_texts(locator: Locator, texts: list[str]) -> None:
    """The first ``len(texts)`` elements have exactly these texts (the raw markup, as text).

    Later ones may follow: another test of the module may have written in the same chat.
    """
    expect(locator.nth(len(texts) - 1)).to_be_visible()
    shown = locator.evaluate_all("els => els.map(e => e.textContent)")
    assert shown[: len(texts)] == texts


# -------------------------------------------------------------------------------------- tests


def test_names_and_probes_exist_as_written(hub: Hub, browser: Browser) -> None:
    """The hub stores the probes unchanged (so the pages below really get the markup)."""
    context = browser.new_context(base_url=hub.url)
    try:
        login(context.request, "sam@example.com")
        mallory = hub.chats["mallory"]
        detail = context.request.get(f"/api/conversations/{mallory.session_id}")
        assert detail.ok, detail.text()
        body = detail.json()
        assert body["conversation"]["customer"]["name"] == CUSTOMER_NAME
        texts = {m["sender"]: [] for m in body["messages"]}
        for m in body["messages"]:
            texts[m["sender"]].append(m["text"])
        assert texts["customer"][: len(CUSTOMER_TEXTS)] == CUSTOMER_TEXTS
        assert texts["agent"][: len(AGENT_TEXTS)] == AGENT_TEXTS
        agents = context.request.get("/api/agents").json()["agents"]
        assert AGENT_NAME in [a["name"] for a in agents]
    finally:
        context.close()


def test_widget_shows_customer_and_agent_markup_as_text(open_page, hub: Hub) -> None:
    mallory = hub.chats["mallory"]
    stored = json.dumps({"session_id": mallory.session_id, "token": mallory.token, "base": hub.url})
    # The widget resumes the session it finds in localStorage ("hd-chat:" + the hub's URL).
    watched = open_page(
        f"localStorage.setItem({json.dumps('hd-chat:' + hub.url)}, {json.dumps(stored)});"
    )
    page = watched.page
    page.goto("/")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".hd-panel")).to_be_visible()

    customer = page.locator("li.hd-msg--customer[data-id] .hd-bubble")
    agent = page.locator("li.hd-msg--agent[data-id] .hd-bubble")
    expect_texts(customer, CUSTOMER_TEXTS)
    expect_texts(agent, AGENT_TEXTS)
    for text in PROBES:
        expect(page.get_by_text(text, exact=True)).to_have_count(2)  # hers and the agent's
    # The agent's markup name, in the "has joined" notice, is text as well.
    shown_once_or_more(page.locator("li.hd-msg--system"), AGENT_NAME)

    # The link next to the probe is a real link to the URL alone; the rest stays text.
    for bubble in (customer.nth(len(CUSTOMER_TEXTS) - 1), agent.nth(len(AGENT_TEXTS) - 1)):
        link = bubble.locator("a")
        expect(link).to_have_count(1)
        expect(link).to_have_attribute("href", LINK_HREF)
        expect(link).to_have_text(LINK_HREF)

    # A probe typed into the widget's own composer (her session predates the privacy notice).
    accept_privacy(page)
    box = page.get_by_label("Your message")
    box.fill(WIDGET_TYPED)
    box.press("Enter")
    typed = page.locator("li.hd-msg--customer[data-id] .hd-bubble", has_text=WIDGET_TYPED)
    expect(typed).to_have_text(WIDGET_TYPED)
    assert typed.text_content() == WIDGET_TYPED

    assert_nothing_injected(watched)
    assert_detector_works(watched)


def test_agent_console_shows_markup_as_text(open_page, hub: Hub) -> None:
    mallory, trudy = hub.chats["mallory"], hub.chats["trudy"]
    watched = open_page()
    page = watched.page
    login(page.context.request, "dana@example.com")
    page.goto(f"/agent#{mallory.number}")
    expect(page.locator("#connection-state")).to_have_text("Live")

    # The ticket's title and the customer panel carry her markup name as text.
    expect(page.locator("#chat-title")).to_have_text(f"{mallory.number} · {CUSTOMER_NAME}")
    expect(page.locator("#customer-panel h2").first).to_have_text(CUSTOMER_NAME)
    mine = page.locator(f"#mine-list [data-ticket='{mallory.number}'] .q-name")
    expect(mine).to_have_text(CUSTOMER_NAME)

    # Every probe in the transcript, hers and the agent's, each as text.
    transcript = page.locator("#transcript")
    customer = transcript.locator(".msg--customer .msg-text")
    agent = transcript.locator(".msg--agent .msg-text")
    expect_texts(customer, CUSTOMER_TEXTS)
    expect_texts(agent, AGENT_TEXTS)
    expect(transcript.locator(".msg--customer .msg-who").first).to_have_text(CUSTOMER_NAME)
    expect(transcript.locator(".msg--agent .msg-who").first).to_have_text(AGENT_NAME)
    link = agent.nth(len(AGENT_TEXTS) - 1).locator("a")
    expect(link).to_have_attribute("href", LINK_HREF)
    expect(link).to_have_text(LINK_HREF)

    # The hand-off summary and the internal note, both markup, are text too.
    shown_once_or_more(page.locator("#ticket-panel *"), SUMMARY_TEXT)
    page.get_by_role("tab", name=re.compile("Internal notes")).click()
    expect(page.locator("#notes-list .note", has_text=NOTE_TEXT)).to_be_visible()
    page.get_by_role("tab", name="Reply to customer").click()

    # Trudy waits in the queue: her markup name and message preview are text.
    queued = page.locator(f"#queue-list [data-ticket='{trudy.number}']")
    expect(queued.locator(".q-name")).to_have_text(WAITING_NAME)
    expect(queued).to_contain_text(WAITING_TEXT)

    # A probe written in the console's own composer reaches the transcript as text.
    reply = page.locator("#reply-input")
    expect(reply).to_be_enabled()
    reply.fill(CONSOLE_TYPED)
    reply.press("Enter")
    sent = transcript.locator(".msg--agent .msg-text", has_text=CONSOLE_TYPED)
    expect(sent).to_have_text(CONSOLE_TYPED)
    assert sent.text_content() == CONSOLE_TYPED

    # Trudy's ticket: her complaint description (markup) in the complaint record.
    queued.click()
    expect(page.locator("#chat-title")).to_have_text(f"{trudy.number} · {WAITING_NAME}")
    expect(transcript.locator(".msg--customer .msg-text").first).to_have_text(WAITING_TEXT)
    expect(page.locator("#ticket-panel .complaint")).to_contain_text(COMPLAINT_TEXT)

    assert_nothing_injected(watched)
    assert_detector_works(watched)


def test_supervisor_console_shows_markup_as_text(open_page, hub: Hub) -> None:
    mallory = hub.chats["mallory"]
    watched = open_page()
    page = watched.page
    login(page.context.request, "sam@example.com")

    # The transcript list: her markup name and the snippet of her first message.
    page.goto("/supervisor#transcripts")
    row = page.locator(f"#conv-rows tr.conv-row[data-session='{mallory.session_id}']")
    expect(row).to_be_visible()
    expect(row.locator("td").nth(1).locator("span").first).to_have_text(CUSTOMER_NAME)
    expect(row).to_contain_text(CUSTOMER_EMAIL)
    waiting = page.locator(
        f"#conv-rows tr.conv-row[data-session='{hub.chats['trudy'].session_id}']"
    )
    expect(waiting.locator("td").nth(1)).to_contain_text(WAITING_NAME)

    # Her transcript: the header, every turn with its sender's name, the ticket and its note.
    row.click()
    detail = page.locator("#conv-detail")
    expect(detail.locator(".detail-head")).to_contain_text(CUSTOMER_NAME)
    customer = detail.locator('li.msg[data-sender="customer"]')
    agent = detail.locator('li.msg[data-sender="agent"]')
    expect_texts(customer.locator(".msg-text"), CUSTOMER_TEXTS)
    expect_texts(agent.locator(".msg-text"), AGENT_TEXTS)
    expect(customer.first.locator(".msg-who")).to_have_text(CUSTOMER_NAME)
    expect(agent.first.locator(".msg-who")).to_have_text(AGENT_NAME)
    expect(detail.locator(".note", has_text=NOTE_TEXT)).to_be_visible()

    # The agents report names the agent (a markup name) as text.
    page.get_by_role("tab", name=re.compile("Agents")).click()
    shown_once_or_more(page.locator("#card-agents tbody tr"), AGENT_NAME)

    assert_nothing_injected(watched)
    assert_detector_works(watched)
