"""The one hand-off: a conversation goes to the human agents' queue.

Used by the assistant (``POST /internal/conversations/{id}/handoff``, the actions' hand-off)
and by the hub itself when Rasa is down and the customer asks for a person, so both paths
create or reopen the ticket, auto-assign (``AUTO_ASSIGN``) and tell the widget and the
consoles the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import conversations, customers, routing, tickets
from ..context import Hub
from ..models import Conversation, Message
from .chat import publish_status
from .desk import agent_joins
from .turns import publish_messages
from .uow import UnitOfWork, unit_of_work


@dataclass
class HandedOff:
    handoff: tickets.Handoff
    agents_online: int
    first_response_due_at: datetime | None


async def hand_off_in(
    uow: UnitOfWork,
    conversation: Conversation,
    reason: str,
    *,
    kind: str = "escalation",
    priority: str = "P3",
    summary: str | None = None,
    email: str | None = None,
) -> HandedOff:
    """Hand ``conversation`` (locked by the caller) off inside the caller's unit of work."""
    hub, db = uow.hub, uow.db
    tickets.validate_handoff(reason, kind, priority)
    if email:
        await customers.attach(db, conversation, email, None)
    result = await tickets.hand_off(
        db, hub.shop, conversation, reason, kind=kind, priority=priority, summary=summary
    )
    joined: Message | None = None
    if hub.settings.auto_assign and (result.created or result.reopened):
        agent = await routing.auto_assign(db, result.ticket)
        if agent is not None:
            joined = agent_joins(db, conversation, agent)
            result.queue_position = None
    agents = await tickets.online_agents(db, result.ticket.team_id)
    if joined is not None:
        uow.after_commit(lambda: publish_messages(hub, conversation.public_id, [joined]))
    uow.after_commit(lambda: publish_status(hub, conversation))
    return HandedOff(result, agents, result.ticket.first_response_due_at)


async def hand_off(hub: Hub, public_id: str, reason: str, **options) -> HandedOff:
    """Hand the conversation ``public_id`` off in a transaction of its own."""
    async with unit_of_work(hub) as uow:
        conversation = await conversation_for_update(uow.db, public_id)
        return await hand_off_in(uow, conversation, reason, **options)


async def conversation_for_update(db, public_id: str) -> Conversation:
    return await conversations.by_public_id(db, public_id, lock=True)
