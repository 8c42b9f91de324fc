"""The agent console (/agent) in a real browser, with a customer in a second browser context.

The hub runs as in conftest.py (Rasa unreachable, so "Talk to a person" hands off through the
hub's own fallback), but this module starts its own hub: the staff accounts are created with
the CLI, which needs the hub's DATABASE_URL.

The satisfaction survey after resolving needs the Rasa assistant; it is covered by the e2e tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import APIRequestContext, Browser, BrowserContext, Page, expect

from .support import (
    OwnHub,
    PageOpener,
    accept_privacy,
    internal_url,
    staff_hub,
    verified_customer,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

PASSWORD = "correct horse battery"
APOLOGY = "Sorry, our assistant is not answering right now"
CANNED_TEXT = "You can return any item within 30 days. I will e-mail you a prepaid label."


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[OwnHub]:
    """A hub of its own (SQLite, Rasa down) with two agents and a supervisor."""
    users = [
        ("agent@example.com", "Dana", "agent"),
        ("lee@example.com", "Lee", "agent"),
        ("boss@example.com", "Sam", "supervisor"),
    ]
    directory = tmp_path_factory.mktemp("agent-hub")
    with staff_hub(directory, artifacts / "browser-agent-hub.log", users, PASSWORD) as running:
        yield running


@pytest.fixture
def new_page(browser: Browser, hub: OwnHub) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in a fresh browser context; fails the test on JavaScript errors."""
    pages = PageOpener(browser, hub.url)
    yield pages.open
    pages.close()


# ------------------------------------------------------------------------------------ helpers


def sign_in(page: Page, email: str, next_path: str = "/agent", live: bool = True) -> None:
    """Signs in through the sign-in page, as a person would."""
    page.goto(next_path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/agent"))
    if live:
        expect(page.locator("#connection-state")).to_have_text("Live")


def csrf_login(context: BrowserContext, email: str) -> str:
    """Signs in through the API (cookie kept by the context); returns the CSRF token."""
    response = context.request.post("/api/auth/login", data={"email": email, "password": PASSWORD})
    assert response.ok, response.text()
    return response.json()["csrf_token"]


def api_chat(request: APIRequestContext, customer: dict | None = None) -> dict:
    """A chat session created through the customer chat API (as the widget would)."""
    response = request.post("/api/chat/sessions", data={"customer": customer or {}})
    assert response.status == 201, response.text()
    return response.json()


def api_say(request: APIRequestContext, chat: dict, **body: str) -> list[dict]:
    response = request.post(
        f"/api/chat/sessions/{chat['session_id']}/messages",
        data=body,
        headers={"Authorization": f"Bearer {chat['token']}"},
    )
    assert response.ok, response.text()
    return response.json()["messages"]


def api_hand_off(request: APIRequestContext, chat: dict) -> str:
    """The "Talk to a person" button, clicked through the API: a ticket (Rasa is down)."""
    messages = api_say(request, chat, text="Talk to a person", payload="/request_human")
    return re.search(r"T-\d{6}", messages[-1]["text"]).group(0)


def customer_hands_off(page: Page) -> str:
    """The customer says hello, gets the apology, asks for a person; returns the ticket."""
    page.goto("/")
    page.get_by_role("button", name="Chat with us").click()
    accept_privacy(page)
    box = page.get_by_label("Your message")
    box.fill("hello")
    box.press("Enter")
    expect(page.locator("li.hd-msg--system", has_text=APOLOGY)).to_be_visible()
    page.get_by_role("button", name="Talk to a person").last.click()
    notice = page.locator("li.hd-msg--system", has_text="T-0000")
    expect(notice).to_be_visible()
    return re.search(r"T-\d{6}", notice.inner_text()).group(0)


def customer_says(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("li.hd-msg--customer[data-id] .hd-bubble", has_text=text)).to_be_visible()


def widget_messages(page: Page) -> list[dict]:
    session = page.evaluate("() => JSON.parse(localStorage.getItem('hd-chat:' + location.origin))")
    response = page.request.get(
        f"/api/chat/sessions/{session['session_id']}/messages",
        headers={"Authorization": f"Bearer {session['token']}"},
    )
    assert response.ok, response.text()
    return response.json()["messages"]


def transcript(page: Page):
    return page.locator("#transcript")


# -------------------------------------------------------------------------------------- tests


def test_agent_page_needs_sign_in_and_wrong_password_is_refused(new_page, hub: OwnHub) -> None:
    page = new_page()
    page.goto("/agent")
    expect(page).to_have_url(re.compile(r"/login\?next=/agent$"))
    page.get_by_label("E-mail").fill("agent@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The e-mail or password is not correct.")
    expect(page).to_have_url(re.compile(r"/login"))

    # An outside "next" is never followed.
    page.goto("/login?next=//evil.example/")
    expect(page.locator("#login-form")).to_have_attribute("data-next", "/agent")

    # Signed in: presence can be switched; signing out leads back to the sign-in page.
    sign_in(page, "agent@example.com")
    expect(page.locator("#presence-select")).to_have_value("online")
    page.locator("#presence-select").select_option("away")
    expect(page.locator("#toast")).to_have_text("You are now Away.")
    assert page.request.get("/api/auth/me").json()["user"]["presence"] == "away"
    page.locator("#presence-select").select_option("online")
    expect(page.locator("#toast")).to_have_text("You are now Online.")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/agent")
    expect(page).to_have_url(re.compile(r"/login\?next=/agent$"))


def test_live_chat_from_queue_to_resolution(new_page, hub: OwnHub, artifacts: Path) -> None:
    # A supervisor manages the canned responses.
    boss = new_page()
    token = csrf_login(boss.context, "boss@example.com")
    created = boss.request.post(
        "/api/canned-responses",
        data={"shortcut": "returns", "title": "Returns policy", "text": CANNED_TEXT},
        headers={"X-CSRF-Token": token},
    )
    assert created.status == 201, created.text()

    # Dana signs in on the sign-in page; the queue is empty.
    agent = new_page()
    sign_in(agent, "agent@example.com")
    expect(agent.locator("#queue-empty")).to_be_visible()
    expect(agent).to_have_title("Agent console")

    # Lee, a second agent, has the console open too, but his socket has gone quiet: his page
    # will not hear that Dana claimed the ticket (as when two agents click at the same time).
    lee = new_page()
    sign_in(lee, "lee@example.com")

    # The customer asks for a person; the chat arrives in Dana's queue without a reload.
    customer = new_page()
    number = customer_hands_off(customer)
    item = agent.locator(f"#queue-list [data-ticket='{number}']")
    expect(item).to_be_visible()
    expect(item).to_contain_text("Talk to a person")  # the last customer message
    expect(item.locator(".prio")).to_have_text("P3")
    expect(item.locator(".sla")).to_contain_text("First response")
    expect(agent).to_have_title("(1) Agent console")
    assert int(agent.locator("body").get_attribute("data-beeps") or 0) >= 1
    agent.screenshot(path=str(artifacts / "agent-console-queue.png"))

    lee_item = lee.locator(f"#queue-list [data-ticket='{number}']")
    expect(lee_item).to_be_visible()
    lee.route_web_socket(re.compile(r"/api/agent/ws"), lambda ws: None)  # silent from now on
    lee.reload()
    expect(lee.locator(f"#queue-list [data-ticket='{number}']")).to_be_visible()
    lee.locator(f"#queue-list [data-ticket='{number}']").click()
    expect(lee.locator("#ticket-actions [data-action='claim']")).to_be_visible()

    # Dana opens it: the whole transcript, with the bot's part and its buttons as chips.
    item.click()
    expect(agent.locator("#chat-title")).to_contain_text(number)
    expect(transcript(agent).locator(".msg--customer", has_text="hello")).to_be_visible()
    apology = transcript(agent).locator(".msg--system", has_text=APOLOGY)
    expect(apology.locator(".chip")).to_have_text("Talk to a person")
    expect(transcript(agent).locator(".msg--customer .nlu")).to_contain_text("/request_human")
    expect(agent.locator("#reply-hint")).to_have_text("Claim this ticket to write to the customer.")
    expect(agent.locator("#reply-input")).to_be_disabled()

    agent.locator("#ticket-actions [data-action='claim']").click()
    expect(agent.locator("#toast")).to_have_text(f"You claimed {number}.")
    expect(agent.locator(f"#mine-list [data-ticket='{number}']")).to_be_visible()
    expect(agent.locator(f"#queue-list [data-ticket='{number}']")).to_have_count(0)
    expect(agent.locator("#reply-input")).to_be_enabled()
    expect(
        customer.locator("li.hd-msg--system", has_text="Dana from support has joined")
    ).to_be_visible()

    # Lee's click comes too late: the hub answers 409 and the console says who has it.
    lee.locator("#ticket-actions [data-action='claim']").click()
    expect(lee.locator("#toast")).to_have_text("Dana already claimed this ticket")

    # A canned response through "/": typing "/ret" suggests it, Tab inserts it.
    reply = agent.locator("#reply-input")
    reply.click()
    reply.press_sequentially("/ret")
    suggestion = agent.locator("#canned-suggest [role='option']")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("/returns")
    reply.press("Tab")
    expect(reply).to_have_value(CANNED_TEXT)
    expect(agent.locator("#canned-suggest")).to_be_hidden()

    # ... sent with a quick-reply button for the customer.
    agent.locator("#quick-toggle").click()
    agent.locator("#quick-title").fill("Yes, please")
    agent.locator("#quick-add").click()
    expect(agent.locator("#quick-buttons .chip")).to_contain_text("Yes, please")
    reply.press("Enter")
    expect(transcript(agent).locator(".msg--agent", has_text=CANNED_TEXT)).to_be_visible()
    expect(reply).to_have_value("")
    bubble = customer.locator("li.hd-msg--agent", has_text=CANNED_TEXT)
    expect(bubble).to_be_visible()
    expect(bubble.get_by_role("button", name="Yes, please")).to_be_visible()

    # The customer answers; it appears live in the console.
    customer_says(customer, "Great, my order number is 10023")
    expect(
        transcript(agent).locator(".msg--customer", has_text="my order number is 10023")
    ).to_be_visible()

    # And the agent writes back by hand.
    reply.fill("Thanks! The label is on its way to you.")
    agent.locator("#reply-send").click()
    expect(customer.locator("li.hd-msg--agent", has_text="The label is on its way")).to_be_visible()

    # An internal note: shown to staff in yellow, never to the customer.
    note = "Customer was polite; check the refund on Friday"
    agent.get_by_role("tab", name="Internal notes").click()
    agent.locator("#note-input").fill(note)
    agent.get_by_role("button", name="Add note").click()
    expect(agent.locator("#notes-list .note", has_text=note)).to_be_visible()
    expect(agent.get_by_role("tab", name="Internal notes (1)")).to_be_visible()
    expect(transcript(agent)).not_to_contain_text(note)
    note_bg = agent.locator("#notes-list .note").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert note_bg == "rgb(255, 247, 194)"

    # Classify: priority and tags.
    agent.locator("#field-priority").select_option("P2")
    expect(agent.locator("#ticket-panel .timeline")).to_contain_text("Priority P3 → P2")
    agent.locator("#field-tags").fill("returns, label")
    agent.locator("#field-tags").press("Enter")
    expect(agent.locator("#ticket-panel .timeline")).to_contain_text("tags: label, returns")
    expect(agent.locator("#ticket-panel .sla").first).to_be_visible()
    agent.get_by_role("tab", name="Reply to customer").click()
    agent.screenshot(path=str(artifacts / "agent-console-chat.png"))

    # Resolve: the resolution text is required, then goes to the customer.
    agent.locator("#ticket-actions [data-action='resolve']").click()
    dialog = agent.locator("#resolve-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Resolve").click()
    expect(dialog.get_by_role("alert")).to_have_text("Write the resolution first.")
    resolution = "We e-mailed you a prepaid return label; the refund follows on receipt."
    dialog.get_by_label("Resolution (sent to the customer)").fill(resolution)
    dialog.get_by_role("button", name="Resolve").click()
    expect(dialog).to_be_hidden()
    expect(agent.locator("#ticket-panel .status")).to_have_text("resolved")
    expect(agent.locator("#reply-input")).to_be_disabled()
    expect(customer.locator("li.hd-msg--agent", has_text=resolution)).to_be_visible()
    expect(
        customer.locator(
            "li.hd-msg--system", has_text=f"request {number} has been marked as resolved"
        )
    ).to_be_visible()
    agent.screenshot(path=str(artifacts / "agent-console-resolved.png"))

    # The note never reached the customer: not in the widget, not in the chat API.
    expect(customer.locator("#hd-chat-widget")).not_to_contain_text(note)
    texts = [m["text"] for m in widget_messages(customer)]
    assert resolution in texts
    assert not any(note in text for text in texts)
    detail = agent.request.get(f"/api/tickets/{number}").json()
    assert detail["ticket"]["status"] == "resolved"
    assert detail["ticket"]["priority"] == "P2"
    assert [n["data"]["text"] for n in detail["notes"]] == [note]


def test_polling_keeps_the_console_current_while_the_socket_is_down(new_page, hub: OwnHub) -> None:
    agent = new_page()
    agent.route_web_socket(re.compile(r"/api/agent/ws"), lambda ws: ws.close())
    sign_in(agent, "agent@example.com", live=False)
    expect(agent.locator("#connection-state")).to_contain_text("Reconnecting")

    # A new chat still reaches the queue (GET /api/queue every 5 s) ...
    chat = api_chat(agent.request)
    number = api_hand_off(agent.request, chat)
    item = agent.locator(f"#queue-list [data-ticket='{number}']")
    expect(item).to_be_visible(timeout=8_000)
    item.click()
    agent.locator("#ticket-actions [data-action='claim']").click()
    expect(agent.locator(f"#mine-list [data-ticket='{number}']")).to_be_visible()

    # ... and so do the customer's messages in the open ticket (GET /api/tickets/{n}).
    api_say(agent.request, chat, text="Are you still there?")
    message = transcript(agent).locator(".msg--customer", has_text="Are you still there?")
    expect(message).to_be_visible(timeout=8_000)


def test_complaint_record_customer_history_and_resolution_rules(
    new_page, hub: OwnHub, artifacts: Path
) -> None:
    boss = new_page()
    token = csrf_login(boss.context, "boss@example.com")
    mia = verified_customer("Mia Chen", "mia@example.com")  # signed in at the shop

    # Mia asked for help once before; now the assistant files her complaint.
    earlier = api_hand_off(boss.request, api_chat(boss.request, mia))
    chat = api_chat(boss.request, mia)
    api_say(boss.request, chat, text="My new kettle leaks from the base!")
    filed = boss.request.post(
        internal_url(hub.url, "/internal/complaints"),
        data={
            "session_id": chat["session_id"],
            "category": "quality",
            "description": "The Harbor Kettle leaks from the base after two days.",
            "emotion": "frustrated",
        },
        headers={"Authorization": "Bearer browser-test-internal-token"},
    )
    assert filed.status == 201, filed.text()
    number = filed.json()["ticket"]["number"]

    # A supervisor flags her as VIP.
    customer_id = boss.request.get(f"/api/tickets/{number}").json()["customer"]["id"]
    flagged = boss.request.patch(
        f"/api/customers/{customer_id}", data={"vip": True}, headers={"X-CSRF-Token": token}
    )
    assert flagged.ok, flagged.text()

    # A link straight to the ticket survives the sign-in.
    agent = new_page()
    sign_in(agent, "agent@example.com", next_path=f"/agent#{number}")
    expect(agent.locator("#chat-title")).to_contain_text(f"{number} · Mia Chen")
    expect(agent.locator(f"#queue-list [data-ticket='{number}'] .flag--vip")).to_be_visible()
    agent.locator("#ticket-actions [data-action='claim']").click()
    expect(agent.locator("#reply-input")).to_be_enabled()

    # The customer panel: profile, flags and history.
    profile = agent.locator("#customer-panel")
    expect(profile).to_contain_text("mia@example.com")
    expect(profile.locator(".flag--vip")).to_be_visible()
    expect(profile).to_contain_text("Earlier tickets (1)")
    expect(profile.get_by_role("link", name=earlier)).to_be_visible()
    expect(profile).to_contain_text("Earlier conversations (1)")

    # While Dana looks at Mia's earlier ticket, Mia writes: an unread count, in the title too.
    profile.get_by_role("link", name=earlier).click()
    expect(agent.locator("#chat-title")).to_contain_text(earlier)
    api_say(boss.request, chat, text="Hello? Is anyone there?")
    mine = agent.locator(f"#mine-list [data-ticket='{number}']")
    expect(mine.locator(".unread")).to_have_text("1")
    queued = agent.locator("#queue-list .q-item").count()
    expect(agent).to_have_title(f"({queued + 1}) Agent console")
    mine.click()
    expect(transcript(agent).locator(".msg--customer", has_text="Is anyone there?")).to_be_visible()
    expect(mine.locator(".unread")).to_have_count(0)

    # The complaint record: verification moves it on to "verified".
    record = agent.locator("#ticket-panel .complaint")
    expect(record).to_contain_text("The Harbor Kettle leaks from the base")
    expect(agent.locator("#complaint-stage")).to_have_value("received")
    agent.locator("#complaint-verification").fill("Photo checked: batch 7 seal is faulty.")
    record.get_by_role("button", name="Save record").click()
    expect(agent.locator("#complaint-stage")).to_have_value("verified")
    expect(agent.locator("#ticket-panel .timeline")).to_contain_text("Complaint record updated")

    # Resolving a complaint needs its root cause: the hub's 422 message is shown.
    agent.locator("#ticket-actions [data-action='resolve']").click()
    dialog = agent.locator("#resolve-dialog")
    dialog.get_by_label("Resolution (sent to the customer)").fill("A new kettle is on its way.")
    dialog.get_by_role("button", name="Resolve").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "resolving a complaint requires its root cause"
    )
    dialog.get_by_label("Root cause").fill("Faulty seal in production batch 7.")
    dialog.get_by_label("Corrective action").fill("Batch 7 recalled; seal supplier audited.")
    agent.screenshot(path=str(artifacts / "agent-console-complaint.png"))
    dialog.get_by_role("button", name="Resolve").click()
    expect(dialog).to_be_hidden()
    expect(agent.locator("#complaint-stage")).to_have_value("resolved_notified")
    expect(agent.locator("#complaint-root_cause")).to_have_value(
        "Faulty seal in production batch 7."
    )


def test_ticket_actions(new_page, hub: OwnHub) -> None:
    agent = new_page()
    sign_in(agent, "agent@example.com")
    chat = api_chat(agent.request, {"name": "Omar"})
    number = api_hand_off(agent.request, chat)
    queued = agent.locator(f"#queue-list [data-ticket='{number}']")
    actions = agent.locator("#ticket-actions")
    panel = agent.locator("#ticket-panel")
    status = panel.locator(".panel-head .status")
    confirm = agent.locator("#confirm-dialog")
    queued.click()
    actions.locator("[data-action='claim']").click()
    expect(status).to_have_text("open")

    # Pending on the customer pauses the SLA clocks; then back to open.
    actions.locator("[data-action='pending']").click()
    expect(status).to_have_text("pending")
    expect(panel.locator(".sla--paused").first).to_be_visible()
    actions.locator("[data-action='open']").click()
    expect(status).to_have_text("open")

    # The category is saved when the field is left.
    agent.locator("#field-category").fill("delivery/late")
    agent.locator("#field-category").press("Tab")
    expect(panel.locator(".timeline")).to_contain_text("category: delivery/late")

    # Return to bot asks first; Cancel changes nothing.
    actions.locator("[data-action='returnToBot']").click()
    expect(confirm).to_contain_text("Hand the conversation back to the assistant?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(agent.locator("#chat-subtitle")).to_contain_text("chat: with an agent")
    actions.locator("[data-action='returnToBot']").click()
    confirm.get_by_role("button", name="Confirm").click()
    expect(agent.locator("#chat-subtitle")).to_contain_text("chat: with the assistant")
    expect(transcript(agent).locator(".msg--system", has_text="virtual assistant")).to_be_visible()

    # Transfer to a team: unassigned, back in (that team's) queue.
    actions.locator("[data-action='transfer']").click()
    transfer = agent.locator("#transfer-dialog")
    transfer.locator("#transfer-team").select_option("billing")
    transfer.get_by_role("button", name="Transfer").click()
    expect(transfer).to_be_hidden()
    expect(panel.locator(".facts")).to_contain_text("Billing and payments")
    expect(queued).to_be_visible()

    # Escalate: the dedicated team owns the flagged case.
    actions.locator("[data-action='claim']").click()
    actions.locator("[data-action='escalate']").click()
    expect(confirm).to_contain_text("Complaints and escalations")
    confirm.get_by_role("button", name="Confirm").click()
    expect(panel.locator(".flag--escalated")).to_be_visible()
    expect(panel.locator(".facts")).to_contain_text("Complaints and escalations")

    # Unassign puts it back in the queue.
    actions.locator("[data-action='claim']").click()
    expect(status).to_have_text("open")
    actions.locator("[data-action='unassign']").click()
    confirm.get_by_role("button", name="Confirm").click()
    expect(status).to_have_text("new")
    expect(queued).to_be_visible()

    # Transfer to an agent: Lee holds it now, and Dana's composer says so.
    actions.locator("[data-action='transfer']").click()
    transfer.get_by_label("To an agent").check()
    agents = agent.request.get("/api/agents").json()["agents"]
    lee = next(a for a in agents if a["name"] == "Lee")
    expect(transfer.locator(f"#transfer-agent option[value='{lee['id']}']")).to_contain_text(
        re.compile(r"^Lee — \w+, \d+/3 chats$")
    )
    transfer.locator("#transfer-agent").select_option(str(lee["id"]))
    transfer.get_by_role("button", name="Transfer").click()
    expect(panel.locator(".facts")).to_contain_text("Lee")
    expect(agent.locator("#reply-hint")).to_have_text("Lee holds this ticket.")
    expect(queued).to_have_count(0)

    # Close (after a confirmation) ends a ticket for good.
    other = api_hand_off(agent.request, api_chat(agent.request))
    agent.locator(f"#queue-list [data-ticket='{other}']").click()
    actions.locator("[data-action='claim']").click()
    actions.locator("[data-action='close']").click()
    expect(confirm).to_contain_text(f"Close {other}?")
    confirm.get_by_role("button", name="Confirm").click()
    expect(status).to_have_text("closed")
    expect(actions.locator("button")).to_have_count(0)
    expect(agent.locator(f"#mine-list [data-ticket='{other}']")).to_have_count(0)
