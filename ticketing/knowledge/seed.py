"""The help centre's starter articles: Markdown files with a YAML front matter.

``ticketing/knowledge/articles/*.md`` is the demo shop's help centre, written from shop.yml's
facts (as ``{{ shop... }}`` expressions, so a policy change updates them). ``python -m
ticketing kb import [DIR]`` (and ``demo-data``) loads a directory of such files: each new slug
becomes a published article; a slug that exists is left as the editors made it.

    ---
    title: Returns and refunds
    category: returns-refunds
    tags: [return, refund]
    summary: One sentence.
    ---
    Introduction.

    ## How long do I have to return something?
    ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import HelpdeskError
from . import articles

ARTICLES = Path(__file__).resolve().parent / "articles"


def read_file(path: Path) -> tuple[str, dict[str, Any]]:
    """``(slug, fields)`` of one article file; ValueError when its front matter is broken."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{path.name}: no front matter (a first line '---')")
    head, sep, body = text[4:].partition("\n---\n")
    if not sep:
        raise ValueError(f"{path.name}: the front matter is not closed by '---'")
    meta = yaml.safe_load(head) or {}
    if not isinstance(meta, dict):
        raise ValueError(f"{path.name}: the front matter is not a mapping")
    return path.stem, {**meta, "body": body.strip() + "\n"}


def read_directory(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    return [read_file(path) for path in sorted(directory.glob("*.md"))]


async def import_articles(
    db: AsyncSession, facts: dict[str, Any], directory: Path = ARTICLES, publish: bool = True
) -> dict[str, list[str]]:
    """Create (and publish) the articles of ``directory`` whose slug is new."""
    done: dict[str, list[str]] = {"created": [], "kept": []}
    for slug, meta in read_directory(directory):
        articles.check_slug(slug)
        if await articles.by_slug(db, slug) is not None:
            done["kept"].append(slug)
            continue
        try:
            fields = articles.validate(meta, facts)
        except HelpdeskError as exc:
            raise ValueError(f"{slug}.md: {exc.message}") from exc
        article = await articles.create(db, slug, fields, None, who="seed")
        if publish:
            await articles.publish(db, article, facts, article.version)
        done["created"].append(slug)
    return done
