"""SLA clocks: due times in the shop's business hours, pauses while pending, the scan.

Functions here take an ``AsyncSession`` inside the caller's transaction and never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import (
    PRIORITIES,
    Ticket,
    utcnow,
)
from ..serializers import iso
from ..shop import Shop
from ..sla import Pause, due_at, evaluate
from .queue import ACTIVE_STATUSES
from .timeline import add_event


def pauses_of(ticket: Ticket) -> list[Pause]:
    pauses = []
    for p in ticket.pauses or []:
        start = datetime.fromisoformat(p["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(p["end"].replace("Z", "+00:00")) if p.get("end") else None
        pauses.append(Pause(start=start, end=end))
    return pauses


def refresh_sla(shop: Shop, ticket: Ticket) -> None:
    """Recompute the due times of the ticket's running clocks (after any change)."""
    target = shop.sla.target(ticket.priority)
    pauses = pauses_of(ticket)
    cal = shop.calendar
    running = ticket.status in ACTIVE_STATUSES
    ticket.first_response_due_at = (
        due_at(cal, ticket.created_at, target.first_response, pauses)
        if running and ticket.first_response_at is None
        else None
    )
    ticket.next_response_due_at = (
        due_at(cal, ticket.awaiting_reply_since, target.next_response, pauses)
        if running and ticket.first_response_at is not None and ticket.awaiting_reply_since
        else None
    )
    ticket.resolution_due_at = (
        due_at(cal, ticket.created_at, target.resolution, pauses) if running else None
    )


def sla_json(shop: Shop, ticket: Ticket, now: datetime | None = None) -> dict[str, Any]:
    """State of each clock: target, due time, remaining business minutes, ok/warning/..."""
    now = now or utcnow()
    pauses = pauses_of(ticket)
    clocks: dict[str, Any] = {}
    specs = {
        "first_response": (ticket.created_at, ticket.first_response_at),
        "resolution": (ticket.created_at, ticket.resolved_at),
    }
    if ticket.first_response_at is not None and ticket.awaiting_reply_since is not None:
        specs["next_response"] = (ticket.awaiting_reply_since, None)
    for clock, (start, stopped) in specs.items():
        state = evaluate(
            shop.calendar,
            shop.sla,
            ticket.priority,
            clock,
            start,
            now,
            stopped_at=stopped,
            pauses=pauses,
        )
        clocks[clock] = {
            "state": state.state,
            "target_minutes": state.target_minutes,
            "elapsed_minutes": round(state.elapsed_minutes, 1),
            "remaining_minutes": round(state.remaining_minutes, 1),
            "due_at": iso(state.due_at),
        }
    return clocks


def pause_clocks(ticket: Ticket, now: datetime) -> None:
    ticket.pending_since = now
    ticket.pauses = [*(ticket.pauses or []), {"start": iso(now), "end": None}]


def resume_clocks(ticket: Ticket, now: datetime) -> None:
    ticket.pending_since = None
    pauses = list(ticket.pauses or [])
    if pauses and pauses[-1].get("end") is None:
        pauses[-1] = {**pauses[-1], "end": iso(now)}
    ticket.pauses = pauses


def on_customer_message(shop: Shop, ticket: Ticket, now: datetime) -> str | None:
    """A customer wrote while the ticket is active: restart clocks; the new status if any."""
    changed = None
    if ticket.status == "pending":
        resume_clocks(ticket, now)
        ticket.status = "open"
        changed = "open"
    if ticket.awaiting_reply_since is None:
        ticket.awaiting_reply_since = now
    refresh_sla(shop, ticket)
    return changed


def on_agent_message(shop: Shop, ticket: Ticket, now: datetime) -> bool:
    """An agent answered: stop the response clocks; True on the first response."""
    first = ticket.first_response_at is None
    if first:
        ticket.first_response_at = now
    ticket.awaiting_reply_since = None
    refresh_sla(shop, ticket)
    return first


async def sla_scan(db: AsyncSession, shop: Shop, now: datetime | None = None) -> list[dict]:
    """Flag warnings and breaches of active tickets; breached tickets gain one priority level.

    Returns what changed (for live events). Safe to run on several hub instances at once:
    each ticket row is locked (skipped when another instance holds it).
    """
    now = now or utcnow()
    rows = (
        await db.execute(
            select(Ticket)
            .where(Ticket.status.in_(ACTIVE_STATUSES), Ticket.status != "pending")
            .with_for_update(skip_locked=True)
        )
    ).scalars()
    changes = []
    rank = {"ok": 0, "met": 0, "paused": 0, "warning": 1, "breached": 2}
    for ticket in rows:
        clocks = sla_json(shop, ticket, now)
        worst = max((c["state"] for c in clocks.values()), key=lambda s: rank.get(s, 0))
        worst = worst if worst in ("warning", "breached") else "ok"
        if rank[worst] <= rank.get(ticket.sla_state, 0):
            continue
        ticket.sla_state = worst
        failing = [name for name, c in clocks.items() if c["state"] == worst]
        add_event(db, ticket, f"sla_{worst}", clocks=failing)
        change = {"number": ticket.number, "state": worst, "clocks": failing}
        if worst == "breached":
            ticket.breached = True
            old = ticket.priority
            index = PRIORITIES.index(old)
            if index > 0:
                ticket.priority = PRIORITIES[index - 1]
                add_event(db, ticket, "priority_changed", old=old, new=ticket.priority, why="sla")
                refresh_sla(shop, ticket)
                change["priority"] = ticket.priority
        changes.append(change)
    return changes
