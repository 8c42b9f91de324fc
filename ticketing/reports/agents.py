"""Agent and team performance: chats and tickets handled, response and resolution times, CSAT."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Message, Rating, Team, Ticket, TicketEvent, User
from ..shop import Shop
from .common import csat_block, in_period
from .periods import Period
from .response_times import reply_times, ticket_times
from .stats import durations
from .timing import BusinessClock

HOW: dict[str, str] = {
    "chats_handled": "Distinct chats in which the agent sent at least one message in the period.",
    "messages_sent": "Messages the agent sent to customers in the period.",
    "tickets_handled": (
        "Distinct tickets on whose timeline the agent did something in the period (claimed, "
        "replied, wrote a note, changed status, ...). For a team: its tickets that any staff "
        "member worked on in the period; chats_handled: their distinct chats."
    ),
    "tickets_resolved": "Tickets resolved in the period, by their assignee (or team).",
    "first_response": (
        "Business minutes from ticket creation to the first agent reply, for first replies in "
        "the period, attributed to the ticket's assignee and team; nearest-rank p50/p90."
    ),
    "next_response": (
        "Business minutes from a customer message (while an agent handles the chat) to the "
        "agent's next reply, for replies in the period, by the replying agent."
    ),
    "resolution": (
        "Business minutes from ticket creation to resolution (time pending on the customer "
        "left out), for tickets resolved in the period, by assignee and team."
    ),
    "csat": (
        "Survey scores given in the period about the agent (the agent the rating names) or "
        "about a ticket of the team: average 1-5, count, share of 4-5."
    ),
}


def _grouped(pairs: list[tuple[Any, float]]) -> dict[Any, list[float]]:
    groups: dict[Any, list[float]] = defaultdict(list)
    for key, value in pairs:
        groups[key].append(value)
    return groups


async def agents_report(
    db: AsyncSession, shop: Shop, period: Period, now: datetime | None = None
) -> dict[str, Any]:
    chats = {
        author: (n_chats, n_messages)
        for author, n_chats, n_messages in await db.execute(
            select(
                Message.author_id,
                func.count(func.distinct(Message.conversation_id)),
                func.count(Message.id),
            )
            .where(
                Message.sender == "agent",
                Message.author_id.isnot(None),
                in_period(Message.created_at, period),
            )
            .group_by(Message.author_id)
        )
    }
    handled = dict(
        (
            await db.execute(
                select(TicketEvent.actor_id, func.count(func.distinct(TicketEvent.ticket_id)))
                .where(TicketEvent.actor_id.isnot(None), in_period(TicketEvent.created_at, period))
                .group_by(TicketEvent.actor_id)
            )
        ).all()
    )
    team_handled = {
        team: (n_tickets, n_chats)
        for team, n_tickets, n_chats in await db.execute(
            select(
                Ticket.team_id,
                func.count(func.distinct(Ticket.id)),
                func.count(func.distinct(Ticket.conversation_id)),
            )
            .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
            .where(TicketEvent.actor_id.isnot(None), in_period(TicketEvent.created_at, period))
            .group_by(Ticket.team_id)
        )
    }
    clock = BusinessClock(shop.calendar)
    first = await ticket_times(db, clock, period, "first_response")
    resolution = await ticket_times(db, clock, period, "resolution")
    replies = await reply_times(db, clock, period)
    ratings = (
        await db.execute(
            select(Rating.csat, Rating.agent_id, Ticket.team_id)
            .outerjoin(Ticket, Ticket.id == Rating.ticket_id)
            .where(in_period(Rating.created_at, period), Rating.csat.isnot(None))
        )
    ).all()

    first_by_agent = _grouped([(r.assignee_id, m) for r, m in first])
    first_by_team = _grouped([(r.team_id, m) for r, m in first])
    res_by_agent = _grouped([(r.assignee_id, m) for r, m in resolution])
    res_by_team = _grouped([(r.team_id, m) for r, m in resolution])
    next_by_agent = _grouped([(r.author_id, r.minutes) for r in replies])
    csat_by_agent = _grouped([(r.agent_id, r.csat) for r in ratings if r.agent_id])
    csat_by_team = _grouped([(r.team_id, r.csat) for r in ratings if r.team_id])

    active_ids = (
        set(chats) | set(handled) | set(first_by_agent) | set(res_by_agent) | set(csat_by_agent)
    )
    users = (
        (
            await db.execute(
                select(User).where(
                    (User.role == "agent") & User.active.is_(True)
                    | User.id.in_({i for i in active_ids if i})
                )
            )
        )
        .scalars()
        .all()
    )
    agents = [
        {
            "agent": {"id": user.id, "name": user.name, "role": user.role},
            "chats_handled": chats.get(user.id, (0, 0))[0],
            "messages_sent": chats.get(user.id, (0, 0))[1],
            "tickets_handled": handled.get(user.id, 0),
            "tickets_resolved": len(res_by_agent.get(user.id, [])),
            "first_response": durations(first_by_agent.get(user.id, [])),
            "next_response": durations(next_by_agent.get(user.id, [])),
            "resolution": durations(res_by_agent.get(user.id, [])),
            "csat": csat_block(csat_by_agent.get(user.id, [])),
        }
        for user in sorted(users, key=lambda u: (u.name.lower(), u.id))
    ]
    teams_list = (await db.execute(select(Team).order_by(Team.key))).scalars().all()
    teams = [
        {
            "team": {"id": team.id, "key": team.key, "name": team.name},
            "chats_handled": team_handled.get(team.id, (0, 0))[1],
            "tickets_handled": team_handled.get(team.id, (0, 0))[0],
            "tickets_resolved": len(res_by_team.get(team.id, [])),
            "first_response": durations(first_by_team.get(team.id, [])),
            "resolution": durations(res_by_team.get(team.id, [])),
            "csat": csat_block(csat_by_team.get(team.id, [])),
        }
        for team in teams_list
    ]
    return {
        "period": period.as_json(),
        "unit": "business_minutes",
        "agents": agents,
        "teams": teams,
        "how": HOW,
    }


CSV_HEADER = [
    "kind",
    "name",
    "chats_handled",
    "tickets_handled",
    "tickets_resolved",
    "first_response_p50",
    "first_response_p90",
    "resolution_p50",
    "resolution_p90",
    "csat_average",
    "csat_count",
]


def csv_rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    for kind, items, name in (
        ("agent", report["agents"], lambda item: item["agent"]["name"]),
        ("team", report["teams"], lambda item: item["team"]["key"]),
    ):
        for item in items:
            yield [
                kind,
                name(item),
                item["chats_handled"],
                item["tickets_handled"],
                item["tickets_resolved"],
                item["first_response"]["p50"],
                item["first_response"]["p90"],
                item["resolution"]["p50"],
                item["resolution"]["p90"],
                item["csat"]["average"],
                item["csat"]["count"],
            ]
