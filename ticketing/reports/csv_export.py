"""CSV downloads, streamed in chunks, with a guard against spreadsheet formula injection.

A text cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which
some spreadsheets skip before reading a formula) is prefixed with ``'`` so that a customer's
message such as ``=HYPERLINK(...)`` is shown as text, never evaluated. Numbers are written as
numbers (a negative change stays ``-0.5``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from aiohttp import web

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 200


def safe_cell(value: Any) -> Any:
    """The value as written to the CSV: text guarded, ``None`` empty, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def encode_rows(rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


async def stream_csv(
    request: web.Request,
    filename: str,
    header: Sequence[str],
    rows: AsyncIterable[Sequence[Any]] | Iterable[Sequence[Any]],
) -> web.StreamResponse:
    """Send ``header`` and ``rows`` as a CSV attachment, ``CHUNK_ROWS`` rows per write."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(encode_rows([header]))
    chunk: list[Sequence[Any]] = []
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                await response.write(encode_rows(chunk))
                chunk = []
    else:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                await response.write(encode_rows(chunk))
                chunk = []
    if chunk:
        await response.write(encode_rows(chunk))
    await response.write_eof()
    return response
