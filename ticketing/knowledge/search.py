"""Help-centre search: BM25 on the database's full-text index, reranked by MiniLM similarity.

Lexical: SQLite's FTS5 ranks with its ``bm25()`` (title and heading weigh more than the body);
on PostgreSQL the same Okapi BM25 (k1 = 1.2, b = 0.75, title/heading terms counted twice) is
computed in SQL from the generated ``tsvector`` column's lexemes. Both stem with Porter
("refunds" finds "refund") and match any of the question's words.

Semantic: the cosine of the question's MiniLM vector with each published section's vectors,
the mean of two: the section's text in context (title, heading, body) and its title and
heading alone (headings are phrased like questions; the mean ranked the development
questions better than either vector, or the better of the two: bench/README.md). The Rasa
server computes them: it owns the encoder. It finds "can I send it back" in a section about
returns that shares no word with it.

Combined: ``score = (1 - LEXICAL_WEIGHT) * cosine + LEXICAL_WEIGHT * bm25 / (bm25 + BM25_HALF)``
(BM25 saturates: a strong word match counts, but it cannot outvote meaning). Without
a question vector (the encoder unreachable) the ranking is lexical alone, and ``semantic`` is
``None`` on every hit: the assistant then answers nothing from it (``decide``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Article, ArticleSection

LEXICAL_WEIGHT = 0.2
BM25_HALF = 3.0  # the BM25 at which the lexical part is one half
CANDIDATES = 30
# common English words (a question's "how do I ..."): they match nearly every section
STOPWORDS = frozenset(
    """a about an and any are as at be been but by can could did do does doing for from get
    got had has have how i if in into is it its me my myself no not of on or our ours please
    should so some than that the their them then there these they this those to too was we
    were what when where which who why will with would you your yours hi hello thanks thank
    want need know tell""".split()
)
WORD = re.compile(r"[^\W_]+", re.UNICODE)

POSTGRES_BM25 = text(
    """
    WITH q AS (
        SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', :q))
    ), stats AS (
        SELECT count(*)::float8 AS n, greatest(avg(length), 1)::float8 AS avgdl
        FROM kb_sections
    ), hits AS (
        SELECT s.id, s.length, u.lexeme,
               (SELECT sum(CASE WHEN w = 'A' THEN 2 ELSE 1 END) FROM unnest(u.weights) w)::float8
                   AS tf
        FROM kb_sections s CROSS JOIN LATERAL unnest(s.kb_fts_tsv) u
        WHERE u.lexeme IN (SELECT lexeme FROM q)
    ), df AS (
        SELECT lexeme, count(DISTINCT id)::float8 AS df FROM hits GROUP BY lexeme
    )
    SELECT h.id, sum(
        ln(1 + (stats.n - df.df + 0.5) / (df.df + 0.5))
        * h.tf * 2.2 / (h.tf + 1.2 * (0.25 + 0.75 * h.length / stats.avgdl))
    ) AS score
    FROM hits h JOIN df ON df.lexeme = h.lexeme CROSS JOIN stats
    GROUP BY h.id ORDER BY score DESC LIMIT :k
    """
)
SQLITE_BM25 = text(
    "SELECT rowid, -bm25(kb_sections_fts, 3.0, 2.0, 1.0) AS score FROM kb_sections_fts "
    "WHERE kb_sections_fts MATCH :q ORDER BY bm25(kb_sections_fts, 3.0, 2.0, 1.0) LIMIT :k"
)


@dataclass
class Hit:
    section_id: int
    article_id: int
    slug: str
    anchor: str
    title: str
    heading: str
    body: str
    category: str
    lexical: float = 0.0  # BM25, 0 when no word matched
    semantic: float | None = None  # cosine, None without vectors
    score: float = 0.0

    @classmethod
    def of(cls, section: ArticleSection, slug: str, category: str, **scores: Any) -> Hit:
        return cls(
            section_id=section.id,
            article_id=section.article_id,
            slug=slug,
            anchor=section.anchor,
            title=section.title,
            heading=section.heading,
            body=section.body,
            category=category,
            **scores,
        )

    @property
    def key(self) -> str:
        return f"{self.slug}#{self.anchor}" if self.anchor else self.slug

    @property
    def url(self) -> str:
        return f"/help/{self.slug}" + (f"#{self.anchor}" if self.anchor else "")


def words(question: str) -> list[str]:
    """The question's searchable words: lower case, no stopwords, in order, once each."""
    seen: dict[str, None] = {}
    for word in WORD.findall(question.lower()):
        if word not in STOPWORDS and len(word) > 1 and len(word) <= 40:
            seen.setdefault(word, None)
    return list(seen)[:32]


async def lexical(db: AsyncSession, question: str, limit: int = CANDIDATES) -> dict[int, float]:
    """``{section id: BM25}`` of the best ``limit`` sections sharing a word with ``question``."""
    terms = words(question)
    if not terms:
        return {}
    if db.bind.dialect.name == "postgresql":
        rows = await db.execute(POSTGRES_BM25, {"q": " ".join(terms), "k": limit})
    else:
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        rows = await db.execute(SQLITE_BM25, {"q": match, "k": limit})
    return {int(row[0]): float(row[1]) for row in rows if row[1] is not None and row[1] > 0}


def as_vector(blob: bytes | None) -> np.ndarray | None:
    if not blob:
        return None
    return np.frombuffer(blob, dtype=np.float32)


def to_blob(*vectors: list[float] | np.ndarray) -> bytes:
    """Unit-length float32 vectors, one after the other (a section stores two: its text in
    context, and its title and heading, which are phrased like customers' questions)."""
    parts = []
    for vector in vectors:
        array = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(array))
        parts.append(array / norm if norm else array)
    return np.concatenate(parts).astype(np.float32).tobytes()


def section_texts(title: str, heading: str, body: str) -> tuple[str, str]:
    """What is embedded for a section: where it sits and what it says; where it sits alone."""
    head = title + (f": {heading}" if heading else "")
    return f"{head}. {body}", head


async def semantic(db: AsyncSession, vector: list[float] | np.ndarray) -> dict[int, float]:
    """``{section id: cosine}`` of every published section that has a vector."""
    rows = (
        await db.execute(
            select(ArticleSection.id, ArticleSection.vector).where(
                ArticleSection.vector.is_not(None)
            )
        )
    ).all()
    if not rows:
        return {}
    query = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(query))
    if norm == 0:
        return {}
    query = query / norm
    found = {}
    for section_id, blob in rows:  # the mean over a section's vectors
        vectors = np.frombuffer(blob, dtype=np.float32).reshape(-1, query.shape[0])
        found[int(section_id)] = float(np.mean(vectors @ query))
    return found


async def search(
    db: AsyncSession,
    question: str,
    vector: list[float] | np.ndarray | None = None,
    limit: int = 10,
    mode: str = "combined",
) -> list[Hit]:
    """The best ``limit`` published sections for ``question``, best first.

    ``mode``: ``lexical`` (BM25 only), ``semantic`` (cosine only; needs ``vector``) or
    ``combined``. One hit per section; an article can give several.
    """
    lexical_scores = await lexical(db, question) if mode != "semantic" else {}
    semantic_scores = await semantic(db, vector) if vector is not None and mode != "lexical" else {}
    if mode == "semantic":
        candidates = sorted(semantic_scores, key=semantic_scores.get, reverse=True)[:CANDIDATES]
    else:
        best_semantic = sorted(semantic_scores, key=semantic_scores.get, reverse=True)
        candidates = list(dict.fromkeys([*lexical_scores, *best_semantic[:CANDIDATES]]))
    if not candidates:
        return []
    rows = (
        await db.execute(
            select(ArticleSection, Article.slug, Article.category)
            .join(Article, Article.id == ArticleSection.article_id)
            .where(ArticleSection.id.in_(candidates), Article.status == "published")
        )
    ).all()
    hits = []
    for section, slug, category in rows:
        hit = Hit.of(
            section,
            slug,
            category,
            lexical=lexical_scores.get(section.id, 0.0),
            semantic=semantic_scores.get(section.id) if semantic_scores else None,
        )
        lexical_part = hit.lexical / (hit.lexical + BM25_HALF)
        if mode == "lexical" or not semantic_scores:
            hit.score = lexical_part
        elif mode == "semantic":
            hit.score = hit.semantic or 0.0
        else:  # a section not embedded yet counts as dissimilar
            hit.score = (1 - LEXICAL_WEIGHT) * (hit.semantic or 0.0) + LEXICAL_WEIGHT * lexical_part
        hits.append(hit)
    hits.sort(key=lambda h: (-h.score, h.section_id))
    return hits[:limit]
