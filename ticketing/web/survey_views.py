"""The e-mailed satisfaction survey for customers who left before their ticket was resolved.

``/survey/{token}`` is a plain HTML form (no script needed); the token in the link is the
only credential and is stored hashed on the ticket.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from .. import surveys
from ..errors import HelpdeskError, Invalid
from ..i18n import t
from ..models import Conversation, Rating, Ticket
from ..tokens import hash_token
from .keys import HUB
from .pages import render

routes = web.RouteTableDef()

QUESTIONS = ("csat", "speed", "problem_solving", "attitude")


async def _ticket(request: web.Request, db) -> tuple[Ticket, Conversation]:
    token = request.match_info["token"]
    digest = hash_token(token)
    ticket = (
        await db.execute(select(Ticket).where(Ticket.survey_token_hash == digest))
    ).scalar_one_or_none()
    if ticket is None or ticket.conversation_id is None:
        raise web.HTTPNotFound(text="This survey link is not valid.")
    conversation = await db.get(Conversation, ticket.conversation_id)
    return ticket, conversation


def _page(ticket, conversation, rating, error=None, thanks=False, status=200) -> web.Response:
    locale = conversation.locale
    response = render(
        "survey.html",
        locale=locale,
        t=lambda key, **kw: t(key, locale, **kw),
        number=ticket.number,
        about=("resolution" if ticket.kind == "complaint" else "service"),
        rating=rating,
        questions=QUESTIONS,
        error=error,
        thanks=thanks,
    )
    response.set_status(status)
    return response


@routes.get("/survey/{token}")
async def survey_form(request: web.Request) -> web.Response:
    async with request.config_dict[HUB].sessions() as db:
        ticket, conversation = await _ticket(request, db)
        rating = (
            await db.execute(select(Rating).where(Rating.conversation_id == conversation.id))
        ).scalar_one_or_none()
    return _page(ticket, conversation, rating)


@routes.post("/survey/{token}")
async def survey_submit(request: web.Request) -> web.Response:
    form = await request.post()
    answers: dict = {}
    for name in QUESTIONS:
        if form.get(name):
            answers[name] = form[name]
    if form.get("resolved") in ("yes", "no"):
        answers["resolved"] = form["resolved"] == "yes"
    if form.get("comment", "").strip():
        answers["comment"] = form["comment"]
    async with request.config_dict[HUB].sessions() as db:
        ticket, conversation = await _ticket(request, db)
    try:
        if "csat" not in answers:
            raise Invalid("invalid", t("survey_csat_required", conversation.locale))
        answers = surveys.validate_answers(answers)
    except HelpdeskError as error:
        return _page(ticket, conversation, None, error=error.message, status=422)
    async with request.config_dict[HUB].sessions() as db, db.begin():
        current = await db.get(Conversation, conversation.id, with_for_update=True)
        rating, _ = await surveys.record(db, current, answers)
    await surveys.publish_rating(request.config_dict[HUB], ticket.number)
    return _page(ticket, conversation, rating, thanks=True)
