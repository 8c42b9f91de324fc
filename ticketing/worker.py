"""The hub's background loop: SLA scan and outbox delivery every ``WORKER_INTERVAL`` seconds.

Every hub instance runs one; both steps are safe to run on several instances at once (the SLA
scan locks ticket rows with ``SKIP LOCKED``, deliveries are claimed one by one). Register it
with ``app.cleanup_ctx.append(worker_ctx)`` after the context that builds the ``Hub``.
A ``WORKER_INTERVAL`` of 0 (or less) turns the loop off; :func:`tick` then runs one round by
hand (tests, a cron-style deployment).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from . import desk, tickets
from .bus import QUEUE_CHANNEL, SUPERVISOR_CHANNEL, ticket_channel
from .context import Hub
from .delivery import deliver_due
from .web.keys import HUB

log = logging.getLogger(__name__)

# Where the loop's task lives on the application.
WORKER_TASK = web.AppKey("worker_task", asyncio.Task)


@dataclass
class TickResult:
    """What one round did: the SLA changes it flagged and the outbox items it settled."""

    sla_changes: list[dict[str, Any]] = field(default_factory=list)
    delivered: int = 0
    assigned: int = 0


async def scan_sla(hub: Hub, now: datetime | None = None) -> list[dict[str, Any]]:
    """Flag SLA warnings and breaches (``tickets.sla_scan``), then tell the live consoles."""
    async with hub.sessions() as db, db.begin():
        changes = await tickets.sla_scan(db, hub.shop, now)
    for change in changes:
        number = change["number"]
        await hub.bus.publish(SUPERVISOR_CHANNEL, {"type": "sla", "change": change})
        await hub.bus.publish(ticket_channel(number), {"type": "ticket_changed", "ticket": number})
    if any("priority" in change for change in changes):
        # a breach raised a priority, which reorders the queue
        await hub.bus.publish(QUEUE_CHANNEL, {"type": "queue_changed"})
    return changes


async def tick(hub: Hub, now: datetime | None = None) -> TickResult:
    """One round: the SLA scan, then the due deliveries. Errors are logged, never raised.

    ``now`` (the current time by default) is passed to both steps, so a test can move the
    clock forward instead of waiting.
    """
    result = TickResult()
    try:
        result.sla_changes = await scan_sla(hub, now)
    except Exception:
        log.exception("the SLA scan failed")
    if hub.settings.auto_assign:
        try:
            result.assigned = await desk.auto_assign_waiting(hub)
        except Exception:
            log.exception("auto-assignment failed")
    try:
        result.delivered = await deliver_due(hub, now)
    except Exception:
        log.exception("outbox delivery failed")
    return result


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
