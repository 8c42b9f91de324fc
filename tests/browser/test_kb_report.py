"""The help centre's report (the supervisor console's "Help centre" tab, view "Report").

This module starts a hub of its own, as test_kb_editor.py does: the staff accounts are created
with the CLI, and the report's source data needs the hub's database. Customers chat through
the public API; Rasa is down, so the assistant decides nothing about their messages, and the
test writes the decisions the assistant would have stored into the hub's SQLite file
(``messages.decision``, ``ood_reason``, ``kb_section``, ``kb_score``, and the 👍/👎 on the
answer: the reply's ``rateable`` and ``helpful``). Everything the test is about is done in
the page.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, expect

from .support import OwnHub, PageOpener, staff_hub

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

PASSWORD = "correct horse battery"
SUPERVISOR = "rosa@example.com"
RETURN_BOX = "Can I return a lamp without its box?"
XSS = "<img src=x onerror=window.__x=1>"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[OwnHub]:
    """A hub of its own (SQLite, Rasa down) with a supervisor."""
    users = [(SUPERVISOR, "Rosa", "supervisor")]
    directory = tmp_path_factory.mktemp("kb-report-hub")
    log = artifacts / "browser-kb-report-hub.log"
    with staff_hub(directory, log, users, PASSWORD) as running:
        yield running


@pytest.fixture
def new_page(browser: Browser, hub: OwnHub) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in a fresh browser context; fails the test on JavaScript errors."""
    pages = PageOpener(browser, hub.url)
    yield pages.open
    pages.close()


# ------------------------------------------------------------------------------------ helpers


def publish(request: APIRequestContext, csrf: str, slug: str, title: str) -> None:
    """A published article, through the staff API."""
    headers = {"X-CSRF-Token": csrf}
    created = request.post(
        "/api/kb/articles",
        data={
            "slug": slug,
            "title": title,
            "category": "product-care",
            "tags": ["lamp"],
            "summary": title,
            "body": "## Cleaning\nDust it with a dry cloth.\n",
        },
        headers=headers,
    )
    assert created.status == 201, created.text()
    article = created.json()
    published = request.post(
        f"/api/kb/articles/{article['id']}/publish",
        data={"version": article["version"]},
        headers=headers,
    )
    assert published.ok, published.text()


def customer_says(request: APIRequestContext, texts: list[str]) -> list[tuple[int, int]]:
    """One chat through the public API; per text the stored message's id and its reply's.

    Rasa is down: each reply is the hub's apology (a system message answering that message).
    """
    chat = request.post("/api/chat/sessions", data={"customer": {}})
    assert chat.status == 201, chat.text()
    chat = chat.json()
    ids = []
    for text in texts:
        said = request.post(
            f"/api/chat/sessions/{chat['session_id']}/messages",
            data={"text": text},
            headers={"Authorization": f"Bearer {chat['token']}"},
        )
        assert said.ok, said.text()
        mine, reply = said.json()["messages"][:2]
        assert mine["sender"] == "customer" and mine["text"] == text
        ids.append((mine["id"], reply["id"]))
    return ids


def store_decisions(database: Path, declined: list[int], answers: list[tuple]) -> None:
    """What the assistant would have stored: ``declined`` in-domain declines, and ``answers``
    (customer id, reply id, "slug#anchor", score, 👍 True / 👎 False / None) from articles."""
    with sqlite3.connect(database, timeout=10) as db:
        db.executemany(
            "UPDATE messages SET decision = 'declined', ood_reason = 'weak_faq_match' "
            "WHERE id = ? AND sender = 'customer'",
            [(i,) for i in declined],
        )
        for customer, reply, section, score, helpful in answers:
            db.execute(
                "UPDATE messages SET decision = 'answered', kb_section = ?, kb_score = ? "
                "WHERE id = ? AND sender = 'customer'",
                (section, score, customer),
            )
            db.execute(
                "UPDATE messages SET rateable = 1, helpful = ? WHERE id = ? AND reply_to_id = ?",
                (None if helpful is None else int(helpful), reply, customer),
            )
        assert db.total_changes == len(declined) + 2 * len(answers)


def column(page: Page, cells: str) -> list[str]:
    return page.locator(f"#kb-article-stats-rows {cells}").all_inner_texts()


# -------------------------------------------------------------------------------------- tests


def test_the_report_shows_the_questions_and_creates_an_article_from_one(
    new_page, hub: OwnHub, artifacts: Path
) -> None:
    page = new_page()
    login = page.request.post("/api/auth/login", data={"email": SUPERVISOR, "password": PASSWORD})
    assert login.ok, login.text()
    csrf = login.json()["csrf_token"]
    publish(page.request, csrf, "lamp-care", "Caring for your lamp")
    publish(page.request, csrf, "lamp-bulbs", "Lamp bulbs")
    publish(page.request, csrf, "lamp-warranty", "Lamp warranty")

    customer = new_page().request
    returns = customer_says(customer, [RETURN_BOX, "can I return a lamp without its box", XSS])
    returns += customer_says(customer, [RETURN_BOX])
    answered = customer_says(
        customer,
        ["How do I clean the lamp shade?", "Is the shade washable?", "Which bulb fits?"],
    )
    store_decisions(
        hub.database,
        declined=[customer for customer, _ in returns],
        answers=[
            (*answered[0], "lamp-care#cleaning", 0.9, True),
            (*answered[1], "lamp-care#cleaning", 0.8, False),  # marked unhelpful: a gap too
            (*answered[2], "lamp-bulbs#cleaning", 0.9, True),
        ],
    )

    # A period without those messages first: the report says there is nothing.
    page.goto("/supervisor#kb-report")
    expect(page.get_by_role("tab", name="Help centre")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("button", name="Report", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#kb-articles-view")).to_be_hidden()
    long_ago = date.today() - timedelta(days=400)
    page.locator("#period-from").fill(long_ago.isoformat())
    page.locator("#period-to").fill((long_ago + timedelta(days=6)).isoformat())
    page.get_by_role("button", name="Apply", exact=True).click()
    report = page.locator("#kb-report")
    expect(report.locator("#kb-gaps")).to_contain_text(
        "No questions without a good article in this period."
    )
    expect(page.locator("#kb-report-period")).to_contain_text(long_ago.isoformat())

    # The last 7 days (the period bar's preset): the groups, most frequent first.
    page.get_by_role("button", name="7 days").click()
    rows = report.locator("#kb-gap-rows > tr")
    expect(rows).to_have_count(3)
    first = rows.nth(0)
    expect(first.locator(".kb-gap-text")).to_have_text(RETURN_BOX)
    expect(first).to_have_attribute("data-count", "3")
    expect(first.locator(".kb-gap-count")).to_have_text("3")
    expect(first.locator(".kb-reason")).to_have_text(["Declined × 3"])
    # the other wording: on hover (the title) and behind "Other wordings"
    expect(first.locator(".kb-gap-text")).to_have_attribute(
        "title", "can I return a lamp without its box"
    )
    first.get_by_text("Other wordings (1)").click()
    expect(first.locator(".kb-gap-examples li")).to_have_text(
        ["can I return a lamp without its box"]
    )
    expect(first.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    unhelpful = rows.filter(has_text="Is the shade washable?")
    expect(unhelpful.locator(".kb-reason")).to_have_text(["Unhelpful × 1"])
    expect(unhelpful.locator(".kb-gap-sections a")).to_have_attribute(
        "href", "/help/lamp-care#cleaning"
    )

    # A customer's markup is text in the report, and nothing of it runs.
    injected = rows.filter(has_text="onerror")
    expect(injected.locator(".kb-gap-text")).to_have_text(XSS)
    assert report.locator("img").count() == 0
    assert page.evaluate("() => window.__x") is None

    # The "how computed" note, as the dashboard shows them (ⓘ: hover or focus).
    page.locator("#kb-gaps-summary .how-btn").hover()
    expect(page.locator("#kb-gaps-summary .how-tip")).to_be_visible()
    expect(page.locator("#kb-gaps-summary .how-tip")).to_contain_text("near-duplicates")

    # The articles: views, page votes, the assistant's answers and their helpfulness.
    stats = report.locator("#kb-article-stats-rows")
    care = stats.locator("tr[data-slug='lamp-care']")
    expect(care.locator(".kb-stat-answers")).to_have_text("2")
    expect(care.locator(".kb-stat-helpfulness")).to_have_text("50.0\u00a0%")
    expect(care.locator(".kb-stat-helpfulness")).to_have_attribute(
        "title", "Rated by customers: 1 👍 · 1 👎"
    )
    expect(care.locator(".kb-stat-votes")).to_have_text("0 yes · 0 no")
    expect(stats.locator("tr[data-slug='lamp-warranty'] .kb-stat-helpfulness")).to_have_text(
        "\u2013"
    )
    # the API's order (most answers first), then sorted by a column heading
    slugs = "tr[data-slug]"
    assert [r.get_attribute("data-slug") for r in stats.locator(slugs).all()] == [
        "lamp-care",
        "lamp-bulbs",
        "lamp-warranty",
    ]
    helpfulness = report.get_by_role("button", name="Helpfulness")
    helpfulness.click()
    expect(report.locator("th[data-sort='helpfulness']")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(stats.locator(".kb-stat-helpfulness")).to_have_text(["100.0\u00a0%", "50.0\u00a0%", "–"])
    helpfulness.click()  # again: the other way round, the unrated still last
    expect(report.locator("th[data-sort='helpfulness']")).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(stats.locator(".kb-stat-helpfulness")).to_have_text(["50.0\u00a0%", "100.0\u00a0%", "–"])
    report.get_by_role("button", name="Assistant's answers").click()
    expect(stats.locator(".kb-stat-answers")).to_have_text(["2", "1", "0"])
    assert column(page, ".kb-stat-views") == ["0", "0", "0"]
    page.screenshot(path=str(artifacts / "kb-report.png"), full_page=True)

    # The address keeps the view.
    expect(page).to_have_url(re.compile(r"#kb-report$"))
    page.reload()
    expect(page.locator("#kb-gap-rows > tr")).to_have_count(3)

    # "Create article from this question": the editor, beside the list, pre-filled.
    page.locator("#kb-gap-rows > tr").nth(0).get_by_role(
        "button", name="Create article from this question"
    ).click()
    editor = page.locator("#kb-editor")
    expect(editor).to_have_attribute("data-mode", "new")
    expect(page.locator("#kb-report")).to_be_hidden()
    expect(page.locator("#kb-articles-view")).to_be_visible()
    expect(page.get_by_role("button", name="Articles", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(editor.get_by_label("Title *")).to_have_value(RETURN_BOX)
    expect(editor.get_by_label("Address (slug) *")).to_have_value(
        "can-i-return-a-lamp-without-its-box"
    )
    expect(editor.get_by_label("Text (Markdown) *")).to_have_value(f"## {RETURN_BOX}\n")
    expect(page).to_have_url(re.compile(r"#help$"))
    page.locator("#kb-editor").screenshot(path=str(artifacts / "kb-report-new-article.png"))
