"""Serving a WebSocket: bus events out, client frames in, until either side stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSCloseCode, web

# what one socket may send: frames per window, and at most one typing signal per second
FRAMES_PER_WINDOW = 60
FRAME_WINDOW = 10.0
TYPING_EVERY = 1.0


class FrameBudget:
    """Rate limits of one client socket: a flood closes it, extra typing signals are dropped."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self._now = loop.time
        self._window_start = self._now()
        self._frames = 0
        self._last_typing = -TYPING_EVERY

    def frame(self) -> bool:
        """Count a frame; False once the socket sent more than it may."""
        now = self._now()
        if now - self._window_start >= FRAME_WINDOW:
            self._window_start, self._frames = now, 0
        self._frames += 1
        return self._frames <= FRAMES_PER_WINDOW

    def typing(self) -> bool:
        """Whether a typing signal is passed on (one per second at most)."""
        now = self._now()
        if now - self._last_typing < TYPING_EVERY:
            return False
        self._last_typing = now
        return True


async def close_flooded(ws: web.WebSocketResponse) -> None:
    await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many frames")


async def pump(
    ws: web.WebSocketResponse,
    queue: asyncio.Queue,
    read: Awaitable[None],
    skip: Callable[[dict[str, Any]], bool] | None = None,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Send every event from ``queue`` to ``ws`` while ``read`` (the client side) runs;
    ``transform`` rewrites each event first (the staff socket's masking)."""
    reader = asyncio.ensure_future(read)
    getter: asyncio.Future | None = None
    try:
        while not reader.done():
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                event = getter.result()
                if skip is None or not skip(event):
                    await ws.send_json(transform(event) if transform else event)
    except ConnectionResetError:
        pass
    finally:
        for task in (getter, reader):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
