"""What an agent sees of a ticket: the ticket, the whole transcript with the bot's part,
the customer with their history, the timeline with notes, the complaint record, the rating
and the SLA clocks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import customers, tickets
from .models import Complaint, Conversation, Message, Rating, Team, Ticket, TicketEvent, User
from .serializers import iso, message_json
from .shop import Shop


def staff_message_json(message: Message, authors: dict[int, str]) -> dict[str, Any]:
    data = message_json(message)
    if message.sender == "customer":
        data.update(
            intent=message.intent,
            confidence=message.confidence,
            entities=message.entities or [],
            emotion=message.emotion,
            payload=message.payload,
            decision=message.decision,
            ood_score=message.ood_score,
            ood_reason=message.ood_reason,
            faq_topic=message.faq_topic,
            faq_confidence=message.faq_confidence,
            kb_section=message.kb_section,
            kb_score=message.kb_score,
        )
    if message.author_id:
        data["author"] = authors.get(message.author_id)
    return data


async def user_names(db: AsyncSession, ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = await db.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {r.id: r.name for r in rows}


async def team_map(db: AsyncSession) -> dict[int, Team]:
    return {t.id: t for t in (await db.execute(select(Team))).scalars()}


def ticket_json(
    ticket: Ticket, shop: Shop, teams: dict[int, Team], names: dict[int, str]
) -> dict[str, Any]:
    team = teams.get(ticket.team_id) if ticket.team_id else None
    return {
        "number": ticket.number,
        "kind": ticket.kind,
        "reason": ticket.reason,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "tags": ticket.tags or [],
        "subject": ticket.subject,
        "summary": ticket.summary,
        "team": {"key": team.key, "name": team.name} if team else None,
        "assignee": (
            {"id": ticket.assignee_id, "name": names.get(ticket.assignee_id)}
            if ticket.assignee_id
            else None
        ),
        "escalated": ticket.escalated,
        "customer": {
            "name": ticket.customer_name,
            "email": ticket.customer_email,
            "verified": ticket.customer_id is not None,
        },
        "created_at": iso(ticket.created_at),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "closed_at": iso(ticket.closed_at),
        "sla_state": ticket.sla_state,
        "breached": ticket.breached,
        "sla": tickets.sla_json(shop, ticket),
        "reopened_count": ticket.reopened_count,
    }


def complaint_json(complaint: Complaint) -> dict[str, Any]:
    return {
        "category": complaint.category,
        "description": complaint.description,
        "order_number": complaint.order_number,
        "order_facts": complaint.order_facts,
        "emotion": complaint.emotion,
        "stage": complaint.stage,
        "verification": complaint.verification,
        "root_cause": complaint.root_cause,
        "corrective_action": complaint.corrective_action,
        "resolution": complaint.resolution,
        "result_notified_at": iso(complaint.result_notified_at),
        "satisfaction": complaint.satisfaction,
        "evaluation_note": complaint.evaluation_note,
    }


def rating_json(rating: Rating) -> dict[str, Any]:
    return {
        "csat": rating.csat,
        "resolved": rating.resolved,
        "speed": rating.speed,
        "problem_solving": rating.problem_solving,
        "attitude": rating.attitude,
        "comment": rating.comment,
        "stage": rating.stage,
        "about": rating.about,
        "skipped": rating.skipped,
        "agent_id": rating.agent_id,
        "created_at": iso(rating.created_at),
        "updated_at": iso(rating.updated_at),
    }


async def messages_of(db: AsyncSession, conversation_id: int) -> list[Message]:
    """Every message of a conversation in order."""
    rows = await db.execute(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    )
    return list(rows.scalars())


async def detail(db: AsyncSession, shop: Shop, ticket: Ticket) -> dict[str, Any]:
    conversation = (
        await db.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
    )
    events = (
        (
            await db.execute(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.id)
            )
        )
        .scalars()
        .all()
    )
    messages = await messages_of(db, conversation.id) if conversation else []
    names = await user_names(
        db,
        {e.actor_id for e in events} | {m.author_id for m in messages} | {ticket.assignee_id or 0},
    )
    complaint = await tickets.complaint_of(db, ticket)
    rating = (
        (
            await db.execute(select(Rating).where(Rating.conversation_id == conversation.id))
        ).scalar_one_or_none()
        if conversation
        else None
    )
    timeline = [tickets.event_json(e, names.get(e.actor_id)) for e in events]
    return {
        "ticket": ticket_json(ticket, shop, await team_map(db), names),
        "queue_position": await tickets.queue_position(db, ticket),
        "conversation": (
            {
                "session_id": conversation.public_id,
                "status": conversation.status,
                "locale": conversation.locale,
                "customer_seen_at": iso(conversation.customer_seen_at),
                "messages": [staff_message_json(m, names) for m in messages],
            }
            if conversation
            else None
        ),
        # a profile only behind a verified identity; otherwise the customer's claim, so marked
        "customer": (
            {**await customers.profile(db, ticket.customer_id), "verified": True}
            if ticket.customer_id
            else {"name": ticket.customer_name, "email": ticket.customer_email, "verified": False}
        ),
        "timeline": timeline,
        "notes": [e for e in timeline if e["kind"] == "note"],
        "complaint": complaint_json(complaint) if complaint else None,
        "rating": rating_json(rating) if rating else None,
    }
