"""The background rounds: SLA scan, auto-assignment and outbox delivery (``tick``).

Every hub instance runs them (``ticketing/web/worker.py`` schedules them every
``WORKER_INTERVAL`` seconds); each step is safe to run on several instances at once (the SLA
scan locks ticket rows with ``SKIP LOCKED``, deliveries are claimed one by one). Tests and a
cron-style deployment call :func:`tick` by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import tickets
from ..bus import QUEUE_CHANNEL, SUPERVISOR_CHANNEL, ticket_channel
from ..context import Hub
from . import desk
from .delivery import deliver_due

log = logging.getLogger(__name__)


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
