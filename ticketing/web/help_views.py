"""The help centre over HTTP: public pages, the widget's search, staff editing, the bot's look-up.

Four tables of routes, one per audience (``app.py`` mounts them):

- ``pages``: ``/help`` and ``/help/<slug>``, server-rendered (readable without JavaScript),
  and the no-JavaScript form of "Was this article helpful?";
- ``chat_routes`` (``/api/chat/help/...``, CORS like the rest of the customer API): search,
  one article, the helpful vote;
- ``staff_routes`` (``/api/kb/...``): every agent reads and searches (``/kb`` in the reply
  box); supervisors and admins create, edit, preview, publish, archive and restore;
- ``internal_routes`` (``/internal/kb/...``): the action server's answer and passage look-ups.
"""

from __future__ import annotations

from aiohttp import web

from .. import limits
from ..i18n import normalize_locale
from ..knowledge.markdown import MAX_BODY_CHARS
from ..knowledge.models import CATEGORIES
from ..reports.periods import parse_period
from ..services import knowledge
from ..services.reports import shop_timezone
from .keys import HUB
from .pages import page_texts, render
from .staff_auth import require
from .util import int_query, limited_client, path_id, read_json

pages = web.RouteTableDef()
chat_routes = web.RouteTableDef()
staff_routes = web.RouteTableDef()
internal_routes = web.RouteTableDef()

EDITOR = "supervisor"
# an article's Markdown may be up to MAX_BODY_CHARS characters (up to 4 bytes each in UTF-8,
# 6 when JSON-escaped); the hub's other requests keep their 64 KiB limit
ARTICLE_BODY_BYTES = 6 * MAX_BODY_CHARS + 16 * 1024


async def _limit(request: web.Request) -> None:
    client = limited_client(request)
    if client is not None:
        await limits.hit(request.config_dict[HUB].limiter, "help_ip", client)


def _slug(request: web.Request) -> str:
    slug = request.match_info["slug"]
    if len(slug) > 80:
        raise web.HTTPNotFound()
    return slug


# ------------------------------------------------------------------------------ pages


@pages.get("/help")
async def help_home(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    locale, translate = page_texts(request)
    query = (request.query.get("q") or "").strip()
    found = None
    if query:
        await _limit(request)
        found = await knowledge.search_articles(hub, query[: knowledge.MAX_QUESTION_CHARS])
    home = await knowledge.help_home(hub)
    return render(
        "help.html",
        locale=locale,
        t=translate,
        shop=hub.shop.facts,
        query=query,
        found=found,
        **home,
    )


@pages.get("/help/{slug}")
async def help_article(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    locale, translate = page_texts(request)
    article = await knowledge.help_article(hub, _slug(request))
    return render(
        "help_article.html",
        locale=locale,
        t=translate,
        shop=hub.shop.facts,
        article=article,
        voted=request.query.get("voted"),
        categories=CATEGORIES,
    )


@pages.post("/help/{slug}/feedback")
async def help_feedback_form(request: web.Request) -> web.Response:
    """The vote of a browser without JavaScript (a plain form); back to the article."""
    await _limit(request)
    slug = _slug(request)
    form = await request.post()
    helpful = {"yes": True, "no": False}.get(str(form.get("helpful")))
    if helpful is None:
        raise web.HTTPBadRequest(text="helpful must be yes or no")
    await knowledge.article_feedback(request.config_dict[HUB], slug, {"helpful": helpful})
    locale = normalize_locale(str(form.get("locale") or ""))
    raise web.HTTPSeeOther(f"/help/{slug}?voted=1&locale={locale}#article_feedback")


# ------------------------------------------------------------------- customer chat API


@chat_routes.get("/help/search")
async def chat_search(request: web.Request) -> web.Response:
    await _limit(request)
    found = await knowledge.search_articles(request.config_dict[HUB], request.query.get("q"))
    return web.json_response(found)


@chat_routes.get("/help/articles/{slug}")
async def chat_article(request: web.Request) -> web.Response:
    article = await knowledge.help_article(request.config_dict[HUB], _slug(request))
    return web.json_response(article)


@chat_routes.post("/help/articles/{slug}/feedback")
async def chat_article_feedback(request: web.Request) -> web.Response:
    await _limit(request)
    body = await read_json(request)
    result = await knowledge.article_feedback(request.config_dict[HUB], _slug(request), body)
    return web.json_response(result)


# ------------------------------------------------------------------------- staff API


@staff_routes.get("/kb/articles")
async def list_articles(request: web.Request) -> web.Response:
    require(request)
    hub = request.config_dict[HUB]
    query = request.query
    result = await knowledge.list_articles(hub, query.get("status"), query.get("category"))
    return web.json_response(result)


@staff_routes.post("/kb/articles")
async def create_article(request: web.Request) -> web.Response:
    user = require(request, EDITOR)
    body = await read_json(request, max_bytes=ARTICLE_BODY_BYTES)
    article = await knowledge.create(request.config_dict[HUB], user, body)
    return web.json_response(article, status=201)


@staff_routes.get("/kb/articles/{id}")
async def get_article(request: web.Request) -> web.Response:
    require(request)
    article_id = path_id(request, "article")
    return web.json_response(await knowledge.get_article(request.config_dict[HUB], article_id))


@staff_routes.patch("/kb/articles/{id}")
async def update_article(request: web.Request) -> web.Response:
    user = require(request, EDITOR)
    article_id = path_id(request, "article")
    body = await read_json(request, max_bytes=ARTICLE_BODY_BYTES)
    hub = request.config_dict[HUB]
    return web.json_response(await knowledge.update_article(hub, user, article_id, body))


async def _change_state(request: web.Request, change) -> web.Response:
    user = require(request, EDITOR)
    article_id = path_id(request, "article")
    body = await read_json(request)
    return web.json_response(await change(request.config_dict[HUB], user, article_id, body))


@staff_routes.post("/kb/articles/{id}/publish")
async def publish_article(request: web.Request) -> web.Response:
    return await _change_state(request, knowledge.publish)


@staff_routes.post("/kb/articles/{id}/archive")
async def archive_article(request: web.Request) -> web.Response:
    return await _change_state(request, knowledge.archive)


@staff_routes.get("/kb/articles/{id}/versions")
async def article_history(request: web.Request) -> web.Response:
    require(request)
    article_id = path_id(request, "article")
    return web.json_response(await knowledge.history(request.config_dict[HUB], article_id))


@staff_routes.get("/kb/articles/{id}/versions/{version}")
async def article_version(request: web.Request) -> web.Response:
    require(request)
    article_id = path_id(request, "article")
    number = path_id(request, "article version", "version")
    hub = request.config_dict[HUB]
    return web.json_response(await knowledge.version(hub, article_id, number))


@staff_routes.post("/kb/articles/{id}/versions/{version}/restore")
async def restore_version(request: web.Request) -> web.Response:
    user = require(request, EDITOR)
    article_id = path_id(request, "article")
    number = path_id(request, "article version", "version")
    body = await read_json(request)
    hub = request.config_dict[HUB]
    return web.json_response(await knowledge.restore(hub, user, article_id, number, body))


@staff_routes.post("/kb/preview")
async def preview(request: web.Request) -> web.Response:
    require(request, EDITOR)
    body = await read_json(request, max_bytes=ARTICLE_BODY_BYTES)
    return web.json_response(knowledge.preview(request.config_dict[HUB], body))


@staff_routes.get("/kb/report")
async def knowledge_report(request: web.Request) -> web.Response:
    require(request, EDITOR)
    hub = request.config_dict[HUB]
    period = parse_period(request.query, shop_timezone(hub), default_days=30)
    limit = int_query(request, "limit", 50, lo=1, hi=500)
    return web.json_response(await knowledge.report(hub, period, limit))


@staff_routes.get("/kb/search")
async def staff_search(request: web.Request) -> web.Response:
    require(request)
    found = await knowledge.search_articles(request.config_dict[HUB], request.query.get("q"))
    return web.json_response(found)


# ---------------------------------------------------------------------- internal API


@internal_routes.post("/kb/answer")
async def internal_answer(request: web.Request) -> web.Response:
    body = await read_json(request)
    return web.json_response(await knowledge.answer(request.config_dict[HUB], body))


@internal_routes.get("/kb/passage")
async def internal_passage(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    result = await knowledge.passage(hub, request.query.get("key"), request.query.get("q"))
    return web.json_response(result)
