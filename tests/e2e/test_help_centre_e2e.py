"""The help centre with the real encoder (the Rasa server owns MiniLM) and the real assistant.

- Ranking: lexical, semantic and combined, each on SQLite and PostgreSQL, with vectors from
  the running Rasa server's ``/webhooks/hub/embed``.
- Through the chat API: a question only an article answers gets that article's sentences and
  its link; publishing an article makes the bot answer a question it declined a moment before
  (no retraining), archiving it stops that; an off-topic question is declined.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests import kb_fixture
from tests.kb_fixture import LEXICAL, OFF_TOPIC, PARAPHRASED
from ticketing import db as hub_db
from ticketing.knowledge import answers, search
from ticketing.knowledge.models import ArticleSection
from ticketing.rasa_client import RasaClient
from ticketing.shop import load_shop

from .conftest import StaffSession, query

pytestmark = pytest.mark.asyncio

SUPERVISOR = ("sam@northwind.example", "northwind-demo")


@pytest.fixture(params=["sqlite", "postgresql"])
def kb_database(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/kb.db"
    else:
        url = request.getfixturevalue("postgres_url")
    with ThreadPoolExecutor(1) as pool:  # Alembic runs its own event loop
        pool.submit(hub_db.upgrade, url).result()
    return url


async def test_lexical_semantic_and_combined_ranking(running, kb_database):
    facts = load_shop(None).facts
    engine = hub_db.create_engine(kb_database)
    sessions = hub_db.session_factory(engine)
    rasa = RasaClient(running.rasa_url, 20, running.rasa_token)
    try:
        async with sessions() as db, db.begin():
            await kb_fixture.seed(db, facts)
        async with sessions() as db, db.begin():
            sections = list((await db.execute(select(ArticleSection))).scalars())
            texts = [t for s in sections for t in search.section_texts(s.title, s.heading, s.body)]
            vectors = await rasa.embed(texts)
            for index, section in enumerate(sections):
                section.vector = search.to_blob(vectors[2 * index], vectors[2 * index + 1])
        questions = [q for q, _ in LEXICAL + PARAPHRASED] + OFF_TOPIC
        question_vectors = dict(zip(questions, await rasa.embed(questions), strict=True))

        async def top(question: str, mode: str):
            async with sessions() as db:
                hits = await search.search(db, question, question_vectors[question], mode=mode)
            return hits[0] if hits else None

        for question, expected in LEXICAL:
            assert (await top(question, "lexical")).key == expected, question
        for question, expected in LEXICAL + PARAPHRASED:
            assert (await top(question, "semantic")).key == expected, question
            assert (await top(question, "combined")).key == expected, question
        # lexical alone misses what shares no word with the article
        misses = [
            q for q, key in PARAPHRASED if getattr(await top(q, "lexical"), "key", None) != key
        ]
        assert misses, "the paraphrased questions should need the semantic ranking"
        for question in OFF_TOPIC:
            best = await top(question, "semantic")
            assert best is None or best.semantic < answers.ANSWER_AT, (question, best.semantic)
    finally:
        await rasa.close()
        await engine.dispose()


ENGRAVING = {
    "title": "Engraving",
    "category": "product-care",
    "tags": ["engraving", "personalisation"],
    "summary": "Initials engraved on wooden boards.",
    "body": (
        "## Can you engrave my chopping board?\n"
        "Yes: we engrave up to three initials on any wooden chopping board or serving tray, "
        "free of charge. Choose 'Add engraving' on the product page before you order.\n"
    ),
}
ENGRAVING_QUESTION = "do you engrave initials on wooden chopping boards"


async def _answer_sources(customer, text: str) -> list[dict]:
    replies = await customer.say(text)
    return [m["custom"]["source"] for m in replies[1:] if (m.get("custom") or {}).get("source")]


async def test_the_bot_answers_from_a_new_article_and_stops_when_it_is_archived(
    running, customer_factory
):
    editor = StaffSession(running.hub_url, *SUPERVISOR)
    first = await customer_factory()
    assert await _answer_sources(first, ENGRAVING_QUESTION) == []  # declined: nothing says so
    slug = f"engraving-{uuid.uuid4().hex[:6]}"
    article = editor.call("POST", "/api/kb/articles", {"slug": slug, **ENGRAVING})
    editor.call("POST", f"/api/kb/articles/{article['id']}/publish", {"version": 1})

    second = await customer_factory()
    replies = await second.say(ENGRAVING_QUESTION)
    [answer] = [m for m in replies[1:] if (m.get("custom") or {}).get("source")]
    assert answer["text"].startswith("From our help centre: ")
    assert "we engrave up to three initials on any wooden chopping board" in answer["text"]
    source = answer["custom"]["source"]
    assert source["url"] == f"/help/{slug}#can-you-engrave-my-chopping-board"
    assert source["title"] == "Engraving"
    stored = query(
        running,
        "SELECT decision, kb_section, faq_topic FROM messages WHERE text = ? ORDER BY id DESC",
        ENGRAVING_QUESTION,
    )
    assert stored[0] == ("answered", f"{slug}#can-you-engrave-my-chopping-board", None)
    assert stored[1][0] == "declined" and stored[1][1] is None

    editor.call("POST", f"/api/kb/articles/{article['id']}/archive", {"version": 1})
    third = await customer_factory()
    assert await _answer_sources(third, ENGRAVING_QUESTION) == []


async def test_the_worker_embeds_the_imported_help_centre(running):
    """demo-data imported the demo shop's articles without vectors; the hub's worker asks the
    Rasa server for them in its rounds (WORKER_INTERVAL, 5 s; ~500 texts take a while on a
    loaded machine)."""
    for _ in range(180):
        waiting, total = query(running, "SELECT sum(vector IS NULL), count(*) FROM kb_sections")[0]
        if total and not waiting:
            break
        await asyncio.sleep(1)
    assert total >= 150 and waiting == 0
    [(size,)] = query(running, "SELECT min(length(vector)) FROM kb_sections")
    assert size == 2 * 384 * 4  # two float32 vectors per section


async def test_an_off_topic_question_never_gets_an_article(customer):
    for text in ("will it rain in london tomorrow", "give me a recipe for lasagne"):
        assert await _answer_sources(customer, text) == []


async def test_the_encoder_endpoint_wants_the_token_and_sane_input(running):
    import aiohttp

    url = f"{running.rasa_url}/webhooks/hub/embed"
    auth = {"Authorization": f"Bearer {running.rasa_token}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"texts": ["hello"]}) as response:
            assert response.status == 401
        for body in ({"texts": "hello"}, {"texts": []}, {"texts": ["x"] * 65}, {"texts": [3]},
                     {"texts": ["x" * 4001]}):  # fmt: skip
            async with http.post(url, json=body, headers=auth) as response:
                assert response.status == 400, body
        async with http.post(url, json={"texts": ["a parcel", "a package"]}, headers=auth) as r:
            vectors = (await r.json())["vectors"]
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert abs(sum(x * x for x in vectors[0]) - 1) < 1e-3  # unit length
    assert sum(a * b for a, b in zip(*vectors, strict=True)) > 0.6  # near in meaning
