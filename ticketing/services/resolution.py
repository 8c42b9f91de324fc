"""Resolving a ticket: the resolution goes to the customer, the conversation back to the bot,
and the post-chat survey starts (in the background, so the agent never waits for Rasa); a
customer who is away gets the survey link by e-mail.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from .. import outbox, tickets
from ..context import Hub
from ..errors import invalid
from ..i18n import t
from ..models import Message, Ticket, User, utcnow
from ..tokens import hash_token
from .chat import publish_status
from .desk import _load, _publish, _staff_event, customer_away, validate_text
from .feedback import start_survey
from .uow import unit_of_work

# Tasks started in the background (kept referenced until they finish).
_background: set[asyncio.Task] = set()


async def finish_background_tasks() -> None:
    """Let started background work (e.g. survey triggers) finish before shutting down."""
    if _background:
        await asyncio.gather(*list(_background), return_exceptions=True)


async def resolve(hub: Hub, user: User, number: str, body: Any) -> Ticket:
    """Resolve, tell the customer, hand the conversation to the bot for the survey."""
    now = utcnow()
    survey_token = None
    async with unit_of_work(hub) as uow:
        db = uow.db
        ticket, conversation = await _load(db, number)
        await tickets.check_team_rights(db, user, ticket)
        if not isinstance(body, dict):
            raise invalid("the resolution is required", field="resolution")
        resolution = validate_text(body.get("resolution"), "resolution")
        root_cause, corrective = body.get("root_cause"), body.get("corrective_action")
        for name, value in (("root_cause", root_cause), ("corrective_action", corrective)):
            if value is not None and not isinstance(value, str):
                raise invalid(f"{name} must be text", field=name)
        tickets.check_owner(user, ticket)
        await tickets.resolve(
            db,
            hub.shop,
            ticket,
            user,
            resolution=resolution,
            root_cause=root_cause,
            corrective_action=corrective,
        )
        messages: list[Message] = []
        away = True
        if conversation is not None:
            messages.append(
                Message(
                    conversation_id=conversation.id,
                    sender="agent",
                    text=resolution,
                    author_id=user.id,
                    created_at=now,
                )
            )
            messages.append(
                Message(
                    conversation_id=conversation.id,
                    sender="system",
                    text=t("ticket_resolved", conversation.locale, number=ticket.number),
                )
            )
            db.add_all(messages)
            conversation.status, conversation.agent_id = "bot", None
            away = customer_away(ticket, conversation, now)
        email = ticket.customer_email or (conversation.customer_email if conversation else None)
        if away and email:
            survey_token = secrets.token_urlsafe(24)
            ticket.survey_token_hash = hash_token(survey_token)
            locale = conversation.locale if conversation else "en"
            await outbox.enqueue_email(
                db,
                email,
                t("email_survey_subject", locale, number=ticket.number),
                t(
                    "email_survey_body",
                    locale,
                    name=ticket.customer_name or "",
                    number=ticket.number,
                    resolution=resolution,
                    link=f"{hub.settings.hub_url}/survey/{survey_token}",
                    shop=hub.shop.name,
                ),
                ticket=ticket.number,
            )
            ticket.customer_notified_at = now

        async def committed() -> None:
            if conversation is not None:
                await _publish(hub, conversation, messages)
                await publish_status(hub, conversation)
                # Rasa may be slow: the agent's click must not wait for the survey.
                task = asyncio.create_task(start_survey(hub, conversation, ticket))
                _background.add(task)
                task.add_done_callback(_background.discard)
            await _staff_event(
                hub, ticket.number, {"type": "ticket_changed", "ticket": ticket.number}
            )

        uow.after_commit(committed)
    return ticket
