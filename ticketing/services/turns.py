"""The assistant's turn: the customer's message to Rasa, its replies stored and published, and
the apology when Rasa fails (``bot_turn``); an unanswered turn finished when the customer's
retry finds it (``finish_unanswered``, e.g. its hub died under it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from ..bus import conversation_channel
from ..context import Hub
from ..i18n import t
from ..models import Conversation, Message
from ..rasa_client import BotTurn, RasaUnavailable
from ..serializers import message_json
from . import privacy
from .uow import unit_of_work

if TYPE_CHECKING:
    from .chat import NewMessage

log = logging.getLogger(__name__)

# what the bot's turn tells about the customer's message (BotTurn fields = Message columns)
TURN_FIELDS = ("intent", "confidence", "entities", "emotion", "decision", "ood_score",
               "ood_reason", "faq_topic", "faq_confidence", "kb_section", "kb_score")  # fmt: skip

REQUEST_HUMAN_PAYLOAD = "/request_human"


async def store(hub: Hub, messages: list[Message]) -> None:
    async with unit_of_work(hub) as uow:
        db = uow.db
        db.add_all(messages)


async def publish_messages(hub: Hub, public_id: str, messages: list[Message]) -> None:
    channel = conversation_channel(public_id)
    for message in messages:
        event = {"type": "message", "session_id": public_id, "message": message_json(message)}
        await hub.bus.publish(channel, event)


async def bot_turn(
    hub: Hub, conversation: Conversation, customer_message: Message, new: NewMessage
) -> list[Message]:
    # no name or e-mail address: Rasa's trackers keep whatever they are sent, and the actions
    # ask the hub for the customer when a task needs them (the sender id is the reference)
    metadata = {"locale": conversation.locale}
    try:
        turn: BotTurn = await hub.rasa.send(
            conversation.public_id,
            new.for_bot,
            str(customer_message.id),
            metadata,
            # a long queue at Rasa: the widget says the customer's place is kept
            on_busy=lambda: hub.bus.publish(
                conversation_channel(conversation.public_id), {"type": "busy"}
            ),
        )
    except RasaUnavailable as exc:
        log.warning("Rasa unavailable for %s: %s", conversation.public_id, exc)
        return await bot_unavailable(hub, conversation, customer_message, new)
    if not turn.replies:
        # every customer turn gets an answer; none means the turn failed inside Rasa (an
        # action server that died mid-call): the apology and a person, not silence
        log.warning("Rasa answered %s with no message", conversation.public_id)
        return await bot_unavailable(hub, conversation, customer_message, new)

    async with unit_of_work(hub) as uow:
        db = uow.db
        # the NLU result onto the stored turn: one UPDATE, no read of the row first
        await db.execute(
            update(Message)
            .where(Message.id == customer_message.id)
            .values({name: getattr(turn, name) for name in TURN_FIELDS})
            .execution_options(synchronize_session=False)
        )
        replies = bot_messages(conversation.id, turn, customer_message.id)
        if replies and rateable(turn):
            # "Was this helpful?" goes under the answer itself (the last text of the turn)
            answer = next((m for m in reversed(replies) if m.text and not m.buttons), None)
            if answer is not None:
                answer.rateable = True
        offer = await privacy.unsubscribe_offer(db, conversation, turn, customer_message.id)
        replies += [offer] if offer is not None else []
        db.add_all(replies)

        async def committed() -> None:
            await publish_messages(hub, conversation.public_id, replies)

        uow.after_commit(committed)
    return replies


def rateable(turn: BotTurn) -> bool:
    """The customer may rate the answer: a FAQ topic or help-centre section it answered."""
    return turn.decision == "answered" and bool(turn.faq_topic or turn.kb_section)


def bot_messages(conversation_id: int, turn: BotTurn, reply_to: int | None) -> list[Message]:
    return [
        Message(
            conversation_id=conversation_id,
            sender="bot",
            text=reply.text,
            buttons=reply.buttons,
            custom=reply.custom,
            reply_to_id=reply_to,
        )
        for reply in turn.replies
    ]


async def bot_unavailable(
    hub: Hub, conversation: Conversation, customer_message: Message, new: NewMessage
) -> list[Message]:
    """Rasa failed: apologise and offer a human; a click on that offer hands off directly."""
    locale = conversation.locale
    if new.payload == REQUEST_HUMAN_PAYLOAD:
        from .handoff import hand_off_in  # the hand-off service builds on this module

        async with unit_of_work(hub) as uow:
            current = await uow.db.get(Conversation, conversation.id, with_for_update=True)
            done = await hand_off_in(uow, current, "bot_unavailable")
            reply = Message(
                conversation_id=conversation.id,
                sender="system",
                text=t(
                    "handoff_fallback",
                    locale,
                    number=done.handoff.ticket.number,
                    position=done.handoff.queue_position,
                ),
                reply_to_id=customer_message.id,
            )
            uow.db.add(reply)
            # after the status (and the agent's arrival) that the hand-off publishes
            uow.after_commit(lambda: publish_messages(hub, conversation.public_id, [reply]))
        return [reply]

    reply = Message(
        conversation_id=conversation.id,
        sender="system",
        text=t("rasa_unavailable", locale),
        buttons=[{"title": t("talk_to_person", locale), "payload": REQUEST_HUMAN_PAYLOAD}],
        reply_to_id=customer_message.id,
    )
    await store(hub, [reply])
    await publish_messages(hub, conversation.public_id, [reply])
    return [reply]


async def finish_unanswered(
    hub: Hub, conversation: Conversation, message_id: int, new: NewMessage
) -> list[Message]:
    """The replies to a customer's message that was stored but never answered, when the
    customer sends it again (same Idempotency-Key): the hub that took it died before Rasa's
    answer was stored (scale-out: ``kill -9`` under load). Only in bot mode, only for the
    chat's latest message (post_customer_message has checked that this hub is not answering
    it: the reply then comes over the socket). A hub still alive elsewhere would answer it
    too: a second answer is the price, against a question left without one."""
    if conversation.status != "bot":
        return []
    async with hub.sessions() as db:
        latest = await db.scalar(
            select(Message.id)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.id.desc())
            .limit(1)
        )
        if latest != message_id:
            return []
        message = await db.get(Message, message_id)
    log.info("answering an unanswered message of %s", conversation.public_id)
    return await bot_turn(hub, conversation, message, new)
