"""CSV downloads streamed in chunks (the cells guarded by ``reports.csv_export``)."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from typing import Any

from aiohttp import web

from ..reports.csv_export import encode_rows

CHUNK_ROWS = 200


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
