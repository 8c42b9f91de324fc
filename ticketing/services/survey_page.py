"""The e-mailed satisfaction survey (``/survey/{token}``, ``ticketing/web/survey_views.py``).

The token in the link is the only credential; it is stored hashed on the ticket. An unknown
token, or one whose ticket has no chat, is ``NotFound`` with the code ``INVALID_LINK``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from .. import surveys
from ..context import Hub
from ..errors import HelpdeskError, Invalid, NotFound
from ..i18n import t
from ..models import Conversation, Rating, Ticket
from ..tokens import hash_token
from .uow import unit_of_work

INVALID_LINK = "invalid_survey_link"


@dataclass
class SurveyPage:
    """What the survey page shows: the ticket, its chat, the answers so far."""

    ticket: Ticket
    conversation: Conversation
    rating: Rating | None
    error: str | None = None  # why the answers were not accepted
    thanks: bool = False  # the answers were stored


async def _ticket(db, token: str) -> tuple[Ticket, Conversation]:
    digest = hash_token(token)
    ticket = (
        await db.execute(select(Ticket).where(Ticket.survey_token_hash == digest))
    ).scalar_one_or_none()
    if ticket is None or ticket.conversation_id is None:
        raise NotFound(INVALID_LINK, "This survey link is not valid.")
    conversation = await db.get(Conversation, ticket.conversation_id)
    return ticket, conversation


async def survey_form(hub: Hub, token: str) -> SurveyPage:
    """The survey behind the link ``token``, with the answers already given."""
    async with hub.sessions() as db:
        ticket, conversation = await _ticket(db, token)
        rating = (
            await db.execute(select(Rating).where(Rating.conversation_id == conversation.id))
        ).scalar_one_or_none()
    return SurveyPage(ticket, conversation, rating)


async def submit(hub: Hub, token: str, answers: dict[str, Any]) -> SurveyPage:
    """Store the answers given on the page; unacceptable ones come back as the page's error
    (nothing stored)."""
    async with hub.sessions() as db:
        ticket, conversation = await _ticket(db, token)
    try:
        if "csat" not in answers:
            raise Invalid("invalid", t("survey_csat_required", conversation.locale))
        answers = surveys.validate_answers(answers)
    except HelpdeskError as error:
        return SurveyPage(ticket, conversation, None, error=error.message)
    async with unit_of_work(hub) as uow:
        current = await uow.db.get(Conversation, conversation.id, with_for_update=True)
        rating, _ = await surveys.record(uow.db, current, answers)
        uow.after_commit(lambda: surveys.publish_rating(hub, ticket.number))
    return SurveyPage(ticket, conversation, rating, thanks=True)
