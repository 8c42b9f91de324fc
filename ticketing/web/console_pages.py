"""Staff console pages: sign-in, the agent console and the supervisor console.

The pages are Jinja2 templates (``_base.html`` is the shared layout); their behaviour lives in
ES modules under ``/static/`` (``agent/``, ``supervisor/``). Every text they show comes from
the console's translation table, ``locales/<locale>/console.json`` read through
``ticketing.i18n``: templates use ``t(key)``, and the page embeds the same table as JSON
(``#console-data``) for its scripts, with the enums the scripts offer as choices (from
``ticketing.models``). English is the reference; other locales fall back to it key by key.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import models
from ..i18n import catalogue, normalize_locale
from ..staff import has_role
from .keys import USER
from .pages import render

routes = web.RouteTableDef()

LANG_COOKIE = "console_lang"
DEFAULT_NEXT = "/agent"

# The machine values the consoles list in their menus and charts, in this order.
ENUMS = {
    "priorities": models.PRIORITIES,
    "presence": models.PRESENCE,
    "complaintCategories": models.COMPLAINT_CATEGORIES,
    "complaintStages": models.COMPLAINT_STAGES,
    "decisions": models.DECISIONS,
}


def console_locale(request: web.Request) -> str:
    """``?lang=`` (remembered in a cookie), else the cookie, else the browser's language."""
    tag = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    if not tag:
        tag = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()
    return normalize_locale(tag)


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)
    ):
        return DEFAULT_NEXT
    return value


def render_console(request: web.Request, template: str, **context: Any) -> web.Response:
    """Renders a console page with the translation table for the request's language."""
    locale = console_locale(request)
    strings = catalogue(locale, "console")

    def t(key: str, **values: Any) -> str:
        text = strings.get(key, key)
        return text.format(**values) if values else text

    user = request.get(USER)
    response = render(
        template,
        t=t,
        locale=locale,
        lang_url=str(request.rel_url.update_query(lang="en" if locale == "zh-CN" else "zh-CN")),
        user={"name": user.name, "role": user.role} if user is not None else None,
        console_data={"locale": locale, "strings": strings, "enums": ENUMS},
        **context,
    )
    if "lang" in request.query:
        response.set_cookie(LANG_COOKIE, locale, samesite="Lax", path="/", max_age=365 * 86400)
    ws = f"ws://{request.host} wss://{request.host}"
    response.headers.update(
        {
            "Cache-Control": "no-store",
            "Content-Security-Policy": (
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                f"connect-src 'self' {ws}; frame-ancestors 'none'; base-uri 'none'; "
                "form-action 'self'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        }
    )
    return response


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    next_path = safe_next(request.query.get("next"))
    if request.get(USER) is not None:
        raise web.HTTPFound(next_path)
    return render_console(request, "login.html", next_path=next_path)


@routes.get("/agent")
async def agent_page(request: web.Request) -> web.Response:
    if request.get(USER) is None:
        raise web.HTTPFound("/login?next=/agent")
    return render_console(request, "agent.html", active="agent")


@routes.get("/supervisor")
async def supervisor_page(request: web.Request) -> web.Response:
    """The supervisor console; agents get a 403 page, signed-out visitors the sign-in page."""
    user = request.get(USER)
    if user is None:
        raise web.HTTPFound("/login?next=/supervisor")
    if not has_role(user, "supervisor"):
        response = render_console(request, "supervisor.html", active="supervisor", forbidden=True)
        response.set_status(403)
        return response
    return render_console(request, "supervisor.html", active="supervisor", forbidden=False)
