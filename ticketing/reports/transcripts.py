"""Transcripts for supervisors: the searchable, filterable list and one full transcript.

Full-text search runs on the database: PostgreSQL matches ``to_tsvector('english', text)``
(the expression of the GIN index from migration 0002) against ``plainto_tsquery``; SQLite
matches the FTS5 table ``messages_fts``, every word of the query quoted so that nothing the
user types is read as FTS5 syntax. Either way all words must occur in one message (stemmed:
"refunds" finds "refund"). A query that is exactly a session id or ticket number finds it too.

The code lives in three modules, re-exported here so callers keep using ``transcripts.X``:

- :mod:`.transcript_search`  the filters of a query string and the SQL that applies them
- :mod:`.transcript_list`    one page of the list, and every matching conversation as CSV rows
- :mod:`.transcript_detail`  one full transcript with its tickets, timelines and rating
"""

from __future__ import annotations

from .transcript_detail import conversation_detail
from .transcript_list import (
    CSV_HEADER,
    MAX_PER_PAGE,
    SNIPPET,
    iter_csv_rows,
    list_conversations,
)
from .transcript_search import (
    COLUMNS,
    ID_LIKE,
    MAX_QUERY,
    WORD,
    Filters,
    fts_query,
    parse_filters,
    text_match,
    where_clauses,
)

__all__ = [
    "COLUMNS",
    "CSV_HEADER",
    "ID_LIKE",
    "MAX_PER_PAGE",
    "MAX_QUERY",
    "SNIPPET",
    "WORD",
    "Filters",
    "conversation_detail",
    "fts_query",
    "iter_csv_rows",
    "list_conversations",
    "parse_filters",
    "text_match",
    "where_clauses",
]
