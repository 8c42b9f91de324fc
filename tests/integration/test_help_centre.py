"""The help centre on both databases: editing, versions, roles, bad input, lexical search,
the public pages. (Semantic ranking needs the encoder, which the Rasa server owns: it is
checked end to end, tests/e2e/test_help_centre_e2e.py. Rasa is down here, so searches here
are lexical, and the assistant's look-up answers nothing.)"""

from __future__ import annotations

import pytest

from tests.kb_fixture import ARTICLES, LEXICAL

pytestmark = pytest.mark.asyncio


async def publish_all(editor, articles=ARTICLES) -> dict[str, dict]:
    made = {}
    for slug, fields in articles.items():
        article = await editor.post("/api/kb/articles", {"slug": slug, **fields}, expect=201)
        made[slug] = await editor.post(
            f"/api/kb/articles/{article['id']}/publish", {"version": article["version"]}
        )
    return made


@pytest.fixture
async def editor(make_staff):
    return await make_staff("editor@example.com", role="supervisor")


async def test_lexical_search_finds_the_section_that_answers(client, editor):
    await publish_all(editor)
    for question, expected in LEXICAL:
        response = await client.get("/api/chat/help/search", params={"q": question})
        assert response.status == 200
        body = await response.json()
        assert body["semantic"] is False  # Rasa (the encoder) is down in these tests
        keys = [result["key"] for result in body["results"]]
        assert keys and keys[0] == expected, (question, keys)
        top = body["results"][0]
        assert top["url"] == "/help/" + expected
        assert top["quote"]


async def test_facts_come_from_shop_yml_and_quotes_are_the_articles_words(client, editor, hub):
    await publish_all(editor)
    found = await (
        await client.get("/api/chat/help/search", params={"q": "how long to return an item"})
    ).json()
    days = hub.shop.facts["returns"]["days"]
    assert f"You have {days} days from delivery to return an item." in found["results"][0]["quote"]
    page = await client.get("/help/returns-and-refunds")
    html = await page.text()
    assert page.status == 200
    assert f"{days} days" in html and "{{" not in html
    assert 'id="how-long-do-i-have-to-return-an-item"' in html


async def test_the_assistant_answers_nothing_without_the_encoder(client, editor):
    await publish_all(editor)
    response = await client.post(
        "/internal/kb/answer",
        json={"text": "how long do I have to return an item"},
        headers=internal_headers(client),
    )
    assert response.status == 200
    body = await response.json()
    assert body["decision"] == "none"
    assert "no similarity" in body["reason"]


def internal_headers(client) -> dict:
    from ticketing.web.keys import HUB

    return {"Authorization": f"Bearer {client.app[HUB].settings.internal_token}"}


async def test_editing_versions_history_and_restore(editor):
    fields = ARTICLES["gift-cards"]
    article = await editor.post("/api/kb/articles", {"slug": "gift-cards", **fields}, expect=201)
    assert (article["status"], article["version"]) == ("draft", 1)
    changed = await editor.patch(
        f"/api/kb/articles/{article['id']}",
        {"version": 1, "title": "Gift cards and vouchers", "note": "wider title"},
    )
    assert changed["version"] == 2 and changed["title"] == "Gift cards and vouchers"
    # a change based on version 1 after version 2 exists: 409 with the newer version
    stale = await editor.patch(
        f"/api/kb/articles/{article['id']}", {"version": 1, "title": "Mine"}, expect=409
    )
    assert stale["error"]["code"] == "edit_conflict"
    assert stale["error"]["current"]["version"] == 2
    assert stale["error"]["current"]["title"] == "Gift cards and vouchers"
    history = await editor.get(f"/api/kb/articles/{article['id']}/versions")
    assert [v["version"] for v in history["versions"]] == [2, 1]
    assert history["versions"][0]["note"] == "wider title"
    assert history["versions"][0]["author"] == "editor@example.com"
    v2 = await editor.get(f"/api/kb/articles/{article['id']}/versions/2")
    assert v2["diff"]["fields"] == ["title"]
    restored = await editor.post(
        f"/api/kb/articles/{article['id']}/versions/1/restore", {"version": 2}
    )
    assert restored["version"] == 3 and restored["title"] == "Gift cards"
    history = await editor.get(f"/api/kb/articles/{article['id']}/versions")
    assert history["versions"][0]["action"] == "restored"


async def test_publishing_edits_and_archiving_change_what_visitors_see(client, editor):
    made = await publish_all(editor, {"gift-cards": ARTICLES["gift-cards"]})
    article = made["gift-cards"]
    assert (await client.get("/help/gift-cards")).status == 200
    # an edit of a published article waits for its own publication
    body = ARTICLES["gift-cards"]["body"] + "\n## Lost gift cards\nWe cannot replace a lost card.\n"
    edited = await editor.patch(f"/api/kb/articles/{article['id']}", {"version": 1, "body": body})
    assert edited["unpublished_changes"] is True
    assert "Lost gift cards" not in await (await client.get("/help/gift-cards")).text()
    await editor.post(f"/api/kb/articles/{article['id']}/publish", {"version": 2})
    assert "Lost gift cards" in await (await client.get("/help/gift-cards")).text()
    found = await (await client.get("/api/chat/help/search", params={"q": "lost gift card"})).json()
    assert found["results"][0]["key"] == "gift-cards#lost-gift-cards"
    await editor.post(f"/api/kb/articles/{article['id']}/archive", {"version": 2})
    assert (await client.get("/help/gift-cards")).status == 404
    assert (await client.get("/api/chat/help/articles/gift-cards")).status == 404
    found = await (await client.get("/api/chat/help/search", params={"q": "lost gift card"})).json()
    assert found["results"] == []


async def test_visitors_see_only_published_articles(client, editor):
    fields = ARTICLES["gift-cards"]
    await editor.post("/api/kb/articles", {"slug": "gift-cards", **fields}, expect=201)
    assert (await client.get("/help/gift-cards")).status == 404
    assert (await client.get("/api/chat/help/articles/gift-cards")).status == 404
    found = await (await client.get("/api/chat/help/search", params={"q": "gift card"})).json()
    assert found["results"] == []
    home = await (await client.get("/help")).text()
    assert "Gift cards" not in home
    # the staff API needs a signed-in user
    assert (await client.get("/api/kb/articles")).status == 401


async def test_agents_read_but_cannot_edit(client, editor, make_staff):
    made = await publish_all(editor, {"gift-cards": ARTICLES["gift-cards"]})
    agent = await make_staff("agent@example.com", role="agent")
    listing = await agent.get("/api/kb/articles")
    assert [a["slug"] for a in listing["articles"]] == ["gift-cards"]
    found = await agent.get("/api/kb/search?q=gift+card")
    assert found["results"][0]["slug"] == "gift-cards"
    article_id = made["gift-cards"]["id"]
    fields = {"slug": "new-one", **ARTICLES["gift-cards"]}
    await agent.post("/api/kb/articles", fields, expect=403)
    await agent.patch(f"/api/kb/articles/{article_id}", {"version": 1, "title": "x"}, expect=403)
    await agent.post(f"/api/kb/articles/{article_id}/publish", {"version": 1}, expect=403)
    await agent.post(f"/api/kb/articles/{article_id}/archive", {"version": 1}, expect=403)
    await agent.post(
        f"/api/kb/articles/{article_id}/versions/1/restore", {"version": 1}, expect=403
    )
    unchanged = await agent.get(f"/api/kb/articles/{article_id}")
    assert (unchanged["version"], unchanged["status"]) == (1, "published")


@pytest.mark.parametrize(
    "change, code, field",
    [
        ({"slug": "Not A Slug"}, 422, "slug"),
        ({"category": "weather"}, 422, "category"),
        ({"title": ""}, 422, "title"),
        ({"body": "## A\n{{ shop.no_such_fact }}"}, 422, "body"),
        ({"body": "## A\n{{ shop.returns.days "}, 422, "body"),
        ({"body": "x" * 100_001}, 422, "body"),
        ({"tags": "not a list"}, 422, "tags"),
    ],
)
async def test_bad_articles_are_refused_and_change_nothing(editor, change, code, field):
    body = {"slug": "gift-cards", **ARTICLES["gift-cards"], **change}
    response = await editor.post("/api/kb/articles", body, expect=code)
    assert response["error"]["field"] == field
    assert (await editor.get("/api/kb/articles"))["articles"] == []


async def test_a_huge_request_is_refused(client, editor):
    body = {"slug": "huge", **ARTICLES["gift-cards"], "body": "word " * 200_000}
    response = await client.post("/api/kb/articles", json=body, headers=editor.headers())
    assert response.status == 413
    assert (await editor.get("/api/kb/articles"))["articles"] == []


async def test_duplicate_slugs_are_refused(editor):
    body = {"slug": "gift-cards", **ARTICLES["gift-cards"]}
    await editor.post("/api/kb/articles", body, expect=201)
    response = await editor.post("/api/kb/articles", {**body, "title": "Other"}, expect=409)
    assert response["error"]["field"] == "slug"
    listing = await editor.get("/api/kb/articles")
    assert [a["title"] for a in listing["articles"]] == ["Gift cards"]


async def test_markup_in_articles_is_neutralised(client, editor):
    body = (
        "## Safe\n<script>alert('x')</script> <img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) "
        "[ok](https://shop.northwind.example/returns)\n"
    )
    fields = {**ARTICLES["gift-cards"], "body": body, "title": "<b>Bold</b> title"}
    await publish_all(editor, {"gift-cards": fields})
    for path in ("/help/gift-cards", "/help", "/help?q=safe"):
        html = await (await client.get(path)).text()
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        assert 'href="javascript:' not in html and 'href="data:text' not in html, path
        assert "<b>Bold</b>" not in html, path
    html = await (await client.get("/help/gift-cards")).text()
    assert "&lt;script&gt;" in html
    assert 'href="https://shop.northwind.example/returns"' in html
    api = await (await client.get("/api/chat/help/articles/gift-cards")).json()
    assert "<script>" not in api["sections"][0]["html"]


async def test_article_votes_and_views_are_counted(client, editor):
    await publish_all(editor, {"gift-cards": ARTICLES["gift-cards"]})
    await client.get("/help/gift-cards")
    response = await client.post(
        "/api/chat/help/articles/gift-cards/feedback", json={"helpful": True}
    )
    assert response.status == 200
    form = await client.post(
        "/help/gift-cards/feedback", data={"helpful": "no"}, allow_redirects=False
    )
    assert form.status == 303
    bad = await client.post("/api/chat/help/articles/gift-cards/feedback", json={"helpful": "y"})
    assert bad.status == 422
    missing = await client.post("/api/chat/help/articles/nope/feedback", json={"helpful": True})
    assert missing.status == 404
    listing = await editor.get("/api/kb/articles")
    article = listing["articles"][0]
    assert article["helpful"] == {"yes": 1, "no": 1}
    assert article["views"] == 1


async def test_search_needs_a_question(client):
    assert (await client.get("/api/chat/help/search")).status == 422
    long = await client.get("/api/chat/help/search", params={"q": "x" * 501})
    assert long.status == 422
    # words the index cannot match are no error, just no result
    odd = await client.get("/api/chat/help/search", params={"q": '"* OR NEAR( -- ;'})
    assert odd.status == 200 and (await odd.json())["results"] == []


async def test_a_changed_shop_fact_reaches_the_page_and_the_index(client, editor, hub):
    from dataclasses import replace as replaced

    from ticketing.services import background

    await publish_all(editor, {"gift-cards": ARTICLES["gift-cards"]})
    assert (await background.tick(hub)).reindexed == 0  # the index says what the facts say
    facts = hub.shop.facts
    changed = {**facts, "gift_cards": {**facts["gift_cards"], "valid_months": 36}}
    object.__setattr__(hub, "shop", replaced(hub.shop, facts=changed))
    html = await (await client.get("/help/gift-cards")).text()
    assert "valid for 36 months" in html  # the page is rendered with today's facts
    hub.next_runs.pop("kb_refresh", None)  # as after a restart
    assert (await background.tick(hub)).reindexed == 1
    found = await (
        await client.get("/api/chat/help/search", params={"q": "how long is a gift card valid"})
    ).json()
    assert "valid for 36 months" in found["results"][0]["quote"]


async def test_the_worker_waits_a_minute_after_the_encoder_failed(client, editor, hub):
    from datetime import timedelta

    from ticketing.models import utcnow
    from ticketing.services import knowledge

    await publish_all(editor, {"gift-cards": ARTICLES["gift-cards"]})  # Rasa is down here
    hub.next_runs.pop("kb_embed", None)
    assert await knowledge.embed_pending(hub) == 0  # tried, failed
    retry_at = hub.next_runs["kb_embed"]
    assert timedelta(seconds=50) < retry_at - utcnow() <= timedelta(minutes=1)
    hub.next_runs["kb_embed"] = utcnow() - timedelta(seconds=1)  # the pause is over
    assert await knowledge.embed_pending(hub) == 0
    assert hub.next_runs["kb_embed"] > retry_at  # it asked again, and waits again
