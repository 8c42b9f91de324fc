"""What the agent console reads: one ticket's detail, the queue, ticket lists, teams, agents,
and the live channels an agent's socket may listen on.

Nothing here writes; each function opens its own session. Team scoping lives here: an agent
sees the queue and the tickets of their own teams (and the tickets assigned to them), a
supervisor or admin sees every team. The view parses the query and checks the role; bad
filters that need the database to be recognised (an unknown team) raise ``invalid`` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from .. import staff, tickets
from ..bus import (
    QUEUE_CHANNEL,
    SUPERVISOR_CHANNEL,
    agent_channel,
    conversation_channel,
    team_channel,
    ticket_channel,
)
from ..context import Hub
from ..errors import Forbidden, invalid
from ..models import Conversation, Customer, Message, Team, Ticket, User, user_teams
from ..privacy.crypto import lookup_hash
from ..serializers import iso
from ..ticket_detail import detail, team_map, ticket_json, user_names


@dataclass(frozen=True)
class TicketFilters:
    """``GET /api/tickets`` filters, parsed by the view; ``None`` (or empty) means any.

    ``assignee`` is a user id; ``unassigned`` asks for tickets nobody holds; ``team`` is a
    team key (unknown keys raise ``invalid``); ``search`` matches number, subject, customer
    and summary.
    """

    statuses: list[str] | None = None
    priorities: list[str] | None = None
    kinds: list[str] | None = None
    assignee: int | None = None
    unassigned: bool = False
    breached: bool = False
    search: str | None = None
    team: str | None = None
    limit: int = 50
    offset: int = 0


# ------------------------------------------------------------------ one ticket


async def ticket_detail(
    hub: Hub, user: User, number: str, *, check_rights: bool = True
) -> dict[str, Any]:
    """The ticket's detail; ``check_rights=False`` after this user moved it to a team they
    are not in (the transfer succeeded: answer it, not 403)."""
    async with hub.sessions() as db:
        ticket = await tickets.by_number(db, number)
        if check_rights:
            await tickets.check_team_rights(db, user, ticket)
        return await detail(db, hub.shop, ticket)


async def check_access(hub: Hub, user: User, number: str) -> None:
    """Raise not found / forbidden unless this user may work on ticket ``number``. The views
    call it before they read a body, so a caller who may not touch the ticket is refused
    before the body's shape is judged (and learns nothing from it)."""
    async with hub.sessions() as db:
        await tickets.check_team_rights(db, user, await tickets.by_number(db, number))


# ------------------------------------------------------------------ queue and lists


async def queue(hub: Hub, user: User, team_key: str | None) -> dict[str, Any]:
    """Unassigned tickets of the agent's teams (all teams for supervisors), in queue order,
    with the user's own open tickets; ``team_key`` narrows it to one team (403 for an agent
    outside it)."""
    async with hub.sessions() as db:
        teams = await team_map(db)
        supervisor = staff.has_role(user, "supervisor")
        own = None if supervisor else set(await staff.team_ids_of(db, user.id))
        if team_key:
            team_ids = {t.id for t in teams.values() if t.key == team_key}
            if not team_ids:
                raise invalid(f"unknown team {team_key!r}", field="team")
            if own is not None and not team_ids <= own:
                raise Forbidden("forbidden", f"you are not in the team {team_key!r}")
        else:
            team_ids = own
        rows = (await db.execute(tickets.queue_query(team_ids).limit(200))).scalars().all()
        previews = await _last_customer_messages(db, [t.conversation_id for t in rows])
        flags = await _customer_flags(db, {t.customer_id for t in rows if t.customer_id})
        mine = (
            (
                await db.execute(
                    select(Ticket)
                    .where(
                        Ticket.assignee_id == user.id,
                        Ticket.status.in_(("open", "pending", "reopened")),
                    )
                    .order_by(Ticket.priority, Ticket.created_at)
                )
            )
            .scalars()
            .all()
        )
        mine_previews = await _last_customer_messages(db, [t.conversation_id for t in mine])
        names = await user_names(db, {user.id})
        agents_online = await tickets.online_agents(db)
    items = [
        {
            **_list_item(ticket, hub, teams, names, previews, flags),
            "position": index + 1,
        }
        for index, ticket in enumerate(rows)
    ]
    return {
        "tickets": items,
        "mine": [_list_item(t, hub, teams, names, mine_previews, {}) for t in mine],
        "agents_online": agents_online,
        # the queue is in service order (VIP, priority, ...): the oldest may be further down
        "oldest_waiting_since": iso(min(t.created_at for t in rows)) if rows else None,
    }


def _list_item(ticket, hub, teams, names, previews, flags) -> dict[str, Any]:
    data = ticket_json(ticket, hub.shop, teams, names)
    preview = previews.get(ticket.conversation_id)
    data["last_customer_message"] = preview
    data["vip"], data["dispute"] = flags.get(ticket.customer_id, (False, False))
    return data


async def _last_customer_messages(db, conversation_ids: list[int]) -> dict[int, dict]:
    ids = [i for i in conversation_ids if i]
    if not ids:
        return {}
    latest = (
        select(Message.conversation_id, func.max(Message.id).label("id"))
        .where(Message.conversation_id.in_(ids), Message.sender == "customer")
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = await db.execute(select(Message).join(latest, latest.c.id == Message.id))
    return {
        m.conversation_id: {"id": m.id, "text": m.text[:200], "created_at": iso(m.created_at)}
        for m in rows.scalars()
    }


async def _customer_flags(db, ids: set[int]) -> dict[int, tuple[bool, bool]]:
    if not ids:
        return {}
    rows = await db.execute(
        select(Customer.id, Customer.vip, Customer.dispute).where(Customer.id.in_(ids))
    )
    return {r.id: (r.vip, r.dispute) for r in rows}


def _filtered(filters: TicketFilters):
    """The ticket query for the filters that need no database (team and scope come later)."""
    query = select(Ticket)
    if filters.statuses:
        query = query.where(Ticket.status.in_(filters.statuses))
    if filters.priorities:
        query = query.where(Ticket.priority.in_(filters.priorities))
    if filters.kinds:
        query = query.where(Ticket.kind.in_(filters.kinds))
    if filters.unassigned:
        query = query.where(Ticket.assignee_id.is_(None))
    elif filters.assignee is not None:
        query = query.where(Ticket.assignee_id == filters.assignee)
    if filters.breached:
        query = query.where(Ticket.breached.is_(True))
    if filters.search:
        term = f"%{filters.search.strip()}%"
        query = query.where(
            or_(
                Ticket.number.ilike(term),
                Ticket.subject.ilike(term),
                # contact data is encrypted at rest: a whole e-mail address is found by its
                # keyed hash; a part of an address or of a name is not searchable
                Ticket.customer_email_hash == lookup_hash(filters.search),
                Ticket.summary.ilike(term),
            )
        )
    return query


async def list_tickets(hub: Hub, user: User, filters: TicketFilters) -> dict[str, Any]:
    """Tickets matching ``filters``, newest first, with the total; an agent sees their teams'
    tickets and those assigned to them."""
    query = _filtered(filters)
    async with hub.sessions() as db:
        teams = await team_map(db)
        if filters.team:
            ids = [t.id for t in teams.values() if t.key == filters.team]
            if not ids:
                raise invalid(f"unknown team {filters.team!r}", field="team")
            query = query.where(Ticket.team_id.in_(ids))
        if not staff.has_role(user, "supervisor"):
            query = query.where(
                or_(
                    Ticket.team_id.in_(await staff.team_ids_of(db, user.id)),
                    Ticket.assignee_id == user.id,
                )
            )
        total = await db.scalar(select(func.count()).select_from(query.subquery()))
        page = query.order_by(Ticket.created_at.desc()).limit(filters.limit).offset(filters.offset)
        rows = (await db.execute(page)).scalars().all()
        names = await user_names(db, {t.assignee_id for t in rows if t.assignee_id})
    return {"total": total, "tickets": [ticket_json(t, hub.shop, teams, names) for t in rows]}


# ------------------------------------------------------------------ people


async def teams(hub: Hub) -> dict[str, Any]:
    async with hub.sessions() as db:
        found = await team_map(db)
    return {
        "teams": [{"key": t.key, "name": t.name, "dedicated": t.dedicated} for t in found.values()]
    }


async def agents(hub: Hub, user: User) -> dict[str, Any]:
    """Active staff with presence, capacity, teams and current load, by name."""
    async with hub.sessions() as db:
        users = (
            (await db.execute(select(User).where(User.active.is_(True)).order_by(User.name)))
            .scalars()
            .all()
        )
        loads = dict(
            (
                await db.execute(
                    select(Ticket.assignee_id, func.count(Ticket.id))
                    .where(
                        Ticket.status.in_(("open", "reopened", "new")),
                        Ticket.assignee_id.isnot(None),
                    )
                    .group_by(Ticket.assignee_id)
                )
            ).all()
        )
        memberships = (await db.execute(select(user_teams.c.user_id, Team.key).join(Team))).all()
    teams_of: dict[int, list[str]] = {}
    for user_id, key in memberships:
        teams_of.setdefault(user_id, []).append(key)
    return {
        "agents": [
            {**staff.user_json(u, sorted(teams_of.get(u.id, []))), "load": loads.get(u.id, 0)}
            for u in users
        ]
    }


# ------------------------------------------------------------------ live channels


async def socket_channels(hub: Hub, user: User) -> list[str]:
    """The channels a staff socket listens on from the start: the queue, the user's own
    assignments, the supervisors' feed (supervisors only) and the team channels, which carry
    customers' messages: an agent's teams only, every team for supervisors."""
    channels = [QUEUE_CHANNEL, agent_channel(user.id)]
    async with hub.sessions() as db:
        if staff.has_role(user, "supervisor"):
            channels.append(SUPERVISOR_CHANNEL)
            team_ids = {team.id for team in (await team_map(db)).values()}
        else:
            team_ids = set(await staff.team_ids_of(db, user.id))
    channels.extend(team_channel(team_id) for team_id in sorted(team_ids))
    return channels


async def subscribe_ticket(hub: Hub, user: User, number: str) -> list[str]:
    """The channels of one ticket the user opened in the console: the ticket's, then its
    conversation's when it has one (typing goes there). 404 for an unknown ticket, 403 for
    another team's."""
    async with hub.sessions() as db:
        ticket = await tickets.by_number(db, number)
        await tickets.check_team_rights(db, user, ticket)
        conversation = (
            await db.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
        )
    names = [ticket_channel(number)]
    if conversation is not None:
        names.append(conversation_channel(conversation.public_id))
    return names
