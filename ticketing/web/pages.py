"""Web pages: the demo shop with the chat widget."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from .. import __version__

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(ROOT / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)

routes = web.RouteTableDef()


def render(name: str, **context) -> web.Response:
    html = templates.get_template(name).render(version=__version__, **context)
    return web.Response(text=html, content_type="text/html")


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    return render("index.html")


@routes.get("/widget.js")
async def widget_js(request: web.Request) -> web.FileResponse:
    return web.FileResponse(
        STATIC / "widget.js",
        headers={
            "Cache-Control": "no-cache",
            "Content-Type": "application/javascript; charset=utf-8",
        },
    )
