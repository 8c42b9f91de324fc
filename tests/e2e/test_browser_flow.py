"""The whole human hand-off in two real browsers, against the real stack (Rasa, actions, hub).

A customer on the demo site asks the assistant for a person; an agent created for this test
signs in to the agent console in a second browser context, sees the chat arrive live, claims
it, and they talk both ways; the agent adds an internal note the customer never sees and
resolves. The hub then has the assistant run its satisfaction survey in the widget: the
customer rates 5 and answers the rest; the rating is stored against the ticket and the agent
and shows in the agent console. Screenshots go to tests/artifacts/e2e-*.png.

The browser tests in tests/browser/ run the hub with Rasa down and stop before the survey;
this one needs the trained model, so it shares the e2e stack (tests/e2e/conftest.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ..browser.support import (
    PageOpener,
    accept_privacy,
    add_users_cli,
    ensure_chromium,
    launch_chromium,
)
from .conftest import ROOT, query

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# The machine may be busy (Rasa, the action server and the hub run beside the browser).
UI_TIMEOUT = 15_000
BOT_TIMEOUT = 30_000

AGENT_EMAIL = "robin.e2e@northwind.example"
AGENT_NAME = "Robin"
AGENT_PASSWORD = "e2e browser flow password"
TEAMS = "general,delivery,billing,technical,complaints"


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (installed with apt-get when it is missing)."""
    path = ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, path)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def agent_account(stack) -> int:
    """A new agent in the stack's database (`python -m ticketing user add`); returns its id."""
    add_users_cli(
        stack.database_url,
        [(AGENT_EMAIL, AGENT_NAME, "agent")],
        AGENT_PASSWORD,
        teams=TEAMS,
        env={"PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    [(user_id,)] = query(stack, "SELECT id FROM users WHERE email = ?", AGENT_EMAIL)
    return user_id


@pytest.fixture
def new_page(browser: Browser, running) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in a fresh browser context; fails the test on JavaScript errors."""
    pages = PageOpener(browser, running.hub_url, timeout=UI_TIMEOUT)
    yield pages.open
    pages.close()


# ------------------------------------------------------------------------------------ helpers


def sign_in(page: Page) -> None:
    page.goto("/agent")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(AGENT_EMAIL)
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/agent"))
    expect(page.locator("#connection-state")).to_have_text("Live")


def say(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    bubble = page.locator("li.hd-msg--customer[data-id] .hd-bubble", has_text=text)
    expect(bubble).to_be_visible()


def bot_says(page: Page, text: str | re.Pattern):
    """The bot's message containing ``text`` in the widget, once it has arrived."""
    message = page.locator("li.hd-msg--bot", has_text=text).last
    expect(message).to_be_visible(timeout=BOT_TIMEOUT)
    return message


def answer(page: Page, question: str, button: str) -> None:
    """Clicks ``button`` under the bot's ``question`` (the survey's next step)."""
    choice = bot_says(page, question).get_by_role("button", name=button, exact=True)
    expect(choice).to_be_enabled()
    choice.click()
    expect(choice).to_be_disabled()  # used: the widget disables the group


def chat_messages(page: Page) -> list[dict]:
    """The customer's conversation through the public chat API (the widget's own session)."""
    session = page.evaluate("() => JSON.parse(localStorage.getItem('hd-chat:' + location.origin))")
    response = page.request.get(
        f"/api/chat/sessions/{session['session_id']}/messages",
        headers={"Authorization": f"Bearer {session['token']}"},
    )
    assert response.ok, response.text()
    return response.json()["messages"]


def session_id(page: Page) -> str:
    return page.evaluate(
        "() => JSON.parse(localStorage.getItem('hd-chat:' + location.origin)).session_id"
    )


# -------------------------------------------------------------------------------------- test


def test_customer_to_agent_to_rating_in_two_browsers(
    new_page, running, agent_account: int, artifacts: Path
) -> None:
    # The agent signs in on the sign-in page and waits with the console open.
    agent = new_page()
    sign_in(agent)
    transcript = agent.locator("#transcript")

    # The customer opens the chat on the demo site and asks the real assistant for a person.
    customer = new_page()
    customer.goto("/")
    customer.get_by_role("button", name="Chat with us").click()
    expect(customer.locator(".hd-panel")).to_be_visible()
    accept_privacy(customer)
    say(customer, "I want to talk to a person")
    handoff = bot_says(customer, re.compile(r"T-\d{6}"))
    number = re.search(r"T-\d{6}", handoff.inner_text()).group(0)
    queued = rf"Waiting for an agent \(ticket {number}\)( — you are number \d+ in the queue)?"
    expect(customer.locator(".hd-status-text")).to_have_text(re.compile(queued))
    [(status,)] = query(
        running, "SELECT status FROM conversations WHERE public_id = ?", session_id(customer)
    )
    assert status == "queued"

    # It arrives in the agent's queue without a reload.
    item = agent.locator(f"#queue-list [data-ticket='{number}']")
    expect(item).to_be_visible()
    expect(item).to_contain_text("I want to talk to a person")
    agent.screenshot(path=str(artifacts / "e2e-agent-console-queue.png"))

    # The agent opens it: the bot's part of the transcript, with the customer's intent.
    item.click()
    expect(agent.locator("#chat-title")).to_contain_text(number)
    asked = transcript.locator(".msg--customer", has_text="I want to talk to a person")
    expect(asked.locator(".nlu .nlu-intent")).to_have_text(
        re.compile(r"^request_human (0\.\d\d|1\.00)$")
    )
    expect(transcript.locator(".msg--bot", has_text=number).first).to_be_visible()

    # Claim: the customer is told who joined.
    agent.locator("#ticket-actions [data-action='claim']").click()
    expect(agent.locator("#toast")).to_have_text(f"You claimed {number}.")
    expect(agent.locator(f"#mine-list [data-ticket='{number}']")).to_be_visible()
    reply = agent.locator("#reply-input")
    expect(reply).to_be_enabled()
    joined = customer.locator("li.hd-msg--system", has_text=f"{AGENT_NAME} from support has joined")
    expect(joined).to_be_visible()
    expect(customer.locator(".hd-status-text")).to_have_text("You are chatting with an agent")

    # Live chat both ways; the assistant stays silent while the agent owns the chat.
    greeting = f"Hi, I'm {AGENT_NAME}. How can I help you today?"
    reply.fill(greeting)
    reply.press("Enter")
    expect(transcript.locator(".msg--agent", has_text=greeting)).to_be_visible()
    expect(customer.locator("li.hd-msg--agent", has_text=greeting)).to_be_visible()

    problem = "My parcel NW-104233 arrived with a broken lid."
    say(customer, problem)
    expect(transcript.locator(".msg--customer", has_text=problem)).to_be_visible()

    answer_text = "Sorry about that! I've sent a replacement lid; it arrives tomorrow."
    reply.fill(answer_text)
    agent.locator("#reply-send").click()
    expect(customer.locator("li.hd-msg--agent", has_text=answer_text)).to_be_visible()
    say(customer, "Thank you, that's great")
    expect(transcript.locator(".msg--customer", has_text="that's great")).to_be_visible()

    # An internal note: staff only.
    note = "Replacement lid sent from stock; watch for a second report on this batch"
    agent.get_by_role("tab", name="Internal notes").click()
    agent.locator("#note-input").fill(note)
    agent.get_by_role("button", name="Add note").click()
    expect(agent.locator("#notes-list .note", has_text=note)).to_be_visible()
    agent.get_by_role("tab", name="Reply to customer").click()
    agent.screenshot(path=str(artifacts / "e2e-agent-console-chat.png"))

    # Resolve with a resolution text, which goes to the customer.
    resolution = "A replacement lid is on its way and arrives tomorrow."
    agent.locator("#ticket-actions [data-action='resolve']").click()
    dialog = agent.locator("#resolve-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Resolution (sent to the customer)").fill(resolution)
    dialog.get_by_role("button", name="Resolve").click()
    expect(dialog).to_be_hidden()
    expect(agent.locator("#ticket-panel .status")).to_have_text("resolved")
    expect(customer.locator("li.hd-msg--agent", has_text=resolution)).to_be_visible()
    resolved_notice = f"request {number} has been marked as resolved"
    expect(customer.locator("li.hd-msg--system", has_text=resolved_notice)).to_be_visible()

    # The assistant's survey arrives in the widget (the hub triggers EXTERNAL_survey).
    csat = bot_says(customer, "how satisfied or dissatisfied are you with the help you received")
    titles = csat.get_by_role("button").all_inner_texts()
    assert titles[:5] == [
        "1 – Very dissatisfied",
        "2 – Dissatisfied",
        "3 – Neither",
        "4 – Satisfied",
        "5 – Very satisfied",
    ], titles
    assert "Skip survey" in titles
    customer.screenshot(path=str(artifacts / "e2e-widget-survey.png"))
    answer(customer, "how satisfied or dissatisfied", "5 – Very satisfied")
    answer(customer, "Was your issue resolved?", "Yes")
    answer(customer, "speed of our response", "5")  # after a human: the three dimensions
    answer(customer, "how well your problem was solved", "5")
    answer(customer, "courtesy and attitude", "5")
    answer(customer, "anything you'd like to add", "Skip")
    bot_says(customer, "Thank you for your feedback")

    # Stored against the ticket and the agent, as the human stage of the service.
    [(ticket_id,)] = query(running, "SELECT id FROM tickets WHERE number = ?", number)
    rows = query(
        running,
        "SELECT csat, resolved, speed, problem_solving, attitude, comment, skipped, stage, "
        "about, agent_id FROM ratings WHERE ticket_id = ?",
        ticket_id,
    )
    assert rows == [(5, 1, 5, 5, 5, None, 0, "human", "service", agent_account)], rows

    # The note never reached the customer: not in the widget, not in the chat API.
    expect(customer.locator("#hd-chat-widget")).not_to_contain_text(note)
    texts = [m["text"] for m in chat_messages(customer)]
    assert greeting in texts and answer_text in texts and resolution in texts
    assert not any("Replacement lid sent from stock" in text for text in texts)
    assert {m["sender"] for m in chat_messages(customer)} <= {"customer", "bot", "agent", "system"}

    # The rating shows live on the ticket in the open agent console (no reload).
    expect(agent.locator("#chat-title")).to_contain_text(number)
    rating = agent.locator("#ticket-panel .rating")
    expect(rating).to_be_visible()
    expect(rating.locator(".stars")).to_have_text("★★★★★ 5/5")
    expect(agent.locator("#ticket-panel .status")).to_have_text("resolved")
    expect(agent.locator("#notes-list .note", has_text=note)).to_be_attached()
    expect(asked.locator(".nlu .nlu-intent")).to_have_text(re.compile(r"^request_human "))
    rating.scroll_into_view_if_needed()
    agent.screenshot(path=str(artifacts / "e2e-agent-console-rating.png"))

    detail = agent.request.get(f"/api/tickets/{number}").json()
    assert detail["rating"]["csat"] == 5 and detail["rating"]["stage"] == "human"
    assert [n["data"]["text"] for n in detail["notes"]] == [note]
