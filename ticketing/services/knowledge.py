"""The help centre: editing articles (supervisors and admins), reading and searching them
(everyone; only published articles for visitors), and the assistant's answers from them.

Publishing writes the article's sections into the search index in the same transaction, so
the lexical search finds them at once; their MiniLM vectors are computed after the commit by
the Rasa server (it owns the encoder) and stored with the sections. When Rasa cannot be
reached the sections stay without vectors and every background round (``embed_pending``)
tries again: the assistant uses a new article within a round of the worker, no retraining.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from ..context import Hub
from ..errors import BadRequest, invalid, not_found
from ..knowledge import answers, articles, search
from ..knowledge.markdown import MarkdownError, render_article
from ..knowledge.models import CATEGORIES, Article, ArticleSection
from ..models import User, utcnow
from ..rasa_client import RasaUnavailable
from ..reports import knowledge as knowledge_report
from ..reports.periods import Period
from .uow import unit_of_work

log = logging.getLogger(__name__)

EMBED_MODEL = "all-MiniLM-L6-v2"
MAX_QUESTION_CHARS = 500
EMBED_ROUND = 256  # sections embedded per background round
EMBED_RETRY = timedelta(minutes=1)  # after the encoder failed


def _facts(hub: Hub) -> dict[str, Any]:
    return hub.shop.facts


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("bad_request", "the body must be a JSON object")
    return body


# ---------------------------------------------------------------------------- editing


async def list_articles(
    hub: Hub, status: str | None = None, category: str | None = None
) -> dict[str, Any]:
    if status is not None and status not in ("draft", "published", "archived"):
        raise invalid("status must be draft, published or archived", field="status")
    if category is not None and category not in CATEGORIES:
        raise invalid("unknown category", field="category")
    async with hub.sessions() as db:
        rows = await articles.listing(db, status, category)
        return {
            "articles": [articles.article_json(a, body=False) for a in rows],
            "categories": list(CATEGORIES),
        }


async def get_article(hub: Hub, article_id: int) -> dict[str, Any]:
    async with hub.sessions() as db:
        return articles.article_json(await articles.get(db, article_id))


async def create(hub: Hub, user: User, body: Any) -> dict[str, Any]:
    body = _object(body)
    slug = articles.check_slug(body.get("slug"))
    locale = articles.check_locale(body.get("locale"))
    fields = articles.validate(body, _facts(hub))
    async with unit_of_work(hub) as uow:
        article = await articles.create(uow.db, slug, fields, user, locale)
    return articles.article_json(article)


async def update_article(hub: Hub, user: User, article_id: int, body: Any) -> dict[str, Any]:
    body = _object(body)
    fields = articles.validate(body, _facts(hub), partial=True)
    if not fields:
        raise invalid("nothing to change: send title, category, tags, summary or body")
    note = body.get("note") if isinstance(body.get("note"), str) else ""
    async with unit_of_work(hub) as uow:
        article = await articles.get(uow.db, article_id, lock=True)
        await articles.update(uow.db, article, fields, body.get("version"), user, note)
    return articles.article_json(article)


async def publish(hub: Hub, user: User, article_id: int, body: Any) -> dict[str, Any]:
    body = _object(body)
    async with unit_of_work(hub) as uow:
        article = await articles.get(uow.db, article_id, lock=True)
        try:
            await articles.publish(uow.db, article, _facts(hub), body.get("version"))
        except MarkdownError as exc:  # shop.yml changed under a saved draft
            raise invalid(str(exc), field="body") from exc
        article.updated_by = user.id
    await embed_pending(hub, article.id)
    return articles.article_json(article)


async def archive(hub: Hub, user: User, article_id: int, body: Any) -> dict[str, Any]:
    body = _object(body)
    async with unit_of_work(hub) as uow:
        article = await articles.get(uow.db, article_id, lock=True)
        await articles.archive(uow.db, article, body.get("version"))
        article.updated_by = user.id
    return articles.article_json(article)


async def restore(hub: Hub, user: User, article_id: int, version: int, body: Any) -> dict[str, Any]:
    body = _object(body)
    async with unit_of_work(hub) as uow:
        article = await articles.get(uow.db, article_id, lock=True)
        await articles.restore(uow.db, article, version, body.get("version"), user)
    return articles.article_json(article)


async def history(hub: Hub, article_id: int) -> dict[str, Any]:
    async with hub.sessions() as db:
        article = await articles.get(db, article_id)
        rows = await articles.history(db, article)
        return {
            "article": articles.article_json(article, body=False),
            "versions": [articles.version_json(row) for row in rows],
        }


async def version(hub: Hub, article_id: int, number: int) -> dict[str, Any]:
    """One version's fields and what changed from the version before it."""
    async with hub.sessions() as db:
        row = await articles.version_row(db, article_id, number)
        before = None
        if number > 1:
            before = await articles.version_row(db, article_id, number - 1)
        return {**articles.version_json(row, body=True), "diff": articles.diff(before, row)}


def preview(hub: Hub, body: Any) -> dict[str, Any]:
    """The sections a Markdown body renders to, facts filled in (the editor's preview)."""
    text = _object(body).get("body")
    if not isinstance(text, str):
        raise invalid("body must be Markdown text", field="body")
    articles.validate({"title": "preview", "category": CATEGORIES[0], "body": text}, _facts(hub))
    return {"sections": render_article(text, _facts(hub))}


# ---------------------------------------------------------------------------- vectors


async def embed_pending(hub: Hub, article_id: int | None = None) -> int:
    """Ask the encoder for the vectors of sections that have none; how many were stored.

    Safe on several hub instances at once (a vector is only written where none is)."""
    retry_at = hub.next_runs.get("kb_embed")
    if article_id is None and retry_at is not None and utcnow() < retry_at:
        return 0  # the encoder failed a moment ago: the worker tries again after a pause
    async with hub.sessions() as db:
        query = select(ArticleSection).where(ArticleSection.vector.is_(None))
        if article_id is not None:
            query = query.where(ArticleSection.article_id == article_id)
        rows = list(
            (await db.execute(query.order_by(ArticleSection.id).limit(EMBED_ROUND))).scalars()
        )
        if not rows:
            return 0
        texts = [t for row in rows for t in search.section_texts(row.title, row.heading, row.body)]
        ids = [row.id for row in rows]
    try:
        vectors = await hub.rasa.embed(texts)
    except RasaUnavailable as exc:
        hub.next_runs["kb_embed"] = utcnow() + EMBED_RETRY
        log.warning("help centre: %d sections wait for their vectors (%s)", len(ids), exc)
        return 0
    now = utcnow()
    async with hub.sessions() as db, db.begin():
        for index, section_id in enumerate(ids):
            blob = search.to_blob(vectors[2 * index], vectors[2 * index + 1])
            await db.execute(
                update(ArticleSection)
                .where(ArticleSection.id == section_id, ArticleSection.vector.is_(None))
                .values(vector=blob, vector_model=EMBED_MODEL, embedded_at=now)
            )
    return len(ids)


async def refresh_index(hub: Hub) -> int:
    """Re-index every published article whose indexed sections no longer say what today's
    shop facts make them say (shop.yml changed); how many were re-indexed."""
    async with hub.sessions() as db:
        ids = [article.id for article in await articles.listing(db, status="published")]
    changed = 0
    for article_id in ids:
        async with unit_of_work(hub) as uow:
            article = await articles.get(uow.db, article_id, lock=True)
            try:
                if article.status != "published" or await articles.index_is_current(
                    uow.db, article, _facts(hub)
                ):
                    continue
                await articles.index(uow.db, article, _facts(hub))
            except MarkdownError as exc:
                log.error("help centre: %s cannot be indexed: %s", article.slug, exc)
                continue
            changed += 1
    if changed:
        log.info("help centre: %d articles re-indexed with the current shop facts", changed)
    return changed


async def _question_vector(hub: Hub, question: str) -> list[float] | None:
    try:
        return (await hub.rasa.embed([question], timeout=3.0))[0]
    except RasaUnavailable as exc:
        log.warning("help centre: searching without the question's vector (%s)", exc)
        return None


def _question(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid("q (the question) is required", field="q")
    if len(value) > MAX_QUESTION_CHARS:
        raise invalid(f"q must be at most {MAX_QUESTION_CHARS} characters", field="q")
    return value.strip()


# ---------------------------------------------------------------------------- reading


async def search_articles(hub: Hub, query: Any, limit: int = 8) -> dict[str, Any]:
    """The help centre's search box (visitors, the widget, agents' ``/kb``): the best
    sections, one per article, with the words that answer."""
    question = _question(query)
    vector = await _question_vector(hub, question)
    async with hub.sessions() as db:
        hits = await search.search(db, question, vector, limit=limit * 3)
    seen, results = set(), []
    for hit in hits:
        if hit.article_id in seen:
            continue
        seen.add(hit.article_id)
        results.append(answers.passage_json(hit, question))
    return {"query": question, "semantic": vector is not None, "results": results[:limit]}


async def answer(hub: Hub, body: Any) -> dict[str, Any]:
    """The assistant's question (``{"text", "strict"?}``): answer, choose or none, with the
    passages (internal API, called by the action server)."""
    body = _object(body)
    question = _question(body.get("text"))
    strict = bool(body.get("strict"))
    vector = await _question_vector(hub, question)
    async with hub.sessions() as db:
        hits = await search.search(db, question, vector, limit=5)
    return answers.decide(hits, strict=strict).json(question)


async def passage(hub: Hub, key: Any, question: Any = None) -> dict[str, Any]:
    """One published section by ``slug#anchor`` (a "Did you mean" button the customer chose)."""
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise invalid("key must be slug#anchor", field="key")
    slug, _, anchor = key.strip().partition("#")
    async with hub.sessions() as db:
        row = (
            await db.execute(
                select(ArticleSection, Article.category)
                .join(Article, Article.id == ArticleSection.article_id)
                .where(
                    Article.slug == slug,
                    Article.status == "published",
                    ArticleSection.anchor == anchor,
                )
            )
        ).first()
    if row is None:
        raise not_found("help-centre section")
    section, category = row
    hit = search.Hit.of(section, slug, category, score=1.0)
    return answers.passage_json(hit, question if isinstance(question, str) else section.heading)


async def help_home(hub: Hub) -> dict[str, Any]:
    """The help centre's front page: published articles by category, the most read ones."""
    async with hub.sessions() as db:
        rows = await articles.listing(db, status="published")
    by_category: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    for article in rows:
        by_category.setdefault(article.category, []).append(articles.article_json(article, False))
    popular = sorted(rows, key=lambda a: (-a.views, a.title))[:6]
    return {
        "categories": [
            {"key": key, "articles": items} for key, items in by_category.items() if items
        ],
        "popular": [articles.article_json(a, body=False) for a in popular],
    }


async def help_article(hub: Hub, slug: str, count_view: bool = True) -> dict[str, Any]:
    """A published article as customers read it (its live version, today's facts)."""
    async with hub.sessions() as db, db.begin():
        article = await articles.by_slug(db, slug)
        if article is None or article.status != "published" or not article.published_version:
            raise not_found("article")
        live = await articles.version_row(db, article.id, article.published_version)
        if count_view:
            await db.execute(
                update(Article).where(Article.id == article.id).values(views=Article.views + 1)
            )
        data = articles.article_json(article, body=False)
        data.update(title=live.title, summary=live.summary, category=live.category)
    try:
        data["sections"] = render_article(live.body, _facts(hub))
    except MarkdownError as exc:  # shop.yml lost a fact an article uses
        log.error("help centre: article %s cannot be shown: %s", slug, exc)
        raise not_found("article") from exc
    return data


async def article_feedback(hub: Hub, slug: str, body: Any) -> dict[str, Any]:
    """ "Was this article helpful?" (``{"helpful": true|false}``)."""
    helpful = _object(body).get("helpful")
    if not isinstance(helpful, bool):
        raise invalid("helpful must be true or false", field="helpful")
    column = Article.helpful_yes if helpful else Article.helpful_no
    async with unit_of_work(hub) as uow:
        result = await uow.db.execute(
            update(Article)
            .where(Article.slug == slug, Article.status == "published")
            .values({column.key: column + 1})
        )
        if result.rowcount != 1:
            raise not_found("article")
    return {"recorded": True}


async def report(hub: Hub, period: Period, limit: int = 50) -> dict[str, Any]:
    """Questions without a good article, and how each article does (supervisors)."""
    async with hub.sessions() as db:
        data = await knowledge_report.report(db, period, limit)
    data["period"] = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    return data
