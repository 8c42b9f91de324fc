"""The supervisor console's privacy tab (admins only) in a real browser.

A hub of its own (the staff accounts are made with the CLI, which needs its DATABASE_URL), with
Rasa down as in conftest.py: the hub then apologises, and the customer's message is stored all
the same, which is all these tests need. Customers chat through the public chat API; the
supervisor opens transcripts through the staff API, as the console does.

The tab reads GET /api/audit and writes POST /api/privacy/export, /erase and /retention; every
figure the tests look for in the page is read from the same API.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, expect

from .support import PageOpener, add_users_cli, start_hub, stop_hub

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

PASSWORD = "correct horse battery"
ADMIN = "ada@example.com"
SUPERVISOR = "sam@example.com"
NOT_FOUND = "No data is held for that address"


@dataclass
class Hub:
    url: str
    database_url: str

    @property
    def database_path(self) -> str:
        return self.database_url.removeprefix("sqlite:///")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Hub]:
    """A hub of its own (`python -m ticketing serve`, SQLite, Rasa down) with an admin and a
    supervisor."""
    tmp = tmp_path_factory.mktemp("privacy-hub")
    database_url = f"sqlite:///{tmp / 'hub.db'}"
    url, process = start_hub(database_url, artifacts / "browser-privacy-hub.log")
    try:
        add_users_cli(
            database_url,
            [(ADMIN, "Ada", "admin"), (SUPERVISOR, "Sam", "supervisor")],
            PASSWORD,
            timeout=300,
        )
        yield Hub(url=url, database_url=database_url)
    finally:
        stop_hub(process)


@pytest.fixture
def new_page(browser: Browser, hub: Hub) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in a fresh browser context; fails the test on JavaScript errors."""
    pages = PageOpener(browser, hub.url, accept_downloads=True)
    yield pages.open
    pages.close()


# ------------------------------------------------------------------------------------ helpers


def unique_email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


def customer_chats(request: APIRequestContext, email: str, *texts: str) -> str:
    """A chat through the public chat API; returns its session id."""
    response = request.post(
        "/api/chat/sessions", data={"customer": {"name": "Test Customer", "email": email}}
    )
    assert response.status == 201, response.text()
    session = response.json()
    for text in texts:
        sent = request.post(
            f"/api/chat/sessions/{session['session_id']}/messages",
            data={"text": text},
            headers={"Authorization": f"Bearer {session['token']}"},
        )
        assert sent.ok, sent.text()
        assert sent.json()["messages"][0]["text"] == text  # stored, whatever Rasa does
    return session["session_id"]


def staff_login(request: APIRequestContext, email: str) -> str:
    response = request.post("/api/auth/login", data={"email": email, "password": PASSWORD})
    assert response.ok, response.text()
    return response.json()["csrf_token"]


def csrf_of(page: Page) -> str:
    response = page.request.get("/api/auth/me")
    assert response.ok, response.text()
    return response.json()["csrf_token"]


def sign_in(page: Page, email: str = ADMIN) -> None:
    """Signs in through the sign-in page, as a person would, and waits for the console."""
    page.goto("/supervisor")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/supervisor"))
    console_ready(page)


def console_ready(page: Page) -> None:
    """The dashboard's figures come after GET /api/auth/me: the console knows the role now."""
    expect(page.locator("#kpi-conversations .kpi-value")).not_to_have_attribute("data-value", "")


def open_privacy(page: Page) -> None:
    page.get_by_role("tab", name="Privacy").click()
    expect(page.get_by_role("tab", name="Privacy")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#audit-count")).to_have_attribute("data-count", re.compile(r"\d+"))


def audit_api(page: Page, **params) -> list[dict]:
    response = page.request.get("/api/audit", params={"limit": 1000, **params})
    assert response.ok, response.text()
    return response.json()["entries"]


def shown_ids(page: Page) -> list[int]:
    ids = page.locator("#audit-rows tr.audit-row").evaluate_all(
        "rows => rows.map(r => r.dataset.id)"
    )
    return [int(i) for i in ids]


def shown_actions(page: Page) -> set[str]:
    return set(
        page.locator("#audit-rows tr.audit-row").evaluate_all(
            "rows => rows.map(r => r.dataset.action)"
        )
    )


@contextmanager
def signed_in_api(browser: Browser, hub: Hub, email: str) -> Iterator[APIRequestContext]:
    """A staff member's API session (a browser context of its own, no page)."""
    context = browser.new_context(base_url=hub.url)
    try:
        staff_login(context.request, email)
        yield context.request
    finally:
        context.close()


def supervisor_opens(request: APIRequestContext, session_id: str, times: int = 1) -> None:
    """Opens a transcript as the console does (GET /api/conversations/ID)."""
    for _ in range(times):
        response = request.get(f"/api/conversations/{session_id}")
        assert response.ok, response.text()


def rows_mentioning(database_path: str, needle: str) -> list[tuple[str, tuple]]:
    """Every row of every table in the hub's SQLite file whose text contains ``needle``."""
    needle = needle.lower()
    found: list[tuple[str, tuple]] = []
    with sqlite3.connect(f"file:{database_path}?mode=ro", uri=True) as db:
        tables = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_")
        ]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # the names come from sqlite_master
                if any(needle in str(value).lower() for value in row if value is not None):
                    found.append((table, row))
    return found


# -------------------------------------------------------------------------------------- tests


def test_only_admins_see_the_privacy_tab(new_page, hub: Hub) -> None:
    admin = new_page()
    sign_in(admin, ADMIN)
    tab = admin.get_by_role("tab", name="Privacy")
    expect(tab).to_be_visible()
    # keyboard: from the last report tab, the arrow key reaches it, and Home goes back
    admin.get_by_role("tab", name=re.compile("Actions")).click()
    admin.get_by_role("tab", name=re.compile("Actions")).press("ArrowRight")
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(tab).to_be_focused()
    expect(admin.locator("#panel-privacy")).to_be_visible()
    expect(admin.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(admin.get_by_label("Customer's e-mail address")).to_be_visible()
    expect(admin).to_have_url(re.compile(r"#privacy$"))
    tab.press("Home")
    expect(admin.get_by_role("tab", name=re.compile("Dashboard"))).to_be_focused()
    expect(admin.locator("#panel-privacy")).to_be_hidden()

    supervisor = new_page()
    sign_in(supervisor, SUPERVISOR)
    expect(supervisor.get_by_role("tab", name=re.compile("Actions"))).to_be_visible()
    expect(supervisor.get_by_role("tab", name="Privacy")).to_have_count(0)
    assert supervisor.locator("#panel-privacy").count() == 0
    # the address cannot open the tab either; End goes to the last tab a supervisor has
    supervisor.goto("/supervisor#privacy")
    supervisor.reload()
    console_ready(supervisor)
    expect(supervisor.get_by_role("tab", name=re.compile("Dashboard"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(supervisor).to_have_url(re.compile(r"#dashboard$"))
    supervisor.get_by_role("tab", name=re.compile("Dashboard")).press("End")
    expect(supervisor.get_by_role("tab", name=re.compile("Actions"))).to_be_focused()
    assert supervisor.request.get("/api/audit").status == 403
    refused = supervisor.request.post(
        "/api/privacy/retention",
        data={"dry_run": True},
        headers={"X-CSRF-Token": csrf_of(supervisor)},
    )
    assert refused.status == 403


def test_the_audit_log_shows_who_opened_a_transcript_and_filters(
    new_page, hub: Hub, browser: Browser
) -> None:
    page = new_page()
    email = unique_email("viewed")
    session_id = customer_chats(page.request, email, "where is my parcel?")

    # the supervisor opens the transcript (as the console does) and downloads a report
    with signed_in_api(browser, hub, SUPERVISOR) as supervisor:
        supervisor_opens(supervisor, session_id)
        assert supervisor.get("/api/conversations.csv").ok

    sign_in(page, ADMIN)
    open_privacy(page)
    row = page.locator(
        "#audit-rows tr.audit-row[data-action='conversation.viewed']",
        has_text=f"conversation:{session_id}",
    )
    expect(row).to_have_count(1)
    expect(row.locator(".audit-actor")).to_have_text(SUPERVISOR)
    expect(row.locator(".audit-action")).to_have_text("Transcript viewed")
    expect(row.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d{2}-\d{2}T"))
    assert email not in row.inner_text()  # entries name objects by id only
    everything = audit_api(page)
    assert shown_ids(page) == [e["id"] for e in everything][:50]
    assert {"conversation.viewed", "report.exported"} <= shown_actions(page)

    # the action filter narrows the list, the actor filter too; the CSV link carries both
    page.get_by_label("Action", exact=True).select_option(label="Transcript viewed")
    viewed = audit_api(page, action="conversation.viewed")
    others = page.locator("#audit-rows tr.audit-row:not([data-action='conversation.viewed'])")
    expect(others).to_have_count(0)
    expect(page.locator("#audit-count")).to_have_attribute("data-count", str(len(viewed)))
    assert shown_actions(page) == {"conversation.viewed"}
    assert 0 < len(viewed) < len(everything)
    page.get_by_label("Staff e-mail").fill(SUPERVISOR)
    page.get_by_role("button", name="Show", exact=True).click()
    by_sam = audit_api(page, action="conversation.viewed", actor=SUPERVISOR)
    expect(page.locator("#audit-rows .audit-actor", has_not_text=SUPERVISOR)).to_have_count(0)
    expect(page.locator("#audit-count")).to_have_attribute("data-count", str(len(by_sam)))
    link = page.get_by_role("link", name="Download CSV")
    params = parse_qs(urlsplit(link.get_attribute("href") or "").query)
    assert params == {"action": ["conversation.viewed"], "actor": [SUPERVISOR]}

    with page.expect_download() as info:
        link.click()
    lines = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(lines) == 1 + len(by_sam)
    assert any(f"conversation:{session_id}" in line for line in lines[1:])
    assert all(SUPERVISOR in line and "conversation.viewed" in line for line in lines[1:])

    # an actor with no entries: the empty message; Reset shows everything again
    page.get_by_label("Staff e-mail").fill("nobody@example.com")
    page.get_by_label("Staff e-mail").press("Enter")
    expect(page.locator("#audit-count")).to_have_attribute("data-count", "0")
    expect(page.locator("#audit-rows")).to_contain_text("No entries for these filters.")
    page.get_by_role("button", name="Reset filters").click()
    expect(page.locator("#audit-count")).to_have_attribute(
        "data-count", str(min(50, len(audit_api(page))))
    )


def test_load_older_pages_back_through_the_audit_log(new_page, hub: Hub, browser: Browser) -> None:
    page = new_page()
    session_id = customer_chats(page.request, unique_email("paged"), "hello")
    with signed_in_api(browser, hub, SUPERVISOR) as supervisor:
        supervisor_opens(supervisor, session_id, times=57)

    sign_in(page, ADMIN)
    open_privacy(page)
    page.get_by_label("Staff e-mail").fill(SUPERVISOR)
    page.get_by_label("Action", exact=True).select_option("conversation.viewed")
    expect(page.locator("#audit-rows .audit-actor", has_not_text=SUPERVISOR)).to_have_count(0)
    expect(page.locator("#audit-count")).to_have_attribute("data-count", "50")
    wanted = [e["id"] for e in audit_api(page, action="conversation.viewed", actor=SUPERVISOR)]
    assert len(wanted) >= 57
    assert shown_ids(page) == wanted[:50]
    more = page.get_by_role("button", name="Load older")
    pages = 1
    while more.is_visible():
        with page.expect_response(lambda r: "/api/audit?" in r.url and "before=" in r.url):
            more.click()
        expect(page.locator("#audit-more")).to_be_enabled()  # that page is rendered
        pages += 1
        assert pages <= 10
    assert shown_ids(page) == wanted  # newest first, each entry once
    csv_link = page.get_by_role("link", name="Download CSV").get_attribute("href") or ""
    assert "before=" not in csv_link and "actor=" in csv_link


def test_export_downloads_everything_held_about_a_customer(new_page, hub: Hub) -> None:
    page = new_page()
    email = unique_email("carol")
    text = f"my parcel {uuid.uuid4().hex[:6]} never arrived"
    session_id = customer_chats(page.request, email, text)
    sign_in(page, ADMIN)
    open_privacy(page)

    page.get_by_label("Customer's e-mail address").fill(email)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export data").click()
    download = info.value
    assert download.suggested_filename == "customer-data.json"
    bundle = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert bundle["email"] == email
    chats = {c["session_id"]: c for c in bundle["conversations"]}
    assert session_id in chats
    assert text in [m["text"] for m in chats[session_id]["messages"]]
    expect(page.locator("#subject-result")).to_contain_text("customer-data.json")

    # the export is in the audit table at once
    top = page.locator("#audit-rows tr.audit-row").first
    expect(top).to_have_attribute("data-action", "subject.exported")
    expect(top.locator(".audit-actor")).to_have_text(ADMIN)

    # nothing held: the not-found message, no download
    page.get_by_label("Customer's e-mail address").fill(unique_email("nobody"))
    page.get_by_role("button", name="Export data").click()
    expect(page.locator("#subject-result")).to_have_text(NOT_FOUND)
    # not an address: said so, nothing asked
    page.get_by_label("Customer's e-mail address").fill("not an address")
    page.get_by_label("Customer's e-mail address").press("Enter")
    expect(page.locator("#subject-result")).to_have_text("Enter the customer's e-mail address.")


def test_erasure_asks_first_then_shows_the_counts_and_leaves_no_trace(new_page, hub: Hub) -> None:
    page = new_page()
    email = unique_email("erin")
    first = customer_chats(page.request, email, "hello, I need help", "my order is late")
    second = customer_chats(page.request, email, "me again")
    sign_in(page, ADMIN)
    open_privacy(page)
    field = page.get_by_label("Customer's e-mail address")
    field.fill(email)

    # the first click only asks; Cancel (or editing the address) takes the question back
    page.get_by_role("button", name="Erase data").click()
    yes = page.get_by_role("button", name=f"Yes, erase everything held about {email}")
    expect(yes).to_be_visible()
    expect(page.locator("#erase-confirm")).to_contain_text("cannot be undone")
    page.get_by_role("button", name="Cancel").click()
    expect(yes).to_be_hidden()
    expect(page.get_by_role("button", name="Erase data")).to_be_focused()
    page.get_by_role("button", name="Erase data").click()
    expect(yes).to_be_visible()
    field.press("End")
    field.press("x")
    expect(yes).to_be_hidden()
    field.fill(email)
    headers = {"X-CSRF-Token": csrf_of(page)}
    assert page.request.post("/api/privacy/export", data={"email": email}, headers=headers).ok

    page.get_by_role("button", name="Erase data").click()
    yes.click()
    result = page.locator("#subject-result")
    expect(result).to_contain_text(f"Everything held about {email} was erased")
    expect(result.locator('[data-kind="conversations"]')).to_have_attribute("data-count", "2")
    expect(result.locator('[data-kind="conversations"] dt')).to_have_text("Conversations")
    messages = int(result.locator('[data-kind="messages"]').get_attribute("data-count") or 0)
    assert messages >= 3  # the customer's three turns, at least
    expect(yes).to_be_hidden()
    top = page.locator("#audit-rows tr.audit-row").first
    expect(top).to_have_attribute("data-action", "subject.erased")
    assert email not in top.inner_text()

    # no trace: the export finds nothing, in the page and through the API, nor does the DB
    page.get_by_role("button", name="Export data").click()
    expect(result).to_have_text(NOT_FOUND)
    gone = page.request.post("/api/privacy/export", data={"email": email}, headers=headers)
    assert gone.status == 404 and gone.json()["error"]["code"] == "unknown_subject"
    for session_id in (first, second):
        transcript = page.request.get(f"/api/conversations/{session_id}")
        assert transcript.ok and email not in transcript.text()
    assert rows_mentioning(hub.database_path, email) == []
    # a second erasure finds nothing either
    page.get_by_role("button", name="Erase data").click()
    yes.click()
    expect(result).to_have_text(NOT_FOUND)


def test_retention_dry_run_and_run_show_the_counts(new_page, hub: Hub) -> None:
    page = new_page()
    sign_in(page, ADMIN)
    open_privacy(page)
    headers = {"X-CSRF-Token": csrf_of(page)}
    expected = page.request.post(
        "/api/privacy/retention", data={"dry_run": True}, headers=headers
    ).json()

    page.get_by_role("button", name="Dry run").click()
    box = page.locator("#retention-result")
    expect(box).to_have_attribute("data-dry-run", "true")
    expect(box).to_contain_text("Dry run: nothing was removed.")
    expect(box.locator("thead")).to_contain_text("Would be removed")
    labels = {
        "transcripts": "Chat transcripts",
        "rating_comments": "Rating comments",
        "audit_log": "Audit log entries",
        "outbox": "Settled e-mails and webhook deliveries",
    }
    for kind, name in labels.items():
        days = expected["days"][kind]
        row = box.locator("tbody tr", has_text=name)
        cells = [
            name,
            f"{days:,} days" if days else "for ever",
            str(expected["would_remove"][kind]),
        ]
        expect(row.locator("th, td")).to_have_text(cells)

    page.get_by_role("button", name="Run now").click()
    expect(box).to_have_attribute("data-dry-run", "false")
    expect(box).to_contain_text("Retention run finished.")
    expect(box.locator("thead")).to_contain_text("Removed")
    expect(box.locator("tbody tr")).to_have_count(4)
