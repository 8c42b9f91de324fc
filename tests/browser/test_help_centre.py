"""The public help centre (/help, /help/<slug>) and the widget's help features, in Chromium.

This module starts a hub of its own (`python -m ticketing serve`, SQLite, Rasa down, so the
search is lexical only), creates a supervisor with the CLI and publishes the articles of
tests/kb_fixture.py through the staff API, plus one article whose title, heading and body
are markup probes. The widget's source link (an answer quoted from the help centre carries
``custom.source``) is checked on a bot message inserted into the hub's SQLite file, as
test_widget_feedback.py does: without Rasa the hub never quotes an article itself.
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
import yaml
from playwright.sync_api import APIRequestContext, Browser, BrowserContext, Page, expect

from tests.kb_fixture import ARTICLES

from .support import REPO_ROOT, accept_privacy, add_users_cli, start_hub, stop_hub
from .test_widget import hello_and_apology, open_chat, stored_session

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

PASSWORD = "correct horse battery"
SUPERVISOR = "sam@example.com"
RETURN_DAYS = yaml.safe_load((REPO_ROOT / "shop.yml").read_text(encoding="utf-8"))["returns"][
    "days"
]

RETURNS = "returns-and-refunds"
HOW_LONG = "how-long-do-i-have-to-return-an-item"
HOW_LONG_HEADING = "How long do I have to return an item?"
REFUND = "when-will-i-get-my-refund"
QUESTION = "how long to return an item"

# An article that is nothing but markup probes: none of it may run or become markup.
PROBE_SLUG = "zebra-crossing-probe"
PROBE_TITLE = "<img src=x onerror=window.__x=1>"
PROBE_HEADING = 'Zebra crossing <img src=x onerror="window.__x=1">'
PROBE_BODY = (
    "Zebra intro.\n\n"
    f"## {PROBE_HEADING}\n"
    "<script>window.__x=1</script> zebra crossings are striped.\n\n"
    '<img src=x onerror="window.__x=1">\n\n'
    "[a](javascript:window.__x=1)\n"
)
PROBE_QUERY = "zebra crossing"

# Every link, image and handler in the document and in every open shadow root (the widget).
JS_INJECTED = """() => {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const attrs = el.getAttributeNames();
      const what = el.localName + ' ' + attrs.map(a => a + '=' + el.getAttribute(a)).join(' ');
      if (attrs.some(a => a.toLowerCase().startsWith('on'))) found.push('handler: ' + what);
      if (el.localName === 'img' && el.getAttribute('src') === 'x') found.push('img: ' + what);
      if (/^\\s*javascript:/i.test(el.getAttribute('href') || '')) found.push('link: ' + what);
      if (el.localName === 'script' && /__x/.test(el.textContent)) found.push('script: ' + what);
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  return found;
}"""


# ------------------------------------------------------------------------------------ the hub


@dataclass(frozen=True)
class Hub:
    url: str
    database: Path


def login(request: APIRequestContext) -> dict[str, str]:
    """Signs the supervisor in (the cookie stays in the context); the CSRF header."""
    response = request.post("/api/auth/login", data={"email": SUPERVISOR, "password": PASSWORD})
    assert response.ok, response.text()
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def publish(request: APIRequestContext, headers: dict[str, str], slug: str, fields: dict) -> None:
    made = request.post("/api/kb/articles", data={"slug": slug, **fields}, headers=headers)
    assert made.status == 201, made.text()
    article = made.json()
    done = request.post(
        f"/api/kb/articles/{article['id']}/publish",
        data={"version": article["version"]},
        headers=headers,
    )
    assert done.ok, done.text()


@pytest.fixture(scope="module")
def hub(
    tmp_path_factory: pytest.TempPathFactory, artifacts: Path, browser: Browser
) -> Iterator[Hub]:
    """A hub of its own with a supervisor and the published articles."""
    database = tmp_path_factory.mktemp("help-hub") / "hub.db"
    database_url = f"sqlite:///{database}"
    url, process = start_hub(database_url, artifacts / "browser-help-hub.log")
    try:
        add_users_cli(database_url, [(SUPERVISOR, "Sam", "supervisor")], PASSWORD)
        context = browser.new_context(base_url=url)
        try:
            headers = login(context.request)
            for slug, fields in ARTICLES.items():
                publish(context.request, headers, slug, fields)
            probe = {
                "title": PROBE_TITLE,
                "category": "orders",
                "tags": ["zebra"],
                "summary": "Probe <svg onload=window.__x=1>",
                "body": PROBE_BODY,
            }
            publish(context.request, headers, PROBE_SLUG, probe)
        finally:
            context.close()
        yield Hub(url, database)
    finally:
        stop_hub(process)


@pytest.fixture(scope="module")
def hub_url(hub: Hub) -> str:
    """Points conftest's ``context`` and ``page`` fixtures at this module's hub."""
    return hub.url


@pytest.fixture
def new_context(browser: Browser, hub: Hub) -> Iterator:
    """Opens extra browser contexts (no JavaScript, CSP bypassed ...); closed after the test."""
    contexts: list[BrowserContext] = []

    def open_(**options) -> BrowserContext:
        context = browser.new_context(base_url=hub.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        context.close()


# ------------------------------------------------------------------------------------ helpers


def helpful_votes(request: APIRequestContext, slug: str) -> dict[str, int]:
    listing = request.get("/api/kb/articles")
    assert listing.ok, listing.text()
    [article] = [a for a in listing.json()["articles"] if a["slug"] == slug]
    return article["helpful"]


def widget_search(page: Page, query: str) -> None:
    """Opens the widget, then "Search help", and searches ``query`` (no chat is started)."""
    page.get_by_role("button", name="Chat with us").click()
    panel = page.locator(".hd-panel")
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="Search help").click()
    field = panel.get_by_role("searchbox", name="Search the help centre")
    expect(field).to_be_focused()
    field.fill(query)
    field.press("Enter")


def seed_bot_message(hub: Hub, session_id: str, text: str, custom: dict) -> int:
    """Inserts a bot message with ``custom`` into the session's conversation; its id."""
    created_at = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(" ")
    with closing(sqlite3.connect(hub.database, timeout=10)) as db, db:
        (conversation_id,) = db.execute(
            "SELECT id FROM conversations WHERE public_id = ?", (session_id,)
        ).fetchone()
        cursor = db.execute(
            "INSERT INTO messages (conversation_id, sender, text, buttons, custom, created_at)"
            " VALUES (?, 'bot', ?, '[]', ?, ?)",
            (conversation_id, text, json.dumps(custom), created_at),
        )
        return cursor.lastrowid


def assert_nothing_ran(page: Page) -> None:
    assert page.evaluate("() => window.__x") is None
    assert page.evaluate(JS_INJECTED) == []
    assert page.locator("a[href^='javascript:' i]").count() == 0


# -------------------------------------------------------------------------------------- tests


def test_every_category_has_a_name_in_every_language() -> None:
    """The pages name each category through t("help_category_<key>") (a missing one is a 500)."""
    from ticketing.i18n import LOCALES, messages
    from ticketing.knowledge.models import CATEGORIES

    for locale in LOCALES:
        names = [messages(locale, "hub").get(f"help_category_{key}") for key in CATEGORIES]
        assert all(names), (locale, names)
        assert len(set(names)) == len(CATEGORIES)


def test_home_lists_categories_and_search_finds_the_section(page: Page, artifacts: Path) -> None:
    page.goto("/help")
    main = page.locator("main")
    expect(page).to_have_title(re.compile(r"^Help centre · "))
    expect(main.get_by_role("heading", level=1)).to_have_text("Help centre")
    expect(page.get_by_role("link", name="Shop", exact=True)).to_have_attribute("href", "/")

    # the categories of the published articles, by their names, each with its articles
    topics = main.get_by_role("navigation", name="Browse by topic")
    for name in ("Delivery", "Returns and refunds", "Product care", "Payments and invoices"):
        expect(topics.get_by_role("link", name=name, exact=True)).to_be_visible()
    returns = page.locator("section#returns-refunds")
    expect(returns.get_by_role("heading", name="Returns and refunds")).to_be_visible()
    expect(returns.get_by_role("link", name="Returns and refunds")).to_have_attribute(
        "href", f"/help/{RETURNS}"
    )
    expect(returns).to_contain_text(ARTICLES[RETURNS]["summary"])
    expect(page.locator("section#delivery")).to_contain_text("Delivery times and costs")
    expect(page.locator("section#warranty-repairs")).to_have_count(0)  # nothing published there
    popular = page.locator("section#popular")
    expect(popular.get_by_role("heading", name="Popular articles")).to_be_visible()
    expect(popular.get_by_role("link")).to_have_count(len(ARTICLES) + 1)

    # the search: a plain GET form (?q=), results as "title › heading" and the quote
    field = main.get_by_role("searchbox", name="Search the help centre")
    field.fill(QUESTION)
    field.press("Enter")
    expect(page).to_have_url(re.compile(r"/help\?q=how\+long\+to\+return\+an\+item$"))
    expect(field).to_have_value(QUESTION)
    results = page.locator("section#results")
    expect(results.get_by_role("heading", level=2)).to_have_text(f"Results for “{QUESTION}”")
    first = results.locator("li.help-result").first
    link = first.get_by_role("link")
    expect(link).to_have_text(f"Returns and refunds › {HOW_LONG_HEADING}")
    expect(link).to_have_attribute("href", f"/help/{RETURNS}#{HOW_LONG}")
    expect(first.locator(".help-quote")).to_contain_text(
        f"You have {RETURN_DAYS} days from delivery to return an item."
    )
    page.screenshot(path=str(artifacts / "help-centre-search.png"), full_page=True)

    # the result opens the article at its section
    link.click()
    expect(page).to_have_url(re.compile(rf"/help/{RETURNS}#{HOW_LONG}$"))
    expect(page.locator(f"section#{HOW_LONG}")).to_be_in_viewport()

    # nothing found: said so, the rest of the page is still there
    page.goto("/help?q=quantum+entanglement+xylophone")
    expect(page.locator("section#results")).to_contain_text("No article matches your question")
    expect(page.locator("section#returns-refunds")).to_be_visible()


def test_the_pages_in_chinese(page: Page) -> None:
    page.goto("/help?locale=zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("main h1")).to_have_text("帮助中心")
    expect(page.locator("section#returns-refunds h3")).to_have_text("退货与退款")
    # links inside the help centre keep the language; the switch goes back to English
    article = page.locator("section#returns-refunds").get_by_role("link").first
    expect(article).to_have_attribute("href", f"/help/{RETURNS}?locale=zh-CN")
    expect(page.locator("a.help-lang")).to_have_attribute("href", "/help?locale=en")
    article.click()
    expect(page.get_by_role("navigation", name="导航路径")).to_contain_text("退货与退款")
    expect(page.get_by_role("heading", name="这篇文章对您有帮助吗？")).to_be_visible()
    expect(page.get_by_role("button", name="有帮助", exact=True)).to_be_visible()


def test_article_table_of_contents_and_a_vote_without_javascript(
    context: BrowserContext, new_context
) -> None:
    # a short window, so that the last section starts below the fold
    page = context.new_page()
    page.set_viewport_size({"width": 1000, "height": 420})
    page.goto(f"/help/{RETURNS}")
    expect(page).to_have_title(re.compile(r"^Returns and refunds · Help centre · "))
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs.get_by_role("link", name="Help centre")).to_have_attribute("href", "/help")
    expect(crumbs.get_by_role("link", name="Returns and refunds")).to_have_attribute(
        "href", "/help#returns-refunds"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Returns and refunds")
    expect(page.locator(".help-summary")).to_have_text(ARTICLES[RETURNS]["summary"])

    toc = page.get_by_role("navigation", name="On this page")
    links = toc.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", f"#{HOW_LONG}")
    expect(links.nth(1)).to_have_attribute("href", f"#{REFUND}")
    for anchor in (HOW_LONG, REFUND):  # each section keeps its anchor as its id, with an <h2>
        expect(page.locator(f"section#{anchor} > h2")).to_have_count(1)
    refund = page.locator(f"section#{REFUND}")
    expect(refund).not_to_be_in_viewport()
    links.nth(1).click()
    expect(page).to_have_url(re.compile(rf"/help/{RETURNS}#{REFUND}$"))
    expect(refund).to_be_in_viewport()
    expect(refund.get_by_role("heading", level=2)).to_have_text("When will I get my refund?")
    assert page.evaluate("() => window.scrollY") > 0
    page.close()

    # "Was this article helpful?" is a plain form: it works with JavaScript off
    staff = new_context()
    login(staff.request)
    before = helpful_votes(staff.request, RETURNS)
    plain = new_context(java_script_enabled=False).new_page()
    plain.goto(f"/help/{RETURNS}")
    feedback = plain.locator("section#article_feedback")
    expect(feedback.get_by_role("heading")).to_have_text("Was this article helpful?")
    feedback.get_by_role("button", name="Yes", exact=True).click()
    expect(plain).to_have_url(re.compile(rf"/help/{RETURNS}\?voted=1&locale=en#article_feedback$"))
    expect(feedback).to_contain_text("Thank you for your feedback.")
    expect(feedback.get_by_role("button")).to_have_count(0)
    after = helpful_votes(staff.request, RETURNS)
    assert after == {"yes": before["yes"] + 1, "no": before["no"]}


def test_markup_in_an_article_never_runs(new_context) -> None:
    """Title, heading, summary and body are markup probes: they stay text on every page and
    in the widget's search results. The CSP is bypassed, so only escaping keeps them inert;
    the end of the test proves that an injected handler would indeed have run."""
    page = new_context(bypass_csp=True).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/help")
    expect(page.locator("section#orders").get_by_text(PROBE_TITLE, exact=True)).to_be_visible()
    expect(page.locator("section#popular").get_by_text(PROBE_TITLE, exact=True)).to_be_visible()
    assert_nothing_ran(page)

    page.goto("/help?q=" + PROBE_QUERY.replace(" ", "+"))
    result = page.locator("section#results li.help-result").first
    expect(result.get_by_role("link")).to_have_text(f"{PROBE_TITLE} › {PROBE_HEADING}")
    expect(result.locator(".help-quote")).to_contain_text("<script>window.__x=1</script>")
    assert_nothing_ran(page)

    result.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROBE_TITLE)
    expect(page).to_have_title(re.compile("^" + re.escape(PROBE_TITLE)))
    section = page.locator("section.help-section", has=page.get_by_role("heading", level=2))
    expect(section.locator("h2")).to_have_text(PROBE_HEADING)
    expect(section).to_contain_text("<script>window.__x=1</script>")
    expect(section).to_contain_text('<img src=x onerror="window.__x=1">')
    expect(section).to_contain_text("[a](javascript:window.__x=1)")
    expect(page.get_by_role("navigation", name="On this page")).to_contain_text(PROBE_HEADING)
    assert_nothing_ran(page)

    page.goto("/")
    widget_search(page, PROBE_QUERY)
    found = page.locator(".hd-help-result").first
    expect(found.locator(".hd-help-link")).to_contain_text(f"{PROBE_TITLE} › {PROBE_HEADING}")
    expect(found.locator(".hd-help-quote")).to_contain_text("<script>window.__x=1</script>")
    assert_nothing_ran(page)

    # the detector works: with the CSP bypassed an injected handler does run
    page.evaluate(
        """() => { const d = document.createElement('div');
                   d.innerHTML = '<img src="x" onerror="window.__x=2">';
                   document.body.appendChild(d); }"""
    )
    page.wait_for_function("() => window.__x === 2")
    assert errors == []


def test_widget_search_finds_an_article_before_any_chat(
    page: Page, context: BrowserContext, hub: Hub
) -> None:
    sessions: list[str] = []
    page.on(
        "request",
        lambda r: sessions.append(r.url) if r.method == "POST" and "/sessions" in r.url else None,
    )
    page.goto("/")
    with page.expect_response(lambda r: "/api/chat/help/search?q=" in r.url) as answered:
        widget_search(page, QUESTION)
    assert answered.value.ok
    assert answered.value.request.headers.get("authorization") is None  # no token needed
    panel = page.locator(".hd-panel")
    expect(panel.locator(".hd-help-status")).to_have_text(re.compile(r"^\d+ articles? found$"))
    first = panel.locator(".hd-help-result").first
    link = first.locator("a.hd-help-link")
    expect(link).to_contain_text(f"Returns and refunds › {HOW_LONG_HEADING}")
    expect(link).to_have_attribute("href", f"{hub.url}/help/{RETURNS}#{HOW_LONG}")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(first.locator(".hd-help-quote")).to_contain_text(f"You have {RETURN_DAYS} days")
    # the conversation, the privacy notice and the composer wait underneath
    expect(panel.get_by_role("button", name="Accept and start chatting")).to_be_hidden()
    expect(panel.get_by_label("Your message")).to_be_hidden()

    # the result opens the article's section in a new tab
    with context.expect_page() as opened:
        link.click()
    article = opened.value
    article.wait_for_load_state()
    assert article.url.endswith(f"/help/{RETURNS}#{HOW_LONG}")
    expect(article.locator(f"section#{HOW_LONG}")).to_be_in_viewport()
    article.close()

    # Escape closes the search (the focus goes back to its button), a second one the panel
    panel.get_by_role("searchbox", name="Search the help centre").focus()
    page.keyboard.press("Escape")
    expect(panel.locator(".hd-help")).to_be_hidden()
    expect(panel).to_be_visible()
    toggle = panel.get_by_role("button", name="Search help")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    # the consent flow is intact: nothing was started, the notice is asked as before
    assert sessions == []
    assert stored_session(page) is None
    page.get_by_role("button", name="Chat with us").click()
    accept_privacy(page)
    expect(page.get_by_label("Your message")).to_be_focused()


def test_an_answer_from_the_help_centre_links_to_its_source(page: Page, hub: Hub) -> None:
    open_chat(page)
    hello_and_apology(page)
    session = stored_session(page)["session_id"]
    source = {
        "key": f"{RETURNS}#{HOW_LONG}",
        "title": "Returns and refunds",
        "heading": HOW_LONG_HEADING,
        "url": f"/help/{RETURNS}#{HOW_LONG}",
        "score": 0.81,
    }
    quoted = seed_bot_message(
        hub, session, "From our help centre: You have 30 days.", {"source": source}
    )
    # sources that must not become links: another site, a script, a protocol-relative URL
    bad = [
        seed_bot_message(hub, session, "Bad source.", {"source": {**source, "url": url}})
        for url in (
            "https://evil.example/help/returns",
            "javascript:window.__x=1",
            "//evil.example/help",
        )
    ]
    page.reload()
    answer = page.locator(f'li.hd-msg[data-id="{quoted}"]')
    expect(answer.locator(".hd-bubble")).to_have_text("From our help centre: You have 30 days.")
    link = answer.locator(".hd-source a")
    expect(link).to_contain_text(f"Returns and refunds › {HOW_LONG_HEADING}")
    expect(link).to_have_attribute("href", f"{hub.url}/help/{RETURNS}#{HOW_LONG}")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    for message_id in bad:
        shown = page.locator(f'li.hd-msg[data-id="{message_id}"]')
        expect(shown.locator(".hd-bubble")).to_have_text("Bad source.")
        expect(shown.locator(".hd-source")).to_have_count(0)
    assert page.evaluate(JS_INJECTED) == []
