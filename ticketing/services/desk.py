"""The agent desk: what agents do to tickets, with the customer-side effects of each action.

Each function runs one transaction, then publishes the live events (customer widget, agent
consoles) and, where needed, talks to Rasa. Views stay thin; rules live in tickets.py.
Resolving a ticket (and the survey it starts) is in resolution.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from .. import outbox, tickets
from ..bus import QUEUE_CHANNEL, agent_channel, ticket_channel
from ..context import Hub
from ..errors import TooLarge, invalid
from ..i18n import t
from ..models import Conversation, Message, Ticket, User, utcnow
from ..serializers import message_json
from .chat import publish_status
from .turns import publish_messages
from .uow import unit_of_work

log = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_BUTTONS = 6
# A customer not seen for this long gets agent replies and the survey by e-mail too.
AWAY_AFTER = timedelta(minutes=2)


def validate_text(text: Any, field: str = "text") -> str:
    if not isinstance(text, str) or not text.strip():
        raise invalid(f"{field} must not be empty", field=field)
    if len(text) > MAX_TEXT:
        raise TooLarge("too_long", f"{field} is longer than {MAX_TEXT} characters")
    return text.strip()


def validate_buttons(buttons: Any) -> list[dict[str, str]]:
    if buttons in (None, []):
        return []
    if not isinstance(buttons, list) or len(buttons) > MAX_BUTTONS:
        raise invalid(f"buttons must be a list of at most {MAX_BUTTONS}", field="buttons")
    clean = []
    for button in buttons:
        if (
            not isinstance(button, dict)
            or not isinstance(button.get("title"), str)
            or not button["title"].strip()
            or len(button["title"]) > 80
            or not isinstance(button.get("payload", button["title"]), str)
            or len(button.get("payload", "")) > 500
        ):
            raise invalid("each button needs a title (and optional payload)", field="buttons")
        clean.append(
            {
                "title": button["title"].strip(),
                "payload": button.get("payload") or button["title"].strip(),
            }
        )
    return clean


async def _publish(hub: Hub, conversation: Conversation, messages: list[Message]) -> None:
    await publish_messages(hub, conversation.public_id, messages)


async def _staff_event(hub: Hub, number: str, event: dict[str, Any]) -> None:
    await hub.bus.publish(ticket_channel(number), event)
    await hub.bus.publish(QUEUE_CHANNEL, {"type": "queue_changed"})


async def _load(db, number: str, lock: bool = True) -> tuple[Ticket, Conversation | None]:
    """The ticket and its conversation, locked in the hub's one lock order.

    Every transaction that touches both rows locks the conversation before the ticket (a
    customer message does the same), so concurrent writers queue instead of deadlocking.
    """
    ticket = await tickets.by_number(db, number)
    conversation = None
    if ticket.conversation_id:
        conversation = await db.get(Conversation, ticket.conversation_id, with_for_update=lock)
    if lock:
        await db.refresh(ticket, with_for_update=True)
    return ticket, conversation


def agent_joins(db, conversation: Conversation | None, agent: User) -> Message | None:
    """The agent now owns the conversation; the customer is told who joined."""
    if conversation is None or conversation.status == "closed":
        return None
    conversation.status, conversation.agent_id = "agent", agent.id
    joined = Message(
        conversation_id=conversation.id,
        sender="system",
        text=t("agent_joined", conversation.locale, name=agent.name),
    )
    db.add(joined)
    return joined


async def claim(hub: Hub, user: User, number: str) -> Ticket:
    async with unit_of_work(hub) as uow:
        db = uow.db
        agent = await db.get(User, user.id)
        ticket, conversation = await _load(db, number, lock=False)
        claimed = await tickets.claim(db, agent, ticket)
        joined = agent_joins(db, conversation, agent) if claimed else None

        async def committed() -> None:
            if claimed:
                if conversation is not None:
                    if joined is not None:
                        await _publish(hub, conversation, [joined])
                    await publish_status(hub, conversation)
                await _staff_event(
                    hub, ticket.number, {"type": "ticket_changed", "ticket": ticket.number}
                )

        uow.after_commit(committed)
    return ticket


async def agent_message(
    hub: Hub, user: User, number: str, text: Any, buttons: Any = None
) -> dict[str, Any]:
    now = utcnow()
    async with unit_of_work(hub) as uow:
        db = uow.db
        ticket, conversation = await _load(db, number)
        await tickets.check_team_rights(db, user, ticket)
        text = validate_text(text)
        buttons = validate_buttons(buttons)
        tickets.check_owner(user, ticket)
        if conversation is None:
            raise invalid("this ticket has no conversation to write to")
        if ticket.status in ("resolved", "closed"):
            raise invalid(f"the ticket is {ticket.status}; reopen it to write to the customer")
        message = Message(
            conversation_id=conversation.id,
            sender="agent",
            text=text,
            buttons=buttons,
            author_id=user.id,
            created_at=now,
        )
        db.add(message)
        if conversation.status in ("queued", "closed", "bot"):
            conversation.status, conversation.agent_id = "agent", user.id
            conversation.closed_at = None
        first = tickets.on_agent_message(hub.shop, ticket, now)
        await db.flush()
        tickets.add_event(
            db, ticket, "message", actor_id=user.id, message_id=message.id, first_response=first
        )
        await outbox.emit(
            db,
            "message.created",
            {
                "session_id": conversation.public_id,
                "ticket": ticket.number,
                "message": message_json(message),
            },
        )
        emailed = await _email_if_away(hub, db, ticket, conversation, user, text, now)
        staff_view = {**message_json(message), "author": user.name}

        async def committed() -> None:
            await _publish(hub, conversation, [message])
            await publish_status(hub, conversation)
            await _staff_event(
                hub,
                ticket.number,
                {"type": "message", "ticket": ticket.number, "message": staff_view},
            )

        uow.after_commit(committed)
    return {"message": staff_view, "emailed": emailed}


def customer_away(ticket: Ticket, conversation: Conversation, now) -> bool:
    """The customer is not in the chat (an offline ticket, or no widget seen lately): what
    they must know goes by e-mail as well."""
    seen = conversation.customer_seen_at
    return ticket.kind == "offline" or seen is None or now - seen > AWAY_AFTER


async def _email_if_away(hub, db, ticket, conversation, agent, text, now) -> bool:
    """Offline tickets and customers who left get the reply by e-mail as well."""
    email = conversation.customer_email or ticket.customer_email
    if not email or not customer_away(ticket, conversation, now):
        return False
    locale = conversation.locale
    await outbox.enqueue_email(
        db,
        email,
        t("email_reply_subject", locale, number=ticket.number),
        t(
            "email_reply_body",
            locale,
            name=conversation.customer_name or ticket.customer_name or "",
            text=text,
            agent=agent.name,
            shop=hub.shop.name,
            number=ticket.number,
        ),
        ticket=ticket.number,
    )
    ticket.customer_notified_at = now
    return True


async def add_note(hub: Hub, user: User, number: str, text: Any) -> dict[str, Any]:
    async with unit_of_work(hub) as uow:
        db = uow.db
        ticket, _ = await _load(db, number, lock=False)
        await tickets.check_team_rights(db, user, ticket)
        text = validate_text(text)
        event = tickets.add_event(db, ticket, "note", actor_id=user.id, text=text)
        await db.flush()
        data = tickets.event_json(event, user.name)

        async def committed() -> None:
            await hub.bus.publish(
                ticket_channel(ticket.number),
                {"type": "note", "ticket": ticket.number, "note": data},
            )

        uow.after_commit(committed)
    return data


async def set_status(hub: Hub, user: User, number: str, status: str) -> Ticket:
    async with unit_of_work(hub) as uow:
        db = uow.db
        ticket, conversation = await _load(db, number)
        await tickets.check_team_rights(db, user, ticket)
        if ticket.assignee_id not in (None, user.id):
            tickets.check_owner(user, ticket)
        await tickets.set_status(db, hub.shop, ticket, status, user)
        if (
            status == "closed"
            and conversation is not None
            and conversation.status in ("agent", "queued")
        ):
            conversation.status, conversation.agent_id = "bot", None

        async def committed() -> None:
            if conversation is not None:
                await publish_status(hub, conversation)
            await _staff_event(
                hub, ticket.number, {"type": "ticket_changed", "ticket": ticket.number}
            )

        uow.after_commit(committed)
    return ticket


async def update_fields(hub: Hub, user: User, number: str, changes: dict[str, Any]) -> Ticket:
    async with unit_of_work(hub) as uow:
        db = uow.db
        ticket, _ = await _load(db, number)
        await tickets.check_team_rights(db, user, ticket)
        await tickets.update_fields(db, hub.shop, ticket, user, dict(changes))

        async def committed() -> None:
            await _staff_event(
                hub, ticket.number, {"type": "ticket_changed", "ticket": ticket.number}
            )

        uow.after_commit(committed)
    return ticket


async def update_complaint(hub: Hub, user: User, number: str, changes: dict[str, Any]) -> None:
    async with unit_of_work(hub) as uow:
        db = uow.db
        ticket, _ = await _load(db, number)
        await tickets.check_team_rights(db, user, ticket)
        await tickets.update_complaint(db, ticket, user, dict(changes))

        async def committed() -> None:
            await _staff_event(
                hub, ticket.number, {"type": "ticket_changed", "ticket": ticket.number}
            )

        uow.after_commit(committed)


async def unassign(hub: Hub, user: User, number: str) -> Ticket:
    async with unit_of_work(hub) as uow:
        db = uow.db
        ticket, conversation = await _load(db, number)
        await tickets.check_team_rights(db, user, ticket)
        tickets.check_owner(user, ticket)
        tickets.unassign(db, ticket, user)
        left = _requeue(db, conversation, user)

        async def committed() -> None:
            await _after_requeue(hub, conversation, left, ticket)

        uow.after_commit(committed)
    return ticket


def _requeue(db, conversation: Conversation | None, agent: User) -> Message | None:
    if conversation is None or conversation.status != "agent":
        return None
    conversation.status, conversation.agent_id = "queued", None
    message = Message(
        conversation_id=conversation.id,
        sender="system",
        text=t("agent_left", conversation.locale, name=agent.name),
    )
    db.add(message)
    return message


async def _after_requeue(hub, conversation, message, ticket) -> None:
    if conversation is not None:
        if message is not None:
            await _publish(hub, conversation, [message])
        await publish_status(hub, conversation)
    await _staff_event(hub, ticket.number, {"type": "ticket_changed", "ticket": ticket.number})


async def transfer(
    hub: Hub, user: User, number: str, body: Any, *, escalate: bool = False
) -> Ticket:
    async with unit_of_work(hub) as uow:
        db = uow.db
        ticket, conversation = await _load(db, number)
        await tickets.check_team_rights(db, user, ticket)
        team, agent_id = body.get("team"), body.get("agent_id")
        if ticket.assignee_id not in (None, user.id):
            tickets.check_owner(user, ticket)
        if escalate and team is None:
            from ..models import Team

            team = await db.scalar(select(Team.key).where(Team.dedicated.is_(True)).limit(1))
        target = await tickets.transfer(
            db, ticket, user, team_key=team, agent_id=agent_id, escalate=escalate
        )
        message = None
        if target is None:
            message = _requeue(db, conversation, user)
        elif conversation is not None and conversation.status in ("agent", "queued"):
            message = agent_joins(db, conversation, target)

        async def committed() -> None:
            await _after_requeue(hub, conversation, message, ticket)
            if target is not None:
                await hub.bus.publish(
                    agent_channel(target.id), {"type": "assigned", "ticket": ticket.number}
                )

        uow.after_commit(committed)
    return ticket


async def return_to_bot(hub: Hub, user: User, number: str) -> Ticket:
    async with unit_of_work(hub) as uow:
        db = uow.db
        ticket, conversation = await _load(db, number)
        await tickets.check_team_rights(db, user, ticket)
        tickets.check_owner(user, ticket)
        if conversation is None or conversation.status not in ("agent", "queued"):
            raise invalid("the conversation is not with an agent")
        conversation.status, conversation.agent_id = "bot", None
        message = Message(
            conversation_id=conversation.id,
            sender="system",
            text=t("back_to_bot", conversation.locale),
        )
        db.add(message)
        tickets.add_event(db, ticket, "returned_to_bot", actor_id=user.id)

        async def committed() -> None:
            await _publish(hub, conversation, [message])
            await publish_status(hub, conversation)
            await _staff_event(
                hub, ticket.number, {"type": "ticket_changed", "ticket": ticket.number}
            )

        uow.after_commit(committed)
    return ticket


async def auto_assign_waiting(hub: Hub) -> int:
    """Give waiting tickets to free online agents (AUTO_ASSIGN); the number assigned."""
    from .. import routing

    joined: list[tuple[Conversation, Message, User]] = []
    async with unit_of_work(hub) as uow:
        db = uow.db
        for ticket, agent in await routing.assign_waiting(db):
            conversation = (
                await db.get(Conversation, ticket.conversation_id)
                if ticket.conversation_id
                else None
            )
            message = agent_joins(db, conversation, agent)
            if message is not None:
                joined.append((conversation, message, agent))

        async def committed() -> None:
            for conversation, message, agent in joined:
                await _publish(hub, conversation, [message])
                await publish_status(hub, conversation)
                await hub.bus.publish(agent_channel(agent.id), {"type": "assigned"})
            if joined:
                await hub.bus.publish(QUEUE_CHANNEL, {"type": "queue_changed"})

        uow.after_commit(committed)
    return len(joined)
