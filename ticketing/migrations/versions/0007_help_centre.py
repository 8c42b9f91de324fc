"""help centre: articles, their versions, the search index of published sections

``kb_articles`` (the head of each article and its live version), ``kb_article_versions``
(every saved version), ``kb_sections`` (the published sections, searched and quoted, with
their MiniLM vectors). Full-text search: an FTS5 table over the sections on SQLite (porter
stemming, BM25 by ``bm25()``), a generated ``tsvector`` column with a GIN index on PostgreSQL
(BM25 computed in SQL from its lexemes, ``ticketing/knowledge/search.py``). The customer
turns the bot answered from an article record the section (``messages.kb_section``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE kb_sections_fts USING fts5("
    "title, heading, body, content='kb_sections', content_rowid='id', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER kb_sections_fts_insert AFTER INSERT ON kb_sections BEGIN "
    "INSERT INTO kb_sections_fts(rowid, title, heading, body) "
    "VALUES (new.id, new.title, new.heading, new.body); END",
    "CREATE TRIGGER kb_sections_fts_delete AFTER DELETE ON kb_sections BEGIN "
    "INSERT INTO kb_sections_fts(kb_sections_fts, rowid, title, heading, body) "
    "VALUES ('delete', old.id, old.title, old.heading, old.body); END",
]
POSTGRES_FTS = [
    "ALTER TABLE kb_sections ADD COLUMN kb_fts_tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', title || ' ' || heading), 'A') || "
    "setweight(to_tsvector('english', body), 'D')) STORED",
    "CREATE INDEX ix_kb_fts_tsv ON kb_sections USING gin (kb_fts_tsv)",
]


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("locale", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published_version", sa.Integer()),
        sa.Column("published_at", sa.DateTime()),
        sa.Column("views", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("helpful_yes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("helpful_no", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.UniqueConstraint("slug", name="uq_kb_articles_slug"),
    )
    op.create_index("ix_kb_articles_status_category", "kb_articles", ["status", "category"])
    op.create_table(
        "kb_article_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("kb_articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.String(300), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("author", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("article_id", "version", name="uq_kb_article_versions_article_id"),
    )
    op.create_table(
        "kb_sections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("kb_articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("anchor", sa.String(100), nullable=False),
        sa.Column("heading", sa.String(300), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary()),
        sa.Column("vector_model", sa.String(60)),
        sa.Column("embedded_at", sa.DateTime()),
    )
    op.create_index("ix_kb_sections_article_id", "kb_sections", ["article_id"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("kb_section", sa.String(200)))
        batch.add_column(sa.Column("kb_score", sa.Float()))
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_FTS, "postgresql": POSTGRES_FTS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("kb_sections_fts_insert", "kb_sections_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS kb_sections_fts")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("kb_score")
        batch.drop_column("kb_section")
    op.drop_table("kb_sections")
    op.drop_table("kb_article_versions")
    op.drop_table("kb_articles")
