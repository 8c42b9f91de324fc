"""Serving a WebSocket: bus events out, client frames in, until either side stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web


async def pump(
    ws: web.WebSocketResponse,
    queue: asyncio.Queue,
    read: Awaitable[None],
    skip: Callable[[dict[str, Any]], bool] | None = None,
) -> None:
    """Send every event from ``queue`` to ``ws`` while ``read`` (the client side) runs."""
    reader = asyncio.ensure_future(read)
    getter: asyncio.Future | None = None
    try:
        while not reader.done():
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                event = getter.result()
                if skip is None or not skip(event):
                    await ws.send_json(event)
    except ConnectionResetError:
        pass
    finally:
        for task in (getter, reader):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
