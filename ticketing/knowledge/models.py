"""The help centre's tables (migration 0007).

``kb_articles`` holds each article's head (its latest version, which may be an unpublished
draft) and which version is live; ``kb_article_versions`` every version ever saved (who, when,
what); ``kb_sections`` the search index: one row per section of each *published* article,
with its plain text and its MiniLM vector (computed by the process that owns the encoder, the
Rasa server; ``None`` until it has answered). Full-text search objects (an FTS5 table on
SQLite, a tsvector column on PostgreSQL) are created by the migration only.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)

from ..models import Base, UTCDateTime, utcnow

STATUSES = ("draft", "published", "archived")
CATEGORIES = (
    "delivery",
    "orders",
    "returns-refunds",
    "warranty-repairs",
    "product-care",
    "payments-invoices",
    "account-security",
    "privacy",
    "membership",
    "complaints-service",
)


class Article(Base):
    __tablename__ = "kb_articles"

    id = Column(Integer, primary_key=True)
    slug = Column(String(80), nullable=False, unique=True)
    locale = Column(String(10), nullable=False, default="en")
    status = Column(String(16), nullable=False, default="draft")
    # the head: the latest version's fields (an unpublished draft when version > published)
    version = Column(Integer, nullable=False, default=1)
    title = Column(String(200), nullable=False)
    category = Column(String(40), nullable=False)
    tags = Column(JSON, nullable=False, default=list)
    summary = Column(String(300), nullable=False, default="")
    body = Column(Text, nullable=False)
    published_version = Column(Integer)
    published_at = Column(UTCDateTime)
    views = Column(Integer, nullable=False, default=0, server_default="0")
    helpful_yes = Column(Integer, nullable=False, default=0, server_default="0")
    helpful_no = Column(Integer, nullable=False, default=0, server_default="0")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_by = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_kb_articles_status_category", "status", "category"),)


class ArticleVersion(Base):
    """One saved version: the article's fields as they were, who saved it and why."""

    __tablename__ = "kb_article_versions"

    id = Column(Integer, primary_key=True)
    article_id = Column(Integer, ForeignKey("kb_articles.id", ondelete="CASCADE"), nullable=False)
    version = Column(Integer, nullable=False)
    action = Column(String(16), nullable=False)  # created | edited | restored
    title = Column(String(200), nullable=False)
    category = Column(String(40), nullable=False)
    tags = Column(JSON, nullable=False, default=list)
    summary = Column(String(300), nullable=False, default="")
    body = Column(Text, nullable=False)
    note = Column(String(300), nullable=False, default="")
    author_id = Column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    author = Column(String(320), nullable=False)  # the editor's e-mail, or "seed" / "cli"
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("article_id", "version"),)


class ArticleSection(Base):
    """One section of a published article, as searched and quoted."""

    __tablename__ = "kb_sections"

    id = Column(Integer, primary_key=True)
    article_id = Column(Integer, ForeignKey("kb_articles.id", ondelete="CASCADE"), nullable=False)
    version = Column(Integer, nullable=False)
    position = Column(Integer, nullable=False)
    anchor = Column(String(100), nullable=False, default="")
    heading = Column(String(300), nullable=False, default="")
    title = Column(String(200), nullable=False)
    body = Column(Text, nullable=False)
    length = Column(Integer, nullable=False, default=0)  # words, for BM25's length norm
    vector = Column(LargeBinary)  # float32 × 384, unit length
    vector_model = Column(String(60))
    embedded_at = Column(UTCDateTime)

    __table_args__ = (Index("ix_kb_sections_article_id", "article_id"),)
