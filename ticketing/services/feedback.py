"""After the answers: the customer rates one ("Was this helpful?"), closes the chat, and the
assistant's satisfaction survey starts (in the widget; e-mailed for those who left: surveys)."""

from __future__ import annotations

import logging
from typing import Any

from .. import limits, tickets
from ..context import Hub
from ..errors import Conflict, NotFound, invalid
from ..i18n import t
from ..models import Conversation, Message, Ticket, utcnow
from ..rasa_client import RasaUnavailable
from ..serializers import message_json
from .chat import SURVEY_INTENT, UNHELPFUL_INTENT, publish_status, session_state
from .turns import bot_messages, publish_messages, store
from .uow import unit_of_work

log = logging.getLogger(__name__)


async def answer_feedback(
    hub: Hub, conversation: Conversation, message_id: int, body: Any
) -> dict[str, Any]:
    """The customer rates one answer ("Was this helpful?"); a 👎 in bot mode asks the bot for
    the next-best topics and a person. Returns the rated message and any new bot replies."""
    if not isinstance(body, dict) or not isinstance(body.get("helpful"), bool):
        raise invalid('send {"helpful": true} or {"helpful": false}', field="helpful")
    await limits.hit(hub.limiter, "feedback_session", conversation.public_id)
    helpful: bool = body["helpful"]
    async with hub.sessions() as db, db.begin():
        message = await db.get(Message, message_id, with_for_update=True)
        if message is None or message.conversation_id != conversation.id:
            raise NotFound("not_found", "message was not found in this chat session")
        if message.sender != "bot" or not message.rateable:
            raise Conflict(
                "not_rateable", "only the assistant's answers can be rated", field="helpful"
            )
        changed = message.helpful is not helpful
        message.helpful, message.feedback_at = helpful, utcnow()
        current = await db.get(Conversation, conversation.id)
        in_bot_mode = current.status == "bot"
        answered_turn = message.reply_to_id
        rated = message_json(message)
    await publish_messages(hub, conversation.public_id, [message])
    replies: list[Message] = []
    if changed and not helpful and in_bot_mode:
        entities = {"feedback_message_id": str(answered_turn)} if answered_turn else {}
        try:
            turn = await hub.rasa.trigger_intent(conversation.public_id, UNHELPFUL_INTENT, entities)
        except RasaUnavailable as exc:
            log.warning("no alternatives for %s: %s", conversation.public_id, exc)
        else:
            replies = bot_messages(conversation.id, turn, answered_turn)
            if replies:
                await store(hub, replies)
                await publish_messages(hub, conversation.public_id, replies)
    return {"message": rated, "messages": [message_json(m) for m in replies]}


async def close_session(hub: Hub, conversation: Conversation) -> dict[str, Any]:
    async with unit_of_work(hub) as uow:
        db = uow.db
        current = await db.get(Conversation, conversation.id, with_for_update=True)
        goodbye = None
        # The survey is offered once, to customers who said something.
        offer_survey = (
            current.survey_offered_at is None and current.last_customer_message_at is not None
        )
        if current.status != "closed":
            current.status, current.closed_at = "closed", utcnow()
            goodbye = Message(
                conversation_id=conversation.id,
                sender="system",
                text=t("chat_closed", current.locale),
            )
            db.add(goodbye)

        async def committed() -> None:
            if goodbye is not None:
                await publish_messages(hub, conversation.public_id, [goodbye])
                await publish_status(hub, conversation)
                if offer_survey:
                    ticket = None
                    async with hub.sessions() as db:
                        ticket = await tickets.latest_ticket(db, conversation.id)
                    await start_survey(hub, conversation, ticket)

        uow.after_commit(committed)
    return await session_state(hub, conversation.id)


async def start_survey(hub: Hub, conversation: Conversation, ticket: Ticket | None) -> None:
    """Let the assistant run its satisfaction survey in the widget."""
    entities = {
        "ticket_number": ticket.number if ticket else None,
        "ticket_kind": ticket.kind if ticket else None,
    }
    try:
        turn = await hub.rasa.trigger_intent(conversation.public_id, SURVEY_INTENT, entities)
    except RasaUnavailable as exc:
        log.warning("could not start the survey for %s: %s", conversation.public_id, exc)
        return
    replies = bot_messages(conversation.id, turn, None)
    if not replies:
        return
    async with unit_of_work(hub) as uow:
        db = uow.db
        db.add_all(replies)
        current = await db.get(Conversation, conversation.id)
        current.survey_offered_at = current.survey_offered_at or utcnow()

        async def committed() -> None:
            await publish_messages(hub, conversation.public_id, replies)

        uow.after_commit(committed)
