"""One full transcript for supervisors: the messages, tickets with their timelines, the rating."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import not_found
from ..models import Complaint, Conversation, Rating, Team, Ticket, TicketEvent
from ..privacy import masking as privacy
from ..shop import Shop
from ..ticket_detail import (
    complaint_json,
    messages_of,
    rating_json,
    staff_message_json,
    ticket_json,
)
from ..tickets import event_json
from .common import iso, users_by_id


def _masked_message(data: dict[str, Any]) -> dict[str, Any]:
    data = {**data, "text": privacy.mask_text(data.get("text"))}
    if data.get("entities"):
        data["entities"] = [
            {**e, "value": privacy.mask_text(str(e.get("value")))} if isinstance(e, dict) else e
            for e in data["entities"]
        ]
    return data


async def conversation_detail(
    db: AsyncSession, shop: Shop, session_id: str, masked: bool
) -> dict[str, Any]:
    conversation = (
        await db.execute(select(Conversation).where(Conversation.public_id == session_id))
    ).scalar_one_or_none()
    if conversation is None:
        raise not_found(f"conversation {session_id}")
    messages = await messages_of(db, conversation.id)
    tickets = (
        (
            await db.execute(
                select(Ticket).where(Ticket.conversation_id == conversation.id).order_by(Ticket.id)
            )
        )
        .scalars()
        .all()
    )
    ticket_ids = [t.id for t in tickets]
    events = (
        (
            await db.execute(
                select(TicketEvent)
                .where(TicketEvent.ticket_id.in_(ticket_ids))
                .order_by(TicketEvent.id)
            )
        )
        .scalars()
        .all()
        if ticket_ids
        else []
    )
    complaints = {
        c.ticket_id: c
        for c in (
            await db.execute(select(Complaint).where(Complaint.ticket_id.in_(ticket_ids)))
        ).scalars()
    }
    rating = (
        await db.execute(select(Rating).where(Rating.conversation_id == conversation.id))
    ).scalar_one_or_none()
    users = await users_by_id(
        db,
        {m.author_id for m in messages}
        | {e.actor_id for e in events}
        | {t.assignee_id for t in tickets}
        | {conversation.agent_id, rating.agent_id if rating else None},
    )
    names = {i: u.name for i, u in users.items()}
    teams = {t.id: t for t in (await db.execute(select(Team))).scalars()}
    turns = [staff_message_json(m, names) for m in messages]
    if masked:
        turns = [_masked_message(t) for t in turns]
    return {
        "conversation": {
            "session_id": conversation.public_id,
            "status": conversation.status,
            "locale": conversation.locale,
            "created_at": iso(conversation.created_at),
            "closed_at": iso(conversation.closed_at),
            "handed_off_at": iso(conversation.handed_off_at),
            "survey_offered_at": iso(conversation.survey_offered_at),
            "agent": names.get(conversation.agent_id) if conversation.agent_id else None,
            "customer": privacy.customer(
                conversation.customer_name, conversation.customer_email, masked
            ),
        },
        "messages": turns,
        "tickets": [
            _ticket_with_timeline(t, shop, teams, names, events, complaints.get(t.id), masked)
            for t in tickets
        ],
        "rating": (
            {**rating_json(rating), "agent": names.get(rating.agent_id)}
            if rating is not None
            else None
        ),
    }


def _ticket_with_timeline(ticket, shop, teams, names, events, complaint, masked):
    data = ticket_json(ticket, shop, teams, names)
    timeline = [event_json(e, names.get(e.actor_id)) for e in events if e.ticket_id == ticket.id]
    record = complaint_json(complaint) if complaint is not None else None
    if masked:
        data["customer"] = privacy.customer(ticket.customer_name, ticket.customer_email, True)
        for entry in timeline:
            if isinstance(entry["data"].get("text"), str):
                entry["data"] = {**entry["data"], "text": privacy.mask_text(entry["data"]["text"])}
        if record is not None:
            record["description"] = privacy.mask_text(record["description"])
    data["timeline"] = timeline
    data["notes"] = [entry for entry in timeline if entry["kind"] == "note"]
    data["sla_events"] = [entry for entry in timeline if entry["kind"].startswith("sla_")]
    data["complaint"] = record
    return data
