"""Tickets: hand-off, the queue, ownership, status lifecycle, SLA clocks and the timeline.

Functions here take an ``AsyncSession`` inside the caller's transaction and never commit;
the web layer commits and then publishes live events. Nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from . import outbox
from .errors import ApiError, invalid, not_found
from .models import (
    COMPLAINT_CATEGORIES,
    HANDOFF_REASONS,
    PRIORITIES,
    TICKET_KINDS,
    Complaint,
    Conversation,
    Customer,
    Team,
    Ticket,
    TicketEvent,
    User,
    utcnow,
)
from .serializers import iso, ticket_brief
from .shop import Shop
from .sla import Pause, due_at, evaluate

ACTIVE_STATUSES = ("new", "open", "pending", "reopened")
QUEUED_STATUSES = ("new", "reopened")
# status -> statuses an agent may move it to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "pending", "resolved", "closed"),
    "reopened": ("open", "pending", "resolved", "closed"),
    "open": ("pending", "resolved", "closed"),
    "pending": ("open", "resolved", "closed"),
    "resolved": ("closed", "reopened"),
    "closed": (),
}
CATEGORY_TEAMS = {
    "delivery": "delivery",
    "order": "delivery",
    "billing": "billing",
    "payment": "billing",
    "refund": "billing",
    "technical": "technical",
    "account": "technical",
}
MAX_TAGS = 20


@dataclass
class Handoff:
    ticket: Ticket
    created: bool
    reopened: bool
    queue_position: int | None


# ---------------------------------------------------------------- lookups


async def by_number(db: AsyncSession, number: str, *, lock: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.number == number.upper())
    if lock:
        query = query.with_for_update()
    ticket = (await db.execute(query)).scalar_one_or_none()
    if ticket is None:
        raise not_found(f"ticket {number}")
    return ticket


async def active_ticket(db: AsyncSession, conversation_id: int) -> Ticket | None:
    return (
        await db.execute(
            select(Ticket)
            .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(ACTIVE_STATUSES))
            .order_by(Ticket.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def latest_ticket(db: AsyncSession, conversation_id: int) -> Ticket | None:
    return (
        await db.execute(
            select(Ticket)
            .where(Ticket.conversation_id == conversation_id)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def team_by_key(db: AsyncSession, key: str) -> Team:
    team = (await db.execute(select(Team).where(Team.key == key))).scalar_one_or_none()
    if team is None:
        raise invalid(f"unknown team {key!r}", field="team")
    return team


# ---------------------------------------------------------------- queue order


def _service_level():
    """0 for customers routed first (VIP or dispute), 1 for everyone else."""
    return case(
        (or_(Customer.vip.is_(True), Customer.dispute.is_(True)), 0),
        else_=1,
    )


def queue_query(team_ids: set[int] | None = None):
    """Unassigned tickets in queue order: service level, priority, waiting time."""
    query = (
        select(Ticket)
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.status.in_(QUEUED_STATUSES), Ticket.assignee_id.is_(None))
        .order_by(_service_level(), Ticket.priority, Ticket.created_at, Ticket.id)
    )
    if team_ids is not None:
        query = query.where(Ticket.team_id.in_(team_ids))
    return query


async def queue_position(db: AsyncSession, ticket: Ticket) -> int | None:
    """1-based place of an unassigned ticket in its team's queue."""
    if ticket.status not in QUEUED_STATUSES or ticket.assignee_id is not None:
        return None
    level = await db.scalar(
        select(_service_level())
        .select_from(Ticket)
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.id == ticket.id)
    )
    ahead = await db.scalar(
        select(func.count(Ticket.id))
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(
            Ticket.status.in_(QUEUED_STATUSES),
            Ticket.assignee_id.is_(None),
            Ticket.id != ticket.id,
            Ticket.team_id == ticket.team_id if ticket.team_id else Ticket.team_id.is_(None),
            or_(
                _service_level() < level,
                and_(
                    _service_level() == level,
                    or_(
                        Ticket.priority < ticket.priority,
                        and_(
                            Ticket.priority == ticket.priority,
                            or_(
                                Ticket.created_at < ticket.created_at,
                                and_(
                                    Ticket.created_at == ticket.created_at,
                                    Ticket.id < ticket.id,
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


async def online_agents(db: AsyncSession, team_id: int | None = None) -> int:
    from .models import user_teams

    query = select(func.count(func.distinct(User.id))).where(
        User.active.is_(True), User.presence == "online"
    )
    if team_id is not None:
        query = query.join(user_teams, user_teams.c.user_id == User.id).where(
            user_teams.c.team_id == team_id
        )
    return int(await db.scalar(query) or 0)


# ---------------------------------------------------------------- timeline


def add_event(
    db: AsyncSession, ticket: Ticket, what: str, /, actor_id: int | None = None, **data: Any
) -> TicketEvent:
    """Append to the ticket's timeline; ``data`` is stored as the entry's JSON."""
    event = TicketEvent(ticket_id=ticket.id, kind=what, actor_id=actor_id, data=data)
    db.add(event)
    return event


def event_json(event: TicketEvent, actor_name: str | None = None) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "data": event.data or {},
        "actor": actor_name,
        "created_at": iso(event.created_at),
    }


# ---------------------------------------------------------------- SLA


def _pauses(ticket: Ticket) -> list[Pause]:
    pauses = []
    for p in ticket.pauses or []:
        start = datetime.fromisoformat(p["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(p["end"].replace("Z", "+00:00")) if p.get("end") else None
        pauses.append(Pause(start=start, end=end))
    return pauses


def refresh_sla(shop: Shop, ticket: Ticket) -> None:
    """Recompute the due times of the ticket's running clocks (after any change)."""
    target = shop.sla.target(ticket.priority)
    pauses = _pauses(ticket)
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
    pauses = _pauses(ticket)
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


def _pause(ticket: Ticket, now: datetime) -> None:
    ticket.pending_since = now
    ticket.pauses = [*(ticket.pauses or []), {"start": iso(now), "end": None}]


def _resume(ticket: Ticket, now: datetime) -> None:
    ticket.pending_since = None
    pauses = list(ticket.pauses or [])
    if pauses and pauses[-1].get("end") is None:
        pauses[-1] = {**pauses[-1], "end": iso(now)}
    ticket.pauses = pauses


# ---------------------------------------------------------------- hand-off


def validate_handoff(reason: str, kind: str, priority: str) -> None:
    if reason not in HANDOFF_REASONS:
        raise invalid(f"reason must be one of {', '.join(HANDOFF_REASONS)}", field="reason")
    if kind not in TICKET_KINDS:
        raise invalid(f"kind must be one of {', '.join(TICKET_KINDS)}", field="kind")
    if priority not in PRIORITIES:
        raise invalid(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")


async def _default_team(db: AsyncSession, category: str | None) -> Team:
    key = CATEGORY_TEAMS.get((category or "").split("/")[0], "general")
    return await team_by_key(db, key)


async def hand_off(
    db: AsyncSession,
    shop: Shop,
    conversation: Conversation,
    reason: str,
    *,
    kind: str = "escalation",
    priority: str = "P3",
    summary: str | None = None,
    category: str | None = None,
    subject: str | None = None,
) -> Handoff:
    """Queue the conversation for a human; one active ticket per conversation.

    A resolved ticket of the same conversation within the reopen window is reopened instead
    of creating a new one.
    """
    validate_handoff(reason, kind, priority)
    now = utcnow()
    ticket = await active_ticket(db, conversation.id)
    created = reopened = False
    if ticket is None:
        latest = await latest_ticket(db, conversation.id)
        window = timedelta(days=shop.reopen_window_days)
        if (
            latest is not None
            and latest.status == "resolved"
            and latest.resolved_at is not None
            and now - latest.resolved_at <= window
        ):
            ticket = latest
            reopen(ticket, now)
            add_event(db, ticket, "status_changed", old="resolved", new="reopened", why=reason)
            reopened = True
    if ticket is None:
        team = await _default_team(db, category)
        ticket = Ticket(
            conversation_id=conversation.id,
            kind=kind,
            reason=reason,
            priority=priority,
            summary=summary,
            category=category,
            subject=subject,
            status="new",
            team_id=team.id,
            customer_id=conversation.customer_id,
            customer_name=conversation.customer_name,
            customer_email=conversation.customer_email,
            created_at=now,
            awaiting_reply_since=now,
            tags=[],
            pauses=[],
        )
        db.add(ticket)
        await db.flush()
        ticket.number = f"T-{ticket.id:06d}"
        add_event(db, ticket, "created", reason=reason, kind=kind, priority=priority)
        created = True
    elif summary and not ticket.summary:
        ticket.summary = summary
    refresh_sla(shop, ticket)
    if conversation.status in ("bot", "closed"):
        conversation.status = "queued"
        conversation.closed_at = None
        conversation.agent_id = None
        conversation.handed_off_at = now
    await db.flush()
    if created:
        await outbox.emit(db, "ticket.created", ticket_brief_full(ticket))
    elif reopened:
        await outbox.emit(
            db, "ticket.status_changed", {**ticket_brief_full(ticket), "old": "resolved"}
        )
    return Handoff(
        ticket=ticket,
        created=created,
        reopened=reopened,
        queue_position=await queue_position(db, ticket),
    )


def reopen(ticket: Ticket, now: datetime) -> None:
    ticket.status = "reopened"
    ticket.reopened_count = (ticket.reopened_count or 0) + 1
    ticket.resolved_at = None
    ticket.assignee_id = None
    ticket.awaiting_reply_since = now


def ticket_brief_full(ticket: Ticket) -> dict[str, Any]:
    return {
        **ticket_brief(ticket),
        "kind": ticket.kind,
        "reason": ticket.reason,
        "category": ticket.category,
        "assignee_id": ticket.assignee_id,
        "team_id": ticket.team_id,
        "created_at": iso(ticket.created_at),
    }


# ---------------------------------------------------------------- rights


async def check_team_rights(db: AsyncSession, user: User, ticket: Ticket) -> None:
    """Agents act on their teams' tickets; supervisors and admins on every ticket."""
    from .staff import has_role, team_ids_of

    if has_role(user, "supervisor") or ticket.team_id is None:
        return
    if ticket.team_id not in await team_ids_of(db, user.id):
        raise ApiError(403, "forbidden", "this ticket belongs to another team")


def check_owner(user: User, ticket: Ticket) -> None:
    from .staff import has_role

    if ticket.assignee_id == user.id or has_role(user, "supervisor"):
        return
    if ticket.assignee_id is None:
        raise ApiError(409, "not_claimed", "claim the ticket before acting on it")
    raise ApiError(409, "conflict", "another agent holds this ticket")


async def active_load(db: AsyncSession, user_id: int) -> int:
    return int(
        await db.scalar(
            select(func.count(Ticket.id)).where(
                Ticket.assignee_id == user_id, Ticket.status.in_(("open", "reopened", "new"))
            )
        )
        or 0
    )


# ---------------------------------------------------------------- ownership


async def claim(
    db: AsyncSession,
    user: User,
    ticket: Ticket,
    *,
    enforce_capacity: bool = True,
    how: str = "claimed",
):
    """Atomically take an unassigned ticket: one winner, 409 for everyone else."""
    await check_team_rights(db, user, ticket)
    if ticket.assignee_id == user.id:
        return False
    if ticket.status not in QUEUED_STATUSES and ticket.assignee_id is None:
        raise ApiError(
            409,
            "not_claimable",
            f"a {ticket.status} ticket cannot be claimed",
            status=ticket.status,
        )
    if enforce_capacity and await active_load(db, user.id) >= user.capacity:
        raise ApiError(
            409, "at_capacity", f"you already handle {user.capacity} chats (your capacity)"
        )
    if ticket.conversation_id is not None:
        # The hub's lock order: conversation, then ticket (see desk._load).
        await db.execute(
            select(Conversation.id)
            .where(Conversation.id == ticket.conversation_id)
            .with_for_update()
        )
    now = utcnow()
    result = await db.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket.id,
            Ticket.assignee_id.is_(None),
            Ticket.status.in_(QUEUED_STATUSES),
        )
        .values(assignee_id=user.id, status="open", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        holder = await db.scalar(
            select(User.name)
            .join(Ticket, Ticket.assignee_id == User.id)
            .where(Ticket.id == ticket.id)
        )
        raise ApiError(
            409,
            "conflict",
            f"{holder or 'another agent'} already claimed this ticket",
            holder=holder,
        )
    await db.refresh(ticket)
    user.last_assigned_at = now
    add_event(db, ticket, "assigned", actor_id=user.id, assignee=user.name, how=how)
    await outbox.emit(db, "ticket.assigned", {**ticket_brief_full(ticket), "agent": user.name})
    return True


async def assign(db: AsyncSession, ticket: Ticket, agent: User, actor: User | None, how: str):
    ticket.assignee_id = agent.id
    if ticket.status in QUEUED_STATUSES:
        ticket.status = "open"
    agent.last_assigned_at = utcnow()
    add_event(
        db, ticket, "assigned", actor_id=actor.id if actor else None, assignee=agent.name, how=how
    )
    await outbox.emit(db, "ticket.assigned", {**ticket_brief_full(ticket), "agent": agent.name})


def unassign(db: AsyncSession, ticket: Ticket, actor: User) -> None:
    if ticket.status in ("resolved", "closed"):
        raise invalid(f"a {ticket.status} ticket cannot be unassigned")
    ticket.assignee_id = None
    ticket.status = "new" if ticket.status in ("open", "pending") else ticket.status
    add_event(db, ticket, "unassigned", actor_id=actor.id)


async def transfer(
    db: AsyncSession,
    ticket: Ticket,
    actor: User,
    *,
    team_key: str | None,
    agent_id: int | None,
    escalate: bool = False,
):
    if ticket.status in ("resolved", "closed"):
        raise invalid(f"a {ticket.status} ticket cannot be transferred")
    if team_key is None and agent_id is None:
        raise invalid("give a team or an agent to transfer to")
    old_team = ticket.team_id
    old_key = await db.scalar(select(Team.key).where(Team.id == old_team)) if old_team else None
    new_key = old_key
    if team_key is not None:
        team = await team_by_key(db, team_key)
        ticket.team_id, new_key = team.id, team.key
    if escalate:
        ticket.escalated = True
    target = None
    if agent_id is not None:
        target = await db.get(User, agent_id)
        if target is None or not target.active:
            raise invalid("unknown or disabled agent", field="agent_id")
        await check_team_rights(db, target, ticket)
        await assign(db, ticket, target, actor, how="transferred")
    else:
        ticket.assignee_id = None
        if ticket.status in ("open", "pending"):
            if ticket.status == "pending":
                _resume(ticket, utcnow())
            ticket.status = "new"
    add_event(
        db,
        ticket,
        "escalated" if escalate else "transferred",
        actor_id=actor.id,
        from_team=old_key,
        to_team=new_key,
        to_agent=target.name if target else None,
    )
    return target


# ---------------------------------------------------------------- status


async def set_status(
    db: AsyncSession, shop: Shop, ticket: Ticket, new: str, actor: User | None
) -> None:
    allowed = TRANSITIONS.get(ticket.status, ())
    if new == ticket.status:
        return
    if new not in allowed:
        raise invalid(
            f"a {ticket.status} ticket cannot become {new}",
            allowed=list(allowed),
            field="status",
        )
    if new == "resolved":
        raise invalid("use the resolve action, which records the resolution", allowed=list(allowed))
    old = ticket.status
    now = utcnow()
    if old == "pending":
        _resume(ticket, now)
    if new == "pending":
        _pause(ticket, now)
    if new == "closed":
        ticket.closed_at = now
    if new == "reopened":
        reopen(ticket, now)
    ticket.status = new
    refresh_sla(shop, ticket)
    add_event(db, ticket, "status_changed", actor_id=actor.id if actor else None, old=old, new=new)
    await outbox.emit(db, "ticket.status_changed", {**ticket_brief_full(ticket), "old": old})


async def resolve(
    db: AsyncSession,
    shop: Shop,
    ticket: Ticket,
    actor: User,
    *,
    resolution: str,
    root_cause: str | None,
    corrective_action: str | None,
) -> Complaint | None:
    if ticket.status not in ("new", "open", "pending", "reopened"):
        raise invalid(
            f"a {ticket.status} ticket cannot be resolved",
            allowed=list(TRANSITIONS.get(ticket.status, ())),
        )
    resolution = (resolution or "").strip()
    if not resolution:
        raise invalid("the resolution (what was done, told to the customer) is required")
    complaint = await complaint_of(db, ticket)
    if complaint is not None and not (root_cause or complaint.root_cause or "").strip():
        raise invalid("resolving a complaint requires its root cause", field="root_cause")
    now = utcnow()
    old = ticket.status
    if old == "pending":
        _resume(ticket, now)
    ticket.status = "resolved"
    ticket.resolved_at = now
    ticket.awaiting_reply_since = None
    if ticket.assignee_id is None:
        ticket.assignee_id = actor.id
    refresh_sla(shop, ticket)
    if complaint is not None:
        complaint.resolution = resolution
        if root_cause:
            complaint.root_cause = root_cause.strip()
        if corrective_action:
            complaint.corrective_action = corrective_action.strip()
        complaint.stage = "resolved_notified"
        complaint.result_notified_at = now
    add_event(
        db,
        ticket,
        "status_changed",
        actor_id=actor.id,
        old=old,
        new="resolved",
        resolution=resolution,
    )
    await outbox.emit(db, "ticket.status_changed", {**ticket_brief_full(ticket), "old": old})
    return complaint


async def complaint_of(db: AsyncSession, ticket: Ticket) -> Complaint | None:
    if ticket.kind != "complaint":
        return None
    return (
        await db.execute(select(Complaint).where(Complaint.ticket_id == ticket.id))
    ).scalar_one_or_none()


# ---------------------------------------------------------------- fields


async def update_fields(
    db: AsyncSession, shop: Shop, ticket: Ticket, actor: User, changes: dict[str, Any]
) -> None:
    allowed = {"priority", "category", "tags", "subject"}
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(f"cannot change {', '.join(sorted(unknown))}", allowed=sorted(allowed))
    if "priority" in changes and changes["priority"] not in PRIORITIES:
        raise invalid(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")
    if "tags" in changes:
        tags = changes["tags"]
        if (
            not isinstance(tags, list)
            or len(tags) > MAX_TAGS
            or not all(isinstance(t, str) and 0 < len(t.strip()) <= 40 for t in tags)
        ):
            raise invalid(f"tags must be a list of at most {MAX_TAGS} short strings", field="tags")
        changes["tags"] = sorted({t.strip().lower() for t in tags})
    for field in ("category", "subject"):
        value = changes.get(field)
        if value is not None and not (isinstance(value, str) and len(value) <= 200):
            raise invalid(f"{field} must be a short string", field=field)
    for field, value in changes.items():
        old = getattr(ticket, field)
        if old == value:
            continue
        setattr(ticket, field, value)
        kind = "classified" if field in ("category", "tags") else f"{field}_changed"
        add_event(db, ticket, kind, actor_id=actor.id, field=field, old=old, new=value)
    if "priority" in changes:
        refresh_sla(shop, ticket)


COMPLAINT_FIELDS = {
    "category": COMPLAINT_CATEGORIES,
    "verification": str,
    "root_cause": str,
    "corrective_action": str,
    "evaluation_note": str,
    "stage": None,
    "satisfaction": int,
}


async def update_complaint(
    db: AsyncSession, ticket: Ticket, actor: User, changes: dict[str, Any]
) -> Complaint:
    from .models import COMPLAINT_STAGES

    complaint = await complaint_of(db, ticket)
    if complaint is None:
        raise not_found(f"complaint record of {ticket.number}")
    unknown = set(changes) - set(COMPLAINT_FIELDS)
    if unknown:
        raise invalid(
            f"cannot change {', '.join(sorted(unknown))}", allowed=sorted(COMPLAINT_FIELDS)
        )
    if "category" in changes and changes["category"] not in COMPLAINT_CATEGORIES:
        raise invalid(f"category must be one of {', '.join(COMPLAINT_CATEGORIES)}")
    if "stage" in changes and changes["stage"] not in COMPLAINT_STAGES:
        raise invalid(f"stage must be one of {', '.join(COMPLAINT_STAGES)}", field="stage")
    if "satisfaction" in changes and changes["satisfaction"] not in (None, 1, 2, 3, 4, 5):
        raise invalid("satisfaction must be 1 to 5", field="satisfaction")
    for field in ("verification", "root_cause", "corrective_action", "evaluation_note"):
        if field in changes and not (changes[field] is None or isinstance(changes[field], str)):
            raise invalid(f"{field} must be text", field=field)
    for field, value in changes.items():
        setattr(complaint, field, value)
    if "verification" in changes and complaint.stage == "received":
        complaint.stage = "verified"
    if "category" in changes:
        ticket.category = changes["category"]
    add_event(db, ticket, "complaint_updated", actor_id=actor.id, fields=sorted(changes))
    return complaint


# ---------------------------------------------------------------- customer activity


def on_customer_message(shop: Shop, ticket: Ticket, now: datetime) -> str | None:
    """A customer wrote while the ticket is active: restart clocks; the new status if any."""
    changed = None
    if ticket.status == "pending":
        _resume(ticket, now)
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
