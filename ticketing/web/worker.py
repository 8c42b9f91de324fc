"""The hub's background loop: runs ``services.background.tick`` every ``WORKER_INTERVAL`` s.

Register it with ``app.cleanup_ctx.append(worker_ctx)`` after the context that builds the
``Hub``. A ``WORKER_INTERVAL`` of 0 (or less) turns the loop off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from ..services.background import tick
from .keys import HUB

log = logging.getLogger(__name__)

# Where the loop's task lives on the application.
WORKER_TASK = web.AppKey("worker_task", asyncio.Task)


async def run_worker(app: web.Application) -> None:
    """Run :func:`tick` every ``settings.worker_interval`` seconds until cancelled."""
    hub = app[HUB]
    interval = hub.settings.worker_interval
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(interval)
        started = loop.time()
        result = await tick(hub)
        elapsed = loop.time() - started
        if result.sla_changes or result.delivered:
            log.debug(
                "worker round: %d SLA changes, %d deliveries in %.2f s",
                len(result.sla_changes),
                result.delivered,
                elapsed,
            )
        if elapsed > interval:
            log.warning("a worker round took %.1f s (interval %.1f s)", elapsed, interval)


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    """``cleanup_ctx`` entry: start the loop with the app, cancel it cleanly on shutdown."""
    interval = app[HUB].settings.worker_interval
    if interval <= 0:
        log.info("WORKER_INTERVAL is %s: the background worker is off", interval)
        yield
        return
    task = asyncio.create_task(run_worker(app), name="helpdesk-worker")
    app[WORKER_TASK] = task
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
