"""The customer chat: sessions, messages, forwarding to the bot while it owns the conversation.

Every customer message is committed before anything else happens to it, so a slow or broken
Rasa server never loses what the customer wrote.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from .. import customers, identity, limits, outbox, redaction, tickets
from ..bus import QUEUE_CHANNEL, agent_channel, conversation_channel, team_channel, ticket_channel
from ..context import Hub
from ..errors import (
    Forbidden,
    Invalid,
    NotFound,
    TooLarge,
    Unauthorized,
    invalid,
)
from ..i18n import normalize_locale, t
from ..models import Conversation, Message, utcnow
from ..serializers import message_json, ticket_brief
from ..tokens import hash_token, new_token, same
from . import privacy, turns
from .turns import publish_messages
from .uow import unit_of_work

log = logging.getLogger(__name__)
SURVEY_INTENT = "EXTERNAL_survey"
UNHELPFUL_INTENT = "EXTERNAL_answer_unhelpful"
MAX_PAYLOAD_LENGTH = 500
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 320


@dataclass
class NewMessage:
    """A validated customer message: free text or the payload of a clicked button."""

    text: str
    payload: str | None
    # what ticketing.redaction took out of the text (card numbers, codes, passwords)
    redacted: tuple[str, ...] = ()

    @classmethod
    def from_body(cls, body: dict[str, Any], max_length: int) -> NewMessage:
        """From a body of the document's ``NewMessage`` shape (checked by the web layer);
        what the document cannot say is checked here: one of the two, not blank, the
        configured length."""
        text, payload = body.get("text"), body.get("payload")
        if payload is not None:
            if not payload.strip():
                raise invalid("payload must not be blank", field="payload")
            title = text if text and text.strip() else payload
            return cls(text=title.strip()[:max_length], payload=payload.strip())
        if text is None:
            raise invalid("either text or payload is required", field="text")
        if not text.strip():
            raise invalid("text must not be empty", field="text")
        if len(text) > max_length:
            raise TooLarge(
                "too_long", f"text is longer than {max_length} characters", limit=max_length
            )
        # secrets never reach the database, the consoles, webhooks or Rasa
        clean = redaction.redact(text.strip())
        return cls(text=clean.text, payload=None, redacted=clean.kinds)

    @property
    def for_bot(self) -> str:
        return self.payload or self.text


async def create_session(
    hub: Hub, body: dict[str, Any] | None, client: str | None = None
) -> tuple[Conversation, str]:
    """A new chat from a body of the document's ``NewSession`` shape (or none); ``client`` is
    the address the per-address limit counts against (None: no limit, a loopback client in
    development)."""
    body = body or {}
    locale = body.get("locale")
    customer = body.get("customer") or {}
    name = (customer.get("name") or "").strip() or None
    email = (customer.get("email") or "").strip() or None
    if email is not None and "@" not in email:
        raise invalid("customer.email is not an e-mail address", field="customer.email")
    verified = identity.verify(hub.settings.identity_secret, email, customer.get("user_hash"))
    given = privacy.parse_consent(body.get("consent"))
    if client is not None:
        await limits.hit(hub.limiter, "session_ip", client)

    token = new_token()
    conversation = Conversation(
        public_id=uuid.uuid4().hex,
        token_hash=hash_token(token),
        status="bot",
        locale=normalize_locale(locale),
        customer_name=name,
        customer_email=email.lower() if email else None,
    )
    async with unit_of_work(hub) as uow:
        db = uow.db
        db.add(conversation)
        await db.flush()
        profile = None
        if email:
            profile = await customers.attach(db, conversation, email, name, verified=verified)
        if given is not None:
            privacy.record_session_consent(db, hub, conversation, given, profile)
    return conversation, token


async def authenticate(hub: Hub, public_id: str, token: str | None) -> Conversation:
    """The conversation ``public_id`` if ``token`` is its token (401/403/404 otherwise)."""
    if not token:
        raise Unauthorized("unauthorized", "a session token is required")
    token_hash = hash_token(token)
    async with hub.sessions() as db:
        conversation = (
            await db.execute(select(Conversation).where(Conversation.public_id == public_id))
        ).scalar_one_or_none()
        if conversation is None:
            raise NotFound("not_found", "chat session was not found")
        if same(conversation.token_hash, token_hash):
            return conversation
        other = await db.scalar(
            select(Conversation.id).where(Conversation.token_hash == token_hash)
        )
    if other is not None:
        raise Forbidden("forbidden", "this token belongs to another chat session")
    raise Unauthorized("unauthorized", "the session token is not valid")


async def session_state(hub: Hub, conversation_id: int) -> dict[str, Any]:
    async with hub.sessions() as db:
        conversation = await db.get(Conversation, conversation_id)
        ticket = await tickets.latest_ticket(db, conversation_id)
        position = await tickets.queue_position(db, ticket) if ticket else None
    return {
        "session_id": conversation.public_id,
        "status": conversation.status,
        "locale": conversation.locale,
        "ticket": ticket_brief(ticket),
        "queue_position": position,
        # the privacy notice the customer accepted (None: not yet; see GET /api/chat/privacy)
        "consent_version": conversation.consent_version,
    }


async def publish_status(hub: Hub, conversation: Conversation) -> None:
    state = await session_state(hub, conversation.id)
    await hub.bus.publish(conversation_channel(conversation.public_id), {"type": "status", **state})
    await hub.bus.publish(QUEUE_CHANNEL, {"type": "queue_changed"})


async def mark_seen(hub: Hub, conversation: Conversation) -> None:
    """Remember that the customer's widget is still here (at most once a minute)."""
    now = utcnow()
    seen = conversation.customer_seen_at
    if seen is not None and (now - seen).total_seconds() < 60:
        return
    conversation.customer_seen_at = now
    async with unit_of_work(hub) as uow:
        db = uow.db
        await db.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(customer_seen_at=now)
        )


async def customer_typing(hub: Hub, conversation: Conversation) -> None:
    """Tell the agent handling the conversation that the customer is typing."""
    async with hub.sessions() as db:
        ticket = await tickets.active_ticket(db, conversation.id)
    if ticket is not None:
        await hub.bus.publish(
            ticket_channel(ticket.number),
            {"type": "typing", "sender": "customer", "ticket": ticket.number},
        )


async def list_messages(hub: Hub, conversation_id: int, after: int, limit: int) -> list[dict]:
    async with hub.sessions() as db:
        rows = (
            await db.execute(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.id > after)
                .order_by(Message.id)
                .limit(limit)
            )
        ).scalars()
        return [message_json(m) for m in rows]


async def _replay(db: AsyncSession, conversation_id: int, key: str, new: NewMessage) -> list[dict]:
    original = (
        await db.execute(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.idempotency_key == key
            )
        )
    ).scalar_one()
    if (original.text, original.payload) != (new.text, new.payload):
        raise Invalid(
            "idempotency_key_reused", "this Idempotency-Key was used for a different message"
        )
    replies = (
        await db.execute(
            select(Message).where(Message.reply_to_id == original.id).order_by(Message.id)
        )
    ).scalars()
    return [message_json(original), *(message_json(m) for m in replies)]


def _staff_audience(ticket) -> list[str]:
    """A customer's message reaches the ticket's team and its assignee, not every agent (a
    ticket without a team is everyone's, as its rights are: the plain queue channel)."""
    channels = [team_channel(ticket.team_id) if ticket.team_id else QUEUE_CHANNEL]
    if ticket.assignee_id:
        channels.append(agent_channel(ticket.assignee_id))
    return channels


async def post_customer_message(
    hub: Hub,
    conversation: Conversation,
    new: NewMessage,
    idempotency_key: str | None,
    client: str | None = None,
) -> list[dict]:
    """Store the customer's message, then (in bot mode) the bot's replies; returns both.
    ``client``: the customer's address, which the per-chat message limit and the look-up
    limits count against (None: no limits, a loopback client in development)."""
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 200):
        raise invalid("Idempotency-Key must be 1 to 200 characters")
    if hub.settings.chat_consent_required and conversation.consent_version is None:
        raise Forbidden(
            "consent_required",
            "accept the privacy notice first (GET /api/chat/privacy; POST .../consent)",
        )

    if idempotency_key is not None:
        async with hub.sessions() as db:
            existing = await db.scalar(
                select(Message.id).where(
                    Message.conversation_id == conversation.id,
                    Message.idempotency_key == idempotency_key,
                )
            )
            if existing is not None:
                replayed = await _replay(db, conversation.id, idempotency_key, new)
    taken = (conversation.id, idempotency_key) if idempotency_key is not None else None
    with _answering(hub, taken) as mine:
        if idempotency_key is not None and existing is not None:
            if len(replayed) > 1 or not mine:
                return replayed  # answered, or being answered here (the socket brings it)
            late = await turns.finish_unanswered(hub, conversation, existing, new)
            return replayed + [message_json(m) for m in late]
        return await _take(hub, conversation, new, idempotency_key, client)


@contextmanager
def _answering(hub: Hub, taken: tuple[int, str] | None) -> Iterator[bool]:
    """Marks a customer message (conversation id, Idempotency-Key) as being answered by this
    process while the block runs; yields False when another request here already does."""
    mine = taken is not None and taken not in hub.answering
    if mine:
        hub.answering.add(taken)
    try:
        yield mine
    finally:
        if mine:
            hub.answering.discard(taken)


async def _take(
    hub: Hub,
    conversation: Conversation,
    new: NewMessage,
    idempotency_key: str | None,
    client: str | None,
) -> list[dict]:
    # a retried message (same key) was answered above; a new one counts against the limit,
    # before anything is stored: the widget keeps the text and sends it after Retry-After
    if client is not None:
        await limits.hit(hub.limiter, "message_session", conversation.public_id)
        await limits.remember_client(hub.limiter, conversation.public_id, client)
    customer_message = Message(
        conversation_id=conversation.id,
        sender="customer",
        text=new.text,
        payload=new.payload,
        idempotency_key=idempotency_key,
    )
    ticket_number = None
    audience: list[str] = []  # the staff channels that may see this message
    try:
        async with hub.sessions() as db, db.begin():
            current = await db.get(Conversation, conversation.id, with_for_update=True)
            reopened = current.status == "closed"
            if reopened:
                current.status, current.closed_at = "bot", None
            now = utcnow()
            current.last_customer_message_at = current.customer_seen_at = now
            db.add(customer_message)
            notice = _redaction_notice(conversation, new)
            if notice is not None:
                await db.flush()  # the notice comes after the message it is about
                db.add(notice)
            status = current.status
            if status in ("queued", "agent"):
                ticket = await tickets.active_ticket(db, conversation.id)
                if ticket is not None:
                    ticket_number = ticket.number
                    audience = _staff_audience(ticket)
                    new_status = tickets.on_customer_message(hub.shop, ticket, now)
                    if new_status:
                        tickets.add_event(
                            db, ticket, "status_changed", old="pending", new=new_status
                        )
            await db.flush()
            await outbox.emit(
                db,
                "message.created",
                {
                    "session_id": conversation.public_id,
                    "ticket": ticket_number,
                    "message": message_json(customer_message),
                },
            )
    except IntegrityError:
        # The same Idempotency-Key arrived twice at once: the other request stored it.
        async with hub.sessions() as db:
            return await _replay(db, conversation.id, idempotency_key, new)

    stored = [customer_message] + ([notice] if notice is not None else [])
    await publish_messages(hub, conversation.public_id, stored)
    if reopened:
        await publish_status(hub, conversation)
    if status != "bot":
        event = {
            "type": "customer_message",
            "session_id": conversation.public_id,
            "ticket": ticket_number,
            "message": message_json(customer_message),
        }
        for channel in audience or [QUEUE_CHANNEL]:
            await hub.bus.publish(channel, event)
        if ticket_number:
            await hub.bus.publish(ticket_channel(ticket_number), event)
        return [message_json(m) for m in stored]

    if new.payload == privacy.UNSUBSCRIBE_PAYLOAD:  # the hub's own button, not Rasa's
        replies = await privacy.unsubscribe_in_chat(hub, conversation, customer_message)
        await publish_messages(hub, conversation.public_id, replies)
    else:
        replies = await turns.bot_turn(hub, conversation, customer_message, new)
    return [message_json(m) for m in (*stored, *replies)]


def _redaction_notice(conversation: Conversation, new: NewMessage) -> Message | None:
    """Why part of the customer's message is gone (issue 12: never send card numbers here)."""
    if not new.redacted:
        return None
    return Message(
        conversation_id=conversation.id,
        sender="system",
        text=t("redacted_notice", conversation.locale),
    )
