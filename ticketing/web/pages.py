"""Web pages: the demo shop, and the chat widget any site embeds (``/widget.js``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jinja2
from aiohttp import web

from .. import __version__
from ..i18n import normalize_locale, t, tables
from ..privacy import notice
from .keys import HUB

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(ROOT / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)

routes = web.RouteTableDef()

JAVASCRIPT = "text/javascript; charset=utf-8"
WIDGET_JAVASCRIPT = "application/javascript; charset=utf-8"


def render(name: str, **context) -> web.Response:
    html = templates.get_template(name).render(version=__version__, **context)
    return web.Response(text=html, content_type="text/html")


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    return render("index.html")


def page_texts(request: web.Request):
    """``(locale, t)`` of a public page: the ``?locale=`` asked for, and its translator."""
    locale = normalize_locale(request.query.get("locale"))
    return locale, (lambda key, **values: t(key, locale, **values))


@routes.get("/privacy")
async def privacy_page(request: web.Request) -> web.Response:
    """The privacy notice the widget links to, from shop.yml (``?locale=zh-CN``)."""
    shop = request.config_dict[HUB].shop
    locale, translate = page_texts(request)
    return render(
        "privacy.html",
        locale=locale,
        t=translate,
        facts=notice.privacy_page(shop),
        notice=notice.chat_notice(shop, locale),
        marketing=notice.marketing_notice(shop, locale),
    )


def widget_script() -> bytes:
    """static/widget.js after one statement that hands it the widget's texts, every locale.

    JSON with \\u escapes (ASCII only): the browser decodes a script with the embedding page's
    charset when it cannot tell, and a shop's page need not be UTF-8.
    """
    strings = json.dumps(tables("widget"), ensure_ascii=True, sort_keys=True)
    prelude = f"window.__hdChatWidgetStrings = {strings};\n"
    return prelude.encode("ascii") + (STATIC / "widget.js").read_bytes()


@routes.get("/widget.js")
async def widget_js(request: web.Request) -> web.Response:
    body = widget_script()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": "no-cache", "ETag": etag}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers={**headers, "Content-Type": WIDGET_JAVASCRIPT})


# The JavaScript modules: the widget's (static/widget/) and the shared ones are imported by
# widget.js on other sites' pages, and a module fetched from another origin needs a CORS
# header, which the plain /static/ route (app.py) does not send. Every module is also served
# "no-cache" (revalidated, usually a 304): only a page's entry module carries ?v=VERSION, the
# modules it imports do not, and none may be a stale copy from before an upgrade. These routes
# are more specific than /static/, so they win whatever the registration order (aiohttp
# matches the longest path first).

MODULE_FOLDERS = ("agent", "supervisor", "widget")
SHARED_MODULES = ("live.js", "dom.js", "console-common.js", "charts.js", "transcript.js")
MODULE_NAME = r"{name:[a-z][a-z0-9-]*\.js}"


def module_response(path: Path) -> web.FileResponse:
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(
        path,
        headers={
            "Access-Control-Allow-Origin": "*",  # public files; no cookies go with them
            "Cache-Control": "no-cache",
            "Content-Type": JAVASCRIPT,
            "X-Content-Type-Options": "nosniff",
        },
    )


def _file(path: Path):
    async def serve(request: web.Request) -> web.FileResponse:
        return module_response(path)

    return serve


def _folder(folder: Path):
    async def serve(request: web.Request) -> web.FileResponse:
        return module_response(folder / request.match_info["name"])

    return serve


for _name in SHARED_MODULES:
    routes.get(f"/static/{_name}")(_file(STATIC / _name))
for _name in MODULE_FOLDERS:
    routes.get(f"/static/{_name}/{MODULE_NAME}")(_folder(STATIC / _name))
