"""The help-centre editor (the supervisor console's "Help centre" tab) and the agent's ``/kb``.

This module starts a hub of its own (as test_agent_console.py does: the staff accounts are
created with the CLI, which needs the hub's DATABASE_URL). Rasa is down, so the help
centre's search is lexical only and published sections wait for their vectors: neither
matters to the editor.

Articles the tests need as a starting point are made through the staff API (the same one the
page uses); everything the tests are about is done in the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from playwright.sync_api import APIRequestContext, Browser, BrowserContext, Page, Route, expect

from .support import REPO_ROOT, OwnHub, PageOpener, staff_hub

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

PASSWORD = "correct horse battery"
SUPERVISOR = "sam@example.com"
AGENT = "dana@example.com"
RETURN_DAYS = yaml.safe_load((REPO_ROOT / "shop.yml").read_text(encoding="utf-8"))["returns"][
    "days"
]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[OwnHub]:
    """A hub of its own (SQLite, Rasa down) with a supervisor and an agent."""
    users = [(SUPERVISOR, "Sam", "supervisor"), (AGENT, "Dana", "agent")]
    directory = tmp_path_factory.mktemp("kb-hub")
    with staff_hub(directory, artifacts / "browser-kb-hub.log", users, PASSWORD) as running:
        yield running


@pytest.fixture
def new_page(browser: Browser, hub: OwnHub) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in a fresh browser context; fails the test on JavaScript errors."""
    pages = PageOpener(browser, hub.url)
    yield pages.open
    pages.close()


# ------------------------------------------------------------------------------------ helpers


def login(context: BrowserContext, email: str) -> str:
    """Signs in through the staff API (the cookie stays in the context); the CSRF token."""
    response = context.request.post("/api/auth/login", data={"email": email, "password": PASSWORD})
    assert response.ok, response.text()
    return response.json()["csrf_token"]


class Editor:
    """A supervisor's staff API, for the articles a test starts from and what it checks."""

    def __init__(self, request: APIRequestContext, csrf: str) -> None:
        self.request = request
        self.headers = {"X-CSRF-Token": csrf}

    def create(self, slug: str, **fields) -> dict:
        body = {
            "slug": slug,
            "title": fields.pop("title", "Returning a lamp"),
            "category": fields.pop("category", "returns-refunds"),
            "tags": fields.pop("tags", ["lamp"]),
            "summary": fields.pop("summary", "Sending a lamp back."),
            "body": fields.pop("body", "## How do I return a lamp?\nPack it well and ask us.\n"),
        }
        response = self.request.post("/api/kb/articles", data=body, headers=self.headers)
        assert response.status == 201, response.text()
        return response.json()

    def patch(self, article: dict, **fields) -> dict:
        response = self.request.patch(
            f"/api/kb/articles/{article['id']}",
            data={"version": article["version"], **fields},
            headers=self.headers,
        )
        assert response.ok, response.text()
        return response.json()

    def publish(self, article: dict) -> dict:
        response = self.request.post(
            f"/api/kb/articles/{article['id']}/publish",
            data={"version": article["version"]},
            headers=self.headers,
        )
        assert response.ok, response.text()
        return response.json()

    def get(self, article_id: int, path: str = "") -> dict:
        response = self.request.get(f"/api/kb/articles/{article_id}{path}")
        assert response.ok, response.text()
        return response.json()


def supervisor(new_page, hash_: str = "help") -> tuple[Page, Editor]:
    """A signed-in supervisor's console at ``#hash_``, and the same session's API."""
    page = new_page()
    editor = Editor(page.request, login(page.context, SUPERVISOR))
    page.goto(f"/supervisor#{hash_}")
    expect(page.get_by_role("tab", name="Help centre")).to_have_attribute("aria-selected", "true")
    return page, editor


def editor_box(page: Page):
    return page.locator("#kb-editor")


def field(page: Page, name: str):
    """An input of the editor, by its label."""
    return editor_box(page).get_by_label(name)


def article_row(page: Page, slug: str):
    return page.locator(f"#kb-rows tr[data-slug='{slug}']")


# -------------------------------------------------------------------------------------- tests


def test_a_supervisor_writes_previews_saves_and_publishes_an_article(
    new_page, hub: OwnHub, artifacts: Path
) -> None:
    page = new_page()
    page.goto("/supervisor")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(SUPERVISOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/supervisor"))
    expect(page.locator("#kpis .kpi").first).to_be_visible()  # the console is wired up

    # The tab is one of the tablist's, between "Improve" and "Actions" for the arrow keys.
    page.get_by_role("tab", name="Actions").click()
    expect(page.get_by_role("tab", name="Actions")).to_have_attribute("aria-selected", "true")
    page.get_by_role("tab", name="Actions").press("ArrowLeft")
    tab = page.get_by_role("tab", name="Help centre")
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(tab).to_be_focused()
    tab.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Improve")).to_be_focused()
    page.get_by_role("tab", name="Improve").press("ArrowRight")
    expect(tab).to_be_focused()
    expect(page).to_have_url(re.compile(r"#help$"))
    expect(page.locator("#panel-help")).to_be_visible()
    expect(page.locator("#kb-count")).to_have_attribute("data-count", re.compile(r"\d+"))

    page.get_by_role("button", name="New article").click()
    box = editor_box(page)
    expect(box).to_have_attribute("data-mode", "new")
    field(page, "Title *").fill("Returning a lamp you bought")
    expect(field(page, "Address (slug) *")).to_have_value("returning-a-lamp-you-bought")
    field(page, "Category *").select_option("returns-refunds")
    field(page, "Tags").fill("lamp, Return")
    field(page, "Summary").fill("How to send a lamp back.")
    body = field(page, "Text (Markdown) *")

    # A fact that does not exist: the preview says what is wrong, the draft is refused.
    body.fill(
        "Lamps can go back.\n\n## How long do I have?\nYou have {{ shop.returns.dayz }} days.\n"
    )
    status = page.locator("#kb-preview-status")
    expect(status).to_contain_text("This text cannot be published")
    expect(status).to_contain_text("dayz")
    expect(body).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#kb-error")).to_contain_text("Text (Markdown)")
    assert not any(
        a["slug"] == "returning-a-lamp-you-bought"
        for a in page.request.get("/api/kb/articles").json()["articles"]
    )

    # The right fact: the preview fills it in from shop.yml, section by section.
    body.fill(
        "Lamps can go back.\n\n## How long do I have?\n"
        "You have **{{ shop.returns.days }} days** from delivery.\n\n"
        "## What about the bulb?\nKeep the bulb <script>alert(1)</script> in its box.\n"
    )
    preview = page.locator("#kb-preview")
    expect(preview.locator("[data-anchor='how-long-do-i-have'] strong")).to_have_text(
        f"{RETURN_DAYS} days"
    )
    expect(preview.locator("h3.kb-preview-heading").first).to_contain_text("How long do I have?")
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text
    assert preview.locator("script").count() == 0
    expect(body).not_to_have_attribute("aria-invalid", "true")
    expect(status).to_be_hidden()
    expect(page.locator("#kb-preview-title")).to_have_text("Returning a lamp you bought")

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#toast")).to_have_text(
        "“Returning a lamp you bought” was saved as a draft."
    )
    expect(box).to_have_attribute("data-mode", "edit")
    expect(box).to_have_attribute("data-version", "1")
    expect(page.locator("#kb-editor-badges")).to_have_text("Draft")
    row = article_row(page, "returning-a-lamp-you-bought")
    expect(row).to_have_class(re.compile(r"is-active"))
    expect(row.locator(".kb-status")).to_have_text("Draft")
    expect(page).to_have_url(re.compile(r"#kb=\d+$"))
    article_id = int(page.url.rsplit("=", 1)[1])
    saved = page.request.get(f"/api/kb/articles/{article_id}").json()
    assert saved["tags"] == ["lamp", "return"]
    assert "{{ shop.returns.days }}" in saved["body"]  # stored as written, filled in when shown
    page.screenshot(path=str(artifacts / "kb-editor.png"), full_page=True)

    # Nothing is public yet; publishing makes it so.
    assert page.request.get("/help/returning-a-lamp-you-bought").status == 404
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#toast")).to_have_text("Version 1 is live on the help centre.")
    expect(page.locator("#kb-editor-badges")).to_have_text("Published")
    expect(row.locator(".kb-status")).to_have_text("Published")
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()  # nothing new to publish
    expect(page.locator("#kb-view")).to_have_attribute("href", "/help/returning-a-lamp-you-bought")

    reader = new_page()
    reader.goto("/help/returning-a-lamp-you-bought")
    expect(
        reader.get_by_role("heading", name="Returning a lamp you bought", level=1)
    ).to_be_visible()
    expect(reader.locator("#how-long-do-i-have")).to_contain_text(f"You have {RETURN_DAYS} days")
    reader.get_by_role("button", name="Yes").click()
    expect(reader.locator("#article_feedback")).to_contain_text("Thank you")

    # The list counts the view and the vote (read again when the filter changes).
    page.locator("#kb-filter-status").select_option("published")
    expect(row.locator(".kb-views")).to_have_text("2")  # the visit, and the page after the vote
    expect(row.locator(".kb-votes")).to_have_text("1 yes · 0 no")
    page.locator("#kb-filter-status").select_option("draft")
    expect(row).to_have_count(0)
    page.locator("#kb-filter-status").select_option("")

    # An edit of the published article is a new head: unpublished until published again.
    body.press("End")
    body.press_sequentially("Ask us for a box.")
    expect(page.locator("#kb-dirty")).to_contain_text("save, then publish")
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()  # save first
    field(page, "Note about this change").fill("the box")
    page.keyboard.press("Control+s")
    expect(page.locator("#toast")).to_have_text("Saved as version 2.")
    expect(row.locator(".kb-status--changes")).to_have_text("Unpublished changes")
    expect(page.locator("#kb-editor-meta")).to_contain_text("live: version 1")
    reader.reload()
    expect(reader.locator("main")).not_to_contain_text("Ask us for a box.")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#toast")).to_have_text("Version 2 is live on the help centre.")
    reader.reload()
    expect(reader.locator("main")).to_contain_text("Ask us for a box.")
    page.screenshot(path=str(artifacts / "kb-editor-published.png"), full_page=True)

    # Archived: off the help centre.
    page.get_by_role("button", name="Archive").click()
    expect(page.locator("#kb-editor-badges")).to_have_text("Archived")
    assert page.request.get("/help/returning-a-lamp-you-bought").status == 404


def test_a_stale_save_shows_the_conflict_and_overwrites_nothing(new_page, hub: OwnHub) -> None:
    page, api = supervisor(new_page)
    article = api.create("stale-lamp", title="Stale lamp")
    page.goto(f"/supervisor#kb={article['id']}")  # the address opens the article
    box = editor_box(page)
    expect(box).to_have_attribute("data-version", "1")
    title = field(page, "Title *")
    expect(title).to_have_value("Stale lamp")

    body = field(page, "Text (Markdown) *")
    body.press("End")
    body.press_sequentially("My words, typed in the page.")

    # A colleague saves first.
    newer = api.patch(article, title="Changed meanwhile", body="## Theirs\nTheir words.\n")
    assert newer["version"] == 2

    page.get_by_role("button", name="Save", exact=True).click()
    conflict = page.locator("#kb-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Someone else changed this article")
    expect(conflict).to_contain_text("Version 2")
    expect(conflict).to_contain_text("Changed meanwhile")
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_disabled()
    expect(body).to_have_value(re.compile("My words, typed in the page."))  # nothing lost

    stored = api.get(article["id"])
    assert stored["version"] == 2 and stored["title"] == "Changed meanwhile"
    assert "My words" not in stored["body"]
    assert len(api.get(article["id"], "/versions")["versions"]) == 2

    page.get_by_role("button", name="Load the newer version").click()
    expect(conflict).to_be_hidden()
    expect(box).to_have_attribute("data-version", "2")
    expect(title).to_have_value("Changed meanwhile")
    expect(body).to_have_value("## Theirs\nTheir words.\n")
    mine = page.locator("#kb-mine")
    expect(mine).to_be_visible()
    mine.locator("summary").click()
    expect(page.locator("#kb-mine-body")).to_have_value(re.compile("My words, typed in the page."))

    # Based on the version now loaded, the save goes through.
    body.press("End")
    body.press_sequentially("And mine again.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#toast")).to_have_text("Saved as version 3.")
    assert api.get(article["id"])["body"].endswith("And mine again.")


def test_history_shows_the_versions_and_a_restore_makes_a_new_one(
    new_page, hub: OwnHub, artifacts: Path
) -> None:
    page, api = supervisor(new_page)
    v1 = api.create("history-lamp", title="History lamp", body="## Care\nDust it weekly.\n")
    v2 = api.patch(v1, body="## Care\nDust it daily.\nOil the base.\n", note="more care")
    v3 = api.patch(v2, title="History lamp, renamed")
    page.goto(f"/supervisor#kb={v1['id']}")
    expect(editor_box(page)).to_have_attribute("data-version", "3")

    page.get_by_role("button", name="History", exact=True).click()
    items = page.locator("#kb-versions > li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("Version 3")
    expect(items.nth(0)).to_contain_text("latest")
    expect(items.nth(1)).to_contain_text("more care")
    expect(items.nth(2)).to_contain_text("created")
    expect(items.nth(2)).to_contain_text(SUPERVISOR)

    # Version 2's changes: the body's diff, its lines coloured by + and -.
    items.nth(1).get_by_role("button").click()
    detail = page.locator("#kb-version")
    expect(detail.locator(".diff-del")).to_have_text(["-Dust it weekly."])
    expect(detail.locator(".diff-add")).to_have_text(["+Dust it daily.", "+Oil the base."])
    page.locator("#kb-editor").screenshot(path=str(artifacts / "kb-editor-history.png"))
    colours = detail.locator(".diff-add").first.evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert colours == "rgb(227, 244, 234)"  # --ok-light
    # Version 3 changed the title only.
    items.nth(0).get_by_role("button").click()
    expect(detail).to_contain_text("Changed: title")
    expect(detail).to_contain_text("The text did not change")
    expect(detail.get_by_role("button", name="Restore this version")).to_have_count(0)  # the head

    items.nth(2).get_by_role("button").click()
    expect(detail).to_contain_text("Version 1: History lamp")
    detail.get_by_role("button", name="Restore this version").click()
    expect(page.locator("#toast")).to_have_text(
        "Version 1 was restored as version 4; publish it to make it live."
    )
    expect(editor_box(page)).to_have_attribute("data-version", "4")
    expect(field(page, "Title *")).to_have_value("History lamp")
    expect(field(page, "Text (Markdown) *")).to_have_value("## Care\nDust it weekly.\n")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text("restored")

    versions = api.get(v1["id"], "/versions")["versions"]
    assert [v["version"] for v in versions] == [4, 3, 2, 1]
    assert versions[0]["action"] == "restored" and versions[0]["title"] == "History lamp"
    assert api.get(v1["id"])["body"] == "## Care\nDust it weekly.\n"
    assert v3["version"] == 3


def test_a_new_article_opens_prefilled_from_the_address_and_the_module(
    new_page, hub: OwnHub
) -> None:
    """ "Create an article from this question": #kb-new?title=..&body=.. and openNewArticle()."""
    page, _ = supervisor(new_page)
    question = "Where is my parcel & when will it arrive?"
    body = "## Tracking\nEvery parcel gets a tracking link by e-mail.\n"
    page.goto("/supervisor#kb-new?" + urlencode({"title": question, "body": body}))
    expect(editor_box(page)).to_have_attribute("data-mode", "new")
    expect(field(page, "Title *")).to_have_value(question)
    expect(field(page, "Address (slug) *")).to_have_value("where-is-my-parcel-when-will-it-arrive")
    expect(field(page, "Text (Markdown) *")).to_have_value(body)
    expect(page.locator("#kb-preview [data-anchor='tracking']")).to_contain_text("tracking link")
    expect(page.get_by_role("button", name="Save draft")).to_be_enabled()

    # Another module's call does not throw away what is open and unsaved ...
    opened = page.evaluate(
        """() => import("/static/supervisor/kb.js").then(
            (kb) => kb.openNewArticle({title: "Another question", body: "Another body"}))"""
    )
    assert opened is False
    expect(page.locator("#toast")).to_have_text(
        "Save or discard your changes to this article first."
    )
    expect(field(page, "Title *")).to_have_value(question)

    # ... and opens the editor once it is saved (or discarded).
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#kb-placeholder")).to_be_visible()
    opened = page.evaluate(
        """() => import("/static/supervisor/kb.js").then(
            (kb) => kb.openNewArticle({title: "Can I pay by invoice?", body: "Yes."}))"""
    )
    assert opened is True
    expect(field(page, "Title *")).to_have_value("Can I pay by invoice?")
    expect(field(page, "Text (Markdown) *")).to_have_value("Yes.")


def test_an_agent_gets_no_edit_buttons(new_page, hub: OwnHub) -> None:
    # Agents are not served the supervisor console at all (console_pages.py) ...
    agent = new_page()
    login(agent.context, AGENT)
    response = agent.goto("/supervisor#help")
    assert response is not None and response.status == 403
    expect(agent.get_by_role("heading", name="Supervisors only")).to_be_visible()
    assert agent.locator("#panel-help, #kb-new, #kb-save").count() == 0
    # ... and the hub refuses their writes, while they may read (GET /api/kb/articles).
    assert agent.request.get("/api/kb/articles").ok
    refused = agent.request.post("/api/kb/articles", data={"slug": "x", "title": "x"})
    assert refused.status == 403

    # The tab itself follows the role GET /api/auth/me answers: told "agent", it is read-only.
    page = new_page()
    api = Editor(page.request, login(page.context, SUPERVISOR))
    article = api.create("read-only-lamp", title="Read-only lamp")

    def as_agent(route: Route) -> None:
        answer = route.fetch()
        data = answer.json()
        data["user"]["role"] = "agent"
        route.fulfill(response=answer, body=json.dumps(data))

    page.route("**/api/auth/me", as_agent)
    page.goto(f"/supervisor#kb={article['id']}")
    expect(field(page, "Title *")).to_have_value("Read-only lamp")
    expect(page.locator("#kb-readonly")).to_be_visible()
    for name in ("New article", "Save", "Publish", "Archive", "Discard changes"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(field(page, "Title *")).to_have_attribute("readonly", "")
    expect(field(page, "Text (Markdown) *")).to_have_attribute("readonly", "")
    expect(field(page, "Category *")).to_be_disabled()
    expect(page.locator("#kb-preview-box")).to_be_hidden()  # the preview is for editors
    page.get_by_role("button", name="History", exact=True).click()
    page.locator("#kb-versions > li").first.get_by_role("button").click()
    expect(page.locator("#kb-version")).to_contain_text("Version 1")
    expect(page.get_by_role("button", name="Restore this version")).to_have_count(0)


def test_kb_in_the_reply_box_inserts_the_link_to_the_section(new_page, hub: OwnHub) -> None:
    boss = new_page()
    api = Editor(boss.request, login(boss.context, SUPERVISOR))
    api.publish(
        api.create(
            "lamp-returns",
            title="Lamp returns",
            body=(
                "Lamps are fragile.\n\n## How do I pack a lamp for its return?\n"
                "Wrap the lampshade in paper and the base in bubble wrap.\n"
            ),
        )
    )

    # A customer asks for a person (Rasa is down: the hub's own hand-off); Dana claims it.
    customer = new_page()
    chat = customer.request.post("/api/chat/sessions", data={"customer": {}})
    assert chat.status == 201, chat.text()
    chat = chat.json()
    said = customer.request.post(
        f"/api/chat/sessions/{chat['session_id']}/messages",
        data={"text": "Talk to a person", "payload": "/request_human"},
        headers={"Authorization": f"Bearer {chat['token']}"},
    )
    assert said.ok, said.text()
    number = re.search(r"T-\d{6}", said.json()["messages"][-1]["text"]).group(0)
    agent = new_page()
    csrf = login(agent.context, AGENT)
    claimed = agent.request.post(f"/api/tickets/{number}/claim", headers={"X-CSRF-Token": csrf})
    assert claimed.ok, claimed.text()

    agent.goto(f"/agent#{number}")
    reply = agent.locator("#reply-input")
    expect(reply).to_be_enabled()
    reply.click()

    # Too few words: a hint, and Enter sends nothing.
    reply.press_sequentially("Here you go: /kb l")
    suggest = agent.locator("#canned-suggest")
    expect(suggest).to_contain_text("Type a few words to search the help centre.")
    reply.press("Enter")
    expect(reply).to_have_value("Here you go: /kb l")

    reply.press_sequentially("amp pack")
    option = suggest.locator("[role='option'][id^='kb-option-']")
    expect(option.first).to_contain_text("Lamp returns")
    expect(option.first).to_contain_text("How do I pack a lamp for its return?")
    expect(suggest).to_have_attribute("aria-label", "Help-centre articles")
    reply.press("Enter")
    link = f"{hub.url}/help/lamp-returns#how-do-i-pack-a-lamp-for-its-return"
    expect(reply).to_have_value(
        f"Here you go: Lamp returns \u203a How do I pack a lamp for its return?: {link}"
    )
    expect(suggest).to_be_hidden()

    # Nothing was sent on the way; the reply goes out with the link when the agent sends it.
    detail = agent.request.get(f"/api/tickets/{number}").json()
    assert not any("/kb" in (m.get("text") or "") for m in detail.get("messages", []))
    reply.press("Enter")
    expect(agent.locator("#transcript .msg--agent", has_text=link)).to_be_visible()

    # No match: says so.
    reply.click()
    reply.press_sequentially("/kb zzzqqq")
    expect(suggest).to_contain_text("No help-centre article matches “zzzqqq”.")
    reply.press("Escape")
    expect(suggest).to_be_hidden()
