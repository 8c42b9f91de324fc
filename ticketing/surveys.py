"""The satisfaction survey: one per conversation, each answer stored as it comes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import outbox, tickets
from .bus import ticket_channel
from .errors import invalid
from .models import Complaint, Conversation, Rating, User, utcnow

SCORES = ("csat", "speed", "problem_solving", "attitude")
MAX_COMMENT = 2000


def validate_answers(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        raise invalid("send at least one answer")
    allowed = {*SCORES, "resolved", "comment", "skipped"}
    unknown = set(body) - allowed
    if unknown:
        raise invalid(f"unknown answer(s): {', '.join(sorted(unknown))}", allowed=sorted(allowed))
    answers: dict[str, Any] = {}
    for name in SCORES:
        if name in body:
            value = body[name]
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if isinstance(value, bool) or value not in (1, 2, 3, 4, 5):
                raise invalid(f"{name} must be a whole number from 1 to 5", field=name)
            answers[name] = value
    for name in ("resolved", "skipped"):
        if name in body:
            if not isinstance(body[name], bool):
                raise invalid(f"{name} must be true or false", field=name)
            answers[name] = body[name]
    if "comment" in body:
        comment = body["comment"]
        if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
            raise invalid(f"comment must be text of at most {MAX_COMMENT} characters")
        answers["comment"] = comment.strip() if comment else None
    return answers


async def _context(db: AsyncSession, conversation: Conversation):
    """The ticket the survey is about, whether a human handled it, and what to ask about."""
    ticket = await tickets.latest_ticket(db, conversation.id)
    human = bool(ticket and (ticket.assignee_id or ticket.first_response_at))
    about = "resolution" if ticket is not None and ticket.kind == "complaint" else "service"
    return ticket, ("human" if human else "bot"), about


async def info(db: AsyncSession, conversation: Conversation) -> dict[str, Any]:
    rating = (
        await db.execute(select(Rating).where(Rating.conversation_id == conversation.id))
    ).scalar_one_or_none()
    ticket, stage, about = await _context(db, conversation)
    agent = await db.get(User, ticket.assignee_id) if ticket and ticket.assignee_id else None
    return {
        "offered": conversation.survey_offered_at is not None,
        "answered": bool(rating and (rating.csat is not None or rating.skipped)),
        "skipped": bool(rating and rating.skipped),
        "stage": stage,
        "about": about,
        "ticket": ticket.number if ticket else None,
        "agent": agent.name if agent else None,
    }


async def mark_offered(db: AsyncSession, conversation: Conversation) -> None:
    conversation.survey_offered_at = conversation.survey_offered_at or utcnow()
    ticket, _, about = await _context(db, conversation)
    if ticket is not None and about == "resolution":
        complaint = await tickets.complaint_of(db, ticket)
        if complaint is not None and complaint.stage == "resolved_notified":
            complaint.stage = "satisfaction_asked"


async def publish_rating(hub, ticket_number: str | None) -> None:
    """Tell the consoles showing the ticket that its rating changed."""
    if ticket_number:
        await hub.bus.publish(
            ticket_channel(ticket_number), {"type": "ticket_changed", "ticket": ticket_number}
        )


async def record(
    db: AsyncSession, conversation: Conversation, answers: dict[str, Any]
) -> tuple[Rating, bool]:
    """Store these answers on the conversation's rating (created on the first answer)."""
    rating = (
        await db.execute(
            select(Rating).where(Rating.conversation_id == conversation.id).with_for_update()
        )
    ).scalar_one_or_none()
    created = rating is None
    ticket, stage, about = await _context(db, conversation)
    now = utcnow()
    if rating is None:
        rating = Rating(
            created_at=now,  # one instant: a default at flush came after updated_at below
            conversation_id=conversation.id,
            ticket_id=ticket.id if ticket else None,
            agent_id=ticket.assignee_id if ticket else None,
            stage=stage,
            about=about,
        )
        db.add(rating)
    for name, value in answers.items():
        setattr(rating, name, value)
    rating.updated_at = now
    if conversation.survey_offered_at is None:
        conversation.survey_offered_at = now
    await db.flush()
    if ticket is not None and ("csat" in answers or "skipped" in answers):
        tickets.add_event(db, ticket, "rating", **answers)
        if about == "resolution" and "csat" in answers:
            complaint = (
                await db.execute(select(Complaint).where(Complaint.ticket_id == ticket.id))
            ).scalar_one_or_none()
            if complaint is not None:
                complaint.satisfaction = answers["csat"]
                if complaint.stage in ("resolved_notified", "satisfaction_asked"):
                    complaint.stage = "satisfaction_asked"
    if created:
        await outbox.emit(
            db,
            "rating.created",
            {
                "session_id": conversation.public_id,
                "ticket": ticket.number if ticket else None,
                "stage": stage,
                "about": about,
                **answers,
            },
        )
    return rating, created
