"""Response and resolution times of a period, from the database (see :mod:`.timing`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, and_, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Message, Ticket
from .common import ONE, ZERO, in_period
from .periods import Period
from .stats import durations
from .timing import BusinessClock, Reply

ID_CHUNK = 2000


async def reply_times(db: AsyncSession, clock: BusinessClock, period: Period) -> list[Reply]:
    """Next-response samples of agent replies in the period (see ``HOW["times"]``).

    Computed in SQL with window functions, so only the pairs leave the database: within each
    chat (messages ordered by id), ``closers`` counts the agent and bot messages so far, which
    splits the chat into segments that each end with an agent or bot message. An agent
    message answers the customer messages of its segment when the segment before it also
    ended with an agent message (the agent was handling the chat; a bot message in between
    means the chat was back with the bot). The wait starts at the segment's first customer
    message.
    """
    chats = (
        (
            await db.execute(
                select(Message.conversation_id)
                .where(Message.sender == "agent", in_period(Message.created_at, period))
                .distinct()
            )
        )
        .scalars()
        .all()
    )
    replies: list[Reply] = []
    # in chunks of chats given by id: the database then reads just their messages by index
    for start in range(0, len(chats), ID_CHUNK):
        chunk = sorted(chats[start : start + ID_CHUNK])
        for row in await db.execute(_reply_query(chunk, period)):
            replies.append(
                Reply(row.author_id, row.created_at, clock.minutes(row.since, row.created_at))
            )
    return replies


def _reply_query(chats: list[int], period: Period):
    closer = case((Message.sender.in_(("agent", "bot")), ONE), else_=ZERO)
    turns = (
        select(
            Message.conversation_id,
            Message.id,
            Message.sender,
            Message.created_at,
            Message.author_id,
            func.sum(closer)
            .over(partition_by=Message.conversation_id, order_by=Message.id, rows=(None, 0))
            .label("closers"),
        )
        .where(
            Message.conversation_id.in_(chats),
            Message.sender.in_(("customer", "agent", "bot")),
            Message.created_at < period.end_utc,
        )
        .cte("turns")
    )
    waits = (
        select(
            turns.c.conversation_id,
            turns.c.closers.label("segment"),
            func.min(turns.c.created_at).label("since"),
        )
        .where(turns.c.sender == "customer")
        .group_by(turns.c.conversation_id, turns.c.closers)
        .subquery("waits")
    )
    closers = (
        select(
            turns.c.conversation_id,
            turns.c.closers,
            turns.c.sender,
            turns.c.created_at,
            turns.c.author_id,
            func.lag(turns.c.sender)
            .over(partition_by=turns.c.conversation_id, order_by=turns.c.id)
            .label("previous"),
        )
        .where(turns.c.sender.in_(("agent", "bot")))
        .subquery("closers")
    )
    return (
        select(closers.c.author_id, waits.c.since, closers.c.created_at)
        .join(
            waits,
            and_(
                waits.c.conversation_id == closers.c.conversation_id,
                waits.c.segment == closers.c.closers - 1,
            ),
        )
        .where(
            closers.c.sender == "agent",
            closers.c.previous == "agent",
            closers.c.created_at >= period.start_utc,
        )
    )


async def ticket_times(
    db: AsyncSession, clock: BusinessClock, period: Period, which: str
) -> list[Any]:
    """``(ticket row, business minutes)`` of first replies or resolutions in the period."""
    stop = Ticket.first_response_at if which == "first_response" else Ticket.resolved_at
    rows = await db.execute(
        select(
            Ticket.id,
            Ticket.created_at,
            # as text: parsed only when there are pauses (most tickets have none)
            type_coerce(Ticket.pauses, Text()).label("pauses"),
            Ticket.assignee_id,
            Ticket.team_id,
            Ticket.conversation_id,
            stop.label("stopped_at"),
        ).where(in_period(stop, period))
    )
    return [(row, clock.minutes(row.created_at, row.stopped_at, row.pauses)) for row in rows]


async def time_figures(db: AsyncSession, clock: BusinessClock, period: Period) -> dict[str, Any]:
    first = await ticket_times(db, clock, period, "first_response")
    resolution = await ticket_times(db, clock, period, "resolution")
    replies = await reply_times(db, clock, period)
    return {
        "times": {
            "unit": "business_minutes",
            "first_response": durations([m for _, m in first]),
            "next_response": durations([r.minutes for r in replies]),
            "resolution": durations([m for _, m in resolution]),
        }
    }
