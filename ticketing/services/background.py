"""The background rounds: SLA scan, auto-assignment, outbox delivery, the vectors of newly
published help-centre sections (``tick``), and once a day the privacy retention run
(``services/privacy.py``).

Every hub instance runs them (``ticketing/web/worker.py`` schedules them every
``WORKER_INTERVAL`` seconds); each step is safe to run on several instances at once (the SLA
scan locks ticket rows with ``SKIP LOCKED``, deliveries are claimed one by one). Tests and a
cron-style deployment call :func:`tick` by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .. import tickets
from ..bus import QUEUE_CHANNEL, SUPERVISOR_CHANNEL, ticket_channel
from ..context import Hub
from ..models import utcnow
from . import desk, knowledge, privacy
from .delivery import deliver_due

log = logging.getLogger(__name__)

RETENTION_EVERY = timedelta(days=1)
# the help centre's index holds the shop's facts as they were when an article was indexed:
# on the first round (a restart after shop.yml changed) and daily, stale sections are redone
KB_REFRESH_EVERY = timedelta(days=1)


@dataclass
class TickResult:
    """What one round did: the SLA changes it flagged and the outbox items it settled."""

    sla_changes: list[dict[str, Any]] = field(default_factory=list)
    delivered: int = 0
    assigned: int = 0
    embedded: int = 0  # help-centre sections that got their vectors
    reindexed: int = 0  # published articles re-indexed with today's shop facts
    retention: dict[str, Any] | None = None  # what the day's retention run removed


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
    if hub.settings.retention_enabled:
        try:
            result.retention = await _daily_retention(hub, now)
        except Exception:
            log.exception("the retention run failed")
    try:
        result.delivered = await deliver_due(hub, now)
    except Exception:
        log.exception("outbox delivery failed")
    try:
        if _due(hub, "kb_refresh", now, KB_REFRESH_EVERY):
            result.reindexed = await knowledge.refresh_index(hub)
        result.embedded = await knowledge.embed_pending(hub)
    except Exception:
        log.exception("indexing help-centre sections failed")
    return result


def _due(hub: Hub, job: str, now: datetime | None, every: timedelta) -> bool:
    """Whether ``job`` runs in this round: the first round, then once every ``every``."""
    moment = now or utcnow()
    due = hub.next_runs.get(job)
    if due is not None and moment < due:
        return False
    hub.next_runs[job] = moment + every
    return True


async def _daily_retention(hub: Hub, now: datetime | None) -> dict[str, Any] | None:
    """The retention run on the first round, then once every ``RETENTION_EVERY``."""
    if not _due(hub, "retention", now, RETENTION_EVERY):
        return None
    return await privacy.run_retention(hub, now=now or utcnow())
