"""Removing the personal data of conversations while keeping what the reports count.

What stays: every row, its times, statuses, intents, confidences, decisions, topics, CSAT
scores, ticket categories and priorities, so every aggregate figure (containment, CSAT, SLA,
complaint trends) is the same before and after. What goes: every text a person wrote or was
shown (messages, ticket subjects and summaries, complaint descriptions and findings, notes,
rating comments), contact details, button payloads and extracted entities, the labels that
would put a removed text into training data, queued e-mails and webhook payloads about these
chats, and the dialogue state Rasa keeps (an outbox item asks Rasa to forget the tracker).

Idempotent: running it again on the same conversations changes nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import (
    Complaint,
    Conversation,
    Message,
    NluLabel,
    OutboxItem,
    Rating,
    Ticket,
    TicketEvent,
    utcnow,
)

REMOVED = "[removed]"
# free-text keys of ticket events (notes, survey answers)
EVENT_TEXT_KEYS = ("text", "comment", "note", "description")
COMPLAINT_TEXTS = (
    "verification",
    "root_cause",
    "corrective_action",
    "resolution",
    "evaluation_note",
)
RASA_ERASE = "rasa_erase"  # outbox kind: Rasa forgets a tracker (services/delivery.py)


async def scrub_conversations(db: AsyncSession, conversation_ids: Iterable[int]) -> dict[str, int]:
    """Anonymise these conversations and everything hanging off them; counts of what changed."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return {"conversations": 0, "messages": 0, "tickets": 0}
    now = utcnow()
    public_ids = list(
        (await db.execute(select(Conversation.public_id).where(Conversation.id.in_(ids)))).scalars()
    )
    message_ids = select(Message.id).where(Message.conversation_id.in_(ids))
    await db.execute(delete(NluLabel).where(NluLabel.message_id.in_(message_ids)))
    messages = await db.execute(
        update(Message)
        .where(Message.conversation_id.in_(ids))
        .where(or_(Message.text != REMOVED, Message.payload.is_not(None)))
        .values(text=REMOVED, payload=None, entities=None, custom=None, buttons=[])
    )
    await db.execute(
        update(Conversation)
        .where(Conversation.id.in_(ids))
        .values(
            customer_name=None, customer_email=None, customer_email_hash=None, anonymised_at=now
        )
    )
    await db.execute(update(Rating).where(Rating.conversation_id.in_(ids)).values(comment=None))
    ticket_ids = list(
        (await db.execute(select(Ticket.id).where(Ticket.conversation_id.in_(ids)))).scalars()
    )
    await scrub_tickets(db, ticket_ids)
    await scrub_outbox(db, [*public_ids, *await _ticket_numbers(db, ticket_ids)])
    for public_id in public_ids:
        db.add(OutboxItem(kind=RASA_ERASE, payload={"sender_id": public_id}))
    return {
        "conversations": len(ids),
        "messages": messages.rowcount or 0,
        "tickets": len(ticket_ids),
    }


async def _ticket_numbers(db: AsyncSession, ticket_ids: list[int]) -> list[str]:
    if not ticket_ids:
        return []
    rows = await db.execute(select(Ticket.number).where(Ticket.id.in_(ticket_ids)))
    return [number for number in rows.scalars() if number]


async def scrub_tickets(db: AsyncSession, ticket_ids: list[int]) -> None:
    """Contact details and free text of these tickets, their complaints and their events."""
    if not ticket_ids:
        return
    await db.execute(
        update(Ticket)
        .where(Ticket.id.in_(ticket_ids))
        .values(customer_name=None, customer_email=None, customer_email_hash=None, summary=None)
    )
    # a text that was there stays marked as removed (a report may count findings)
    for table, key, names in (
        (Ticket, Ticket.id, ("subject",)),
        (Complaint, Complaint.ticket_id, ("description", *COMPLAINT_TEXTS)),
    ):
        for name in names:
            column = getattr(table, name)
            await db.execute(
                update(table)
                .where(key.in_(ticket_ids), column.is_not(None), column != REMOVED)
                .values({name: REMOVED})
            )
    await db.execute(
        update(Complaint).where(Complaint.ticket_id.in_(ticket_ids)).values(order_facts=None)
    )
    events = await db.execute(select(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids)))
    for event in events.scalars():
        data = dict(event.data or {})
        changed = False
        for key in EVENT_TEXT_KEYS:
            if isinstance(data.get(key), str) and data[key] != REMOVED:
                data[key] = REMOVED
                changed = True
        if changed:
            event.data = data


async def scrub_outbox(db: AsyncSession, needles: list[str]) -> int:
    """Queued or kept deliveries whose payload mentions any of ``needles`` (an e-mail
    address, a chat's public id, a ticket number): payload removed, pending ones cancelled."""
    needles = [needle.lower() for needle in needles if needle]
    if not needles:
        return 0
    touched = 0
    rows = await db.execute(select(OutboxItem).where(OutboxItem.kind != RASA_ERASE))
    for item in rows.scalars():
        body = json.dumps(item.payload, ensure_ascii=False).lower()
        if not any(needle in body for needle in needles):
            continue
        item.payload = {"removed": True}
        if item.status in ("pending", "sending"):
            item.status = "cancelled"
            item.last_error = "removed by a privacy request"
        touched += 1
    return touched
