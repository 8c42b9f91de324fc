"""Help-centre articles: validation, versions, publishing into the search index.

Every function takes a database session and never commits (``ticketing/services/
knowledge.py`` owns the transactions). An article has a *head* (its latest version, the one
editors work on) and, once published, a *live* version (``published_version``): editing a
published article makes a new head that customers see only when it is published in turn.
Every save is a numbered version in ``kb_article_versions``; a save names the version it was
based on, and a save based on an older one is refused (409 with the newer version) instead of
overwriting a colleague's change. Restoring an old version saves it as a new head.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import BadRequest, Conflict, invalid, not_found
from ..models import User, utcnow
from ..serializers import iso
from .markdown import MAX_BODY_CHARS, MarkdownError, fill_facts, split_sections
from .models import CATEGORIES, Article, ArticleSection, ArticleVersion

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LOCALES = ("en", "zh-CN")
MAX_TAGS = 12
FIELDS = ("title", "category", "tags", "summary", "body")


def _text(body: dict, name: str, limit: int, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        qualifier = "1 to" if required else "at most"
        raise invalid(f"{name} must be a string of {qualifier} {limit} characters", field=name)
    return value.strip()


def validate(body: Any, facts: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """The article fields of a request ``body``, checked; ``Invalid`` names the first bad one.

    The body must fill in its shop facts and split into at most 40 sections, so that a draft
    can always be published."""
    if not isinstance(body, dict):
        raise BadRequest("bad_request", "the body must be a JSON object")
    fields: dict[str, Any] = {}
    for name, limit in (("title", 200), ("summary", 300)):
        if name in body or not partial:
            value = _text(body, name, limit, required=name == "title")
            fields[name] = value or ""
    if "body" in body or not partial:
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            raise invalid("body must be non-empty Markdown", field="body")
        if len(text) > MAX_BODY_CHARS:
            raise invalid(
                f"body is longer than {MAX_BODY_CHARS} characters",
                field="body",
                limit=MAX_BODY_CHARS,
            )
        try:
            split_sections(fill_facts(text, facts))
        except MarkdownError as exc:
            raise invalid(str(exc), field="body") from exc
        fields["body"] = text.replace("\r\n", "\n")
    if "category" in body or not partial:
        if body.get("category") not in CATEGORIES:
            raise invalid("category must be one of " + ", ".join(CATEGORIES), field="category")
        fields["category"] = body["category"]
    if "tags" in body or not partial:
        tags = body.get("tags", [])
        if (
            not isinstance(tags, list)
            or len(tags) > MAX_TAGS
            or not all(isinstance(t, str) and 0 < len(t.strip()) <= 40 for t in tags)
        ):
            raise invalid(f"tags must be a list of at most {MAX_TAGS} short words", field="tags")
        fields["tags"] = list(dict.fromkeys(t.strip().lower() for t in tags))
    return fields


def check_slug(value: Any) -> str:
    if not isinstance(value, str) or not SLUG.match(value) or len(value) > 80:
        raise invalid(
            "slug must be lower-case letters and digits joined by '-' (at most 80)", field="slug"
        )
    return value


def check_locale(value: Any) -> str:
    if value is None:
        return "en"
    if value not in LOCALES:
        raise invalid("locale must be one of " + ", ".join(LOCALES), field="locale")
    return value


def _author(user: User | None, fallback: str) -> tuple[int | None, str]:
    return (user.id, user.email) if user is not None else (None, fallback)


def _version_row(article: Article, action: str, user: User | None, note: str, who: str):
    author_id, author = _author(user, who)
    return ArticleVersion(
        article_id=article.id,
        version=article.version,
        action=action,
        note=note[:300],
        author_id=author_id,
        author=author,
        **{name: getattr(article, name) for name in FIELDS},
    )


async def by_slug(db: AsyncSession, slug: str) -> Article | None:
    return await db.scalar(select(Article).where(Article.slug == slug))


async def get(db: AsyncSession, article_id: int, lock: bool = False) -> Article:
    query = select(Article).where(Article.id == article_id)
    if lock:
        query = query.with_for_update()
    article = await db.scalar(query)
    if article is None:
        raise not_found("article")
    return article


async def create(
    db: AsyncSession,
    slug: str,
    fields: dict[str, Any],
    user: User | None,
    locale: str = "en",
    who: str = "cli",
) -> Article:
    """A new draft (version 1); 409 when the slug is taken."""
    if await by_slug(db, slug) is not None:
        raise Conflict("conflict", f"an article with the slug {slug!r} exists", field="slug")
    now = utcnow()
    article = Article(
        slug=slug,
        locale=locale,
        status="draft",
        version=1,
        created_at=now,
        updated_at=now,
        updated_by=user.id if user else None,
        **fields,
    )
    db.add(article)
    await db.flush()
    db.add(_version_row(article, "created", user, "", who))
    return article


def _check_version(article: Article, expected: Any) -> None:
    if not isinstance(expected, int) or isinstance(expected, bool):
        raise invalid("version (the version your change is based on) is required", field="version")
    if expected != article.version:
        raise Conflict(
            "edit_conflict",
            f"the article changed meanwhile: version {article.version} is newer than "
            f"version {expected}, which your change is based on",
            current=article_json(article),
        )


async def update(
    db: AsyncSession,
    article: Article,
    fields: dict[str, Any],
    expected_version: Any,
    user: User | None,
    note: str = "",
    action: str = "edited",
    who: str = "cli",
) -> Article:
    """A new head version with ``fields`` changed; 409 when ``expected_version`` is stale."""
    _check_version(article, expected_version)
    if not any(getattr(article, name) != value for name, value in fields.items()):
        return article  # nothing changed: no new version
    for name, value in fields.items():
        setattr(article, name, value)
    article.version += 1
    article.updated_at = utcnow()
    article.updated_by = user.id if user else None
    if article.status == "archived":
        article.status = "draft"
    db.add(_version_row(article, action, user, note, who))
    return article


async def restore(
    db: AsyncSession, article: Article, version: int, expected_version: Any, user: User | None
) -> Article:
    """Version ``version``'s fields saved as a new head (publish to make it live)."""
    old = await version_row(db, article.id, version)
    fields = {name: getattr(old, name) for name in FIELDS}
    note = f"restored version {version}"
    return await update(db, article, fields, expected_version, user, note, "restored")


async def version_row(db: AsyncSession, article_id: int, version: int) -> ArticleVersion:
    row = await db.scalar(
        select(ArticleVersion).where(
            ArticleVersion.article_id == article_id, ArticleVersion.version == version
        )
    )
    if row is None:
        raise not_found("article version")
    return row


async def publish(
    db: AsyncSession, article: Article, facts: dict[str, Any], expected_version: Any
) -> list[ArticleSection]:
    """Make the head live: its sections replace the article's in the search index (their
    vectors are computed after the commit). Returns the new sections."""
    _check_version(article, expected_version)
    article.status = "published"
    article.published_version = article.version
    article.published_at = utcnow()
    return await index(db, article, facts)


def _sections(live: ArticleVersion, facts: dict[str, Any]):
    return [s for s in split_sections(fill_facts(live.body, facts)) if s.text]


async def index_is_current(db: AsyncSession, article: Article, facts: dict[str, Any]) -> bool:
    """Whether the indexed sections are those of the live version with today's facts."""
    live = await version_row(db, article.id, article.published_version)
    stored = (
        await db.execute(
            select(
                ArticleSection.version,
                ArticleSection.anchor,
                ArticleSection.title,
                ArticleSection.body,
            )  # fmt: skip
            .where(ArticleSection.article_id == article.id)
            .order_by(ArticleSection.position)
        )
    ).all()
    expected = [(live.version, s.anchor, live.title, s.text) for s in _sections(live, facts)]
    return [tuple(row) for row in stored] == expected


async def index(db: AsyncSession, article: Article, facts: dict[str, Any]) -> list[ArticleSection]:
    """The search-index rows of ``article``'s live version, with today's shop facts."""
    await db.execute(delete(ArticleSection).where(ArticleSection.article_id == article.id))
    if article.status != "published" or article.published_version is None:
        return []
    live = await version_row(db, article.id, article.published_version)
    rows = []
    for section in _sections(live, facts):
        row = ArticleSection(
            article_id=article.id,
            version=live.version,
            position=section.position,
            anchor=section.anchor,
            heading=section.heading[:300],
            title=live.title,
            body=section.text,
            length=len(section.text.split()) + len((live.title + " " + section.heading).split()),
        )
        db.add(row)
        rows.append(row)
    await db.flush()
    return rows


async def archive(db: AsyncSession, article: Article, expected_version: Any) -> Article:
    """Off the help centre and out of the assistant's answers; the history stays."""
    _check_version(article, expected_version)
    article.status = "archived"
    article.updated_at = utcnow()
    await index(db, article, {})
    return article


async def history(db: AsyncSession, article: Article) -> list[ArticleVersion]:
    rows = await db.execute(
        select(ArticleVersion)
        .where(ArticleVersion.article_id == article.id)
        .order_by(ArticleVersion.version.desc())
    )
    return list(rows.scalars())


def diff(old: ArticleVersion | None, new: ArticleVersion) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: the fields, and a unified diff of the body."""
    before = {name: getattr(old, name) for name in FIELDS} if old else {}
    fields = [name for name in FIELDS if name != "body" and before.get(name) != getattr(new, name)]
    lines = difflib.unified_diff(
        (before.get("body") or "").splitlines(),
        new.body.splitlines(),
        fromfile=f"version {old.version}" if old else "empty",
        tofile=f"version {new.version}",
        lineterm="",
    )
    return {"fields": fields, "body": "\n".join(lines)}


async def listing(
    db: AsyncSession, status: str | None = None, category: str | None = None
) -> list[Article]:
    query = select(Article).order_by(Article.category, Article.title)
    if status:
        query = query.where(Article.status == status)
    if category:
        query = query.where(Article.category == category)
    return list((await db.execute(query)).scalars())


def article_json(article: Article, body: bool = True) -> dict[str, Any]:
    data = {
        "id": article.id,
        "slug": article.slug,
        "locale": article.locale,
        "status": article.status,
        "version": article.version,
        "published_version": article.published_version,
        "unpublished_changes": article.status == "published"
        and article.published_version != article.version,
        "title": article.title,
        "category": article.category,
        "tags": list(article.tags or []),
        "summary": article.summary,
        "url": f"/help/{article.slug}",
        "views": article.views,
        "helpful": {"yes": article.helpful_yes, "no": article.helpful_no},
        "updated_at": iso(article.updated_at),
        "published_at": iso(article.published_at),
    }
    if body:
        data["body"] = article.body
    return data


def version_json(row: ArticleVersion, body: bool = False) -> dict[str, Any]:
    data = {
        "version": row.version,
        "action": row.action,
        "note": row.note,
        "author": row.author,
        "created_at": iso(row.created_at),
        "title": row.title,
    }
    if body:
        data.update({name: getattr(row, name) for name in FIELDS})
    return data
