"""The e-mailed satisfaction survey for customers who left before their ticket was resolved.

``/survey/{token}`` is a plain HTML form (no script needed); the token in the link is the
only credential and is stored hashed on the ticket (services/survey_page.py).
"""

from __future__ import annotations

from collections.abc import Awaitable

from aiohttp import web

from ..errors import NotFound
from ..i18n import t
from ..services import survey_page
from ..services.survey_page import SurveyPage
from .keys import HUB
from .pages import render

routes = web.RouteTableDef()

QUESTIONS = ("csat", "speed", "problem_solving", "attitude")


async def _survey(call: Awaitable[SurveyPage]) -> SurveyPage:
    """The service's answer; a link that is not valid is this page's plain-text 404."""
    try:
        return await call
    except NotFound as error:
        if error.code == survey_page.INVALID_LINK:
            raise web.HTTPNotFound(text="This survey link is not valid.") from None
        raise


def _page(page: SurveyPage, status: int = 200) -> web.Response:
    ticket, conversation = page.ticket, page.conversation
    locale = conversation.locale
    response = render(
        "survey.html",
        locale=locale,
        t=lambda key, **kw: t(key, locale, **kw),
        number=ticket.number,
        about=("resolution" if ticket.kind == "complaint" else "service"),
        rating=page.rating,
        questions=QUESTIONS,
        error=page.error,
        thanks=page.thanks,
    )
    response.set_status(status)
    return response


@routes.get("/survey/{token}")
async def survey_form(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    return _page(await _survey(survey_page.survey_form(hub, request.match_info["token"])))


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
    hub = request.config_dict[HUB]
    page = await _survey(survey_page.submit(hub, request.match_info["token"], answers))
    return _page(page, status=422 if page.error is not None else 200)
