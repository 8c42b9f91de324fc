"""The hub's aiohttp application factory."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from .. import db
from ..bus import create_bus
from ..context import Hub
from ..limits import create_limiter, parse_overrides
from ..privacy import crypto
from ..rasa_client import RasaClient
from ..services import resolution
from ..settings import DEV_INTERNAL_TOKEN, Settings
from ..shop import load_shop
from . import (
    agent_views,
    auth_views,
    chat_views,
    console_pages,
    health,
    help_views,
    internal_views,
    openapi,
    pages,
    privacy_views,
    report_views,
    survey_views,
    webhook_views,
)
from .keys import HUB, SETTINGS, WEBSOCKETS
from .middlewares import cors, errors
from .security import AccessLogger, security_headers
from .staff_auth import mask_personal_data, staff_pages, staff_session
from .worker import worker_ctx

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


async def _hub_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.internal_token == DEV_INTERNAL_TOKEN:
        log.warning("HUB_INTERNAL_TOKEN is not set: using the development token")
    crypto.configure(settings.data_keys, settings.data_lookup_key)  # before the migrations
    await db.upgrade_async(settings.database_url)
    engine = db.create_engine(settings.database_url)
    async with engine.connect() as connection:  # the keys must read what is stored
        await connection.run_sync(crypto.check_keys)
    bus = create_bus(settings.redis_url)
    await bus.start()
    rasa = RasaClient(
        settings.rasa_url,
        settings.rasa_timeout,
        settings.rasa_token,
        concurrency=settings.rasa_concurrency,
        queue_timeout=settings.rasa_queue_timeout,
    )
    limiter = create_limiter(settings.redis_url, parse_overrides(settings.rate_limits))
    await limiter.start()
    app[HUB] = Hub(
        settings=settings,
        engine=engine,
        sessions=db.session_factory(engine),
        bus=bus,
        rasa=rasa,
        shop=load_shop(settings.shop_file),
        limiter=limiter,
    )
    yield
    await resolution.finish_background_tasks()
    await rasa.close()
    await limiter.close()
    await bus.close()
    await engine.dispose()


async def _close_websockets(app: web.Application) -> None:
    for ws in set(app[WEBSOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


# Every route of the hub, by audience: each audience is a sub-application with its own
# middleware (the chat API answers CORS, the staff API reads the session cookie and checks
# CSRF, the internal API wants its token); pages and static files are the root's.
AUDIENCES = {
    # prefix: (route tables, middlewares)
    "/api/chat": ((chat_views.routes, help_views.chat_routes), (cors,)),
    "/internal": (
        (internal_views.routes, help_views.internal_routes),
        (internal_views.internal_auth,),
    ),
    "/api": (
        (
            auth_views.routes,
            agent_views.routes,
            report_views.routes,
            privacy_views.routes,
            webhook_views.routes,
            help_views.staff_routes,
            openapi.routes,
        ),
        (staff_session, mask_personal_data),
    ),
}
PAGES = (health.routes, pages.routes, help_views.pages, console_pages.routes, survey_views.routes)


def init_app(settings: Settings | None = None) -> web.Application:
    app = web.Application(
        middlewares=[security_headers, errors, staff_pages], client_max_size=MAX_BODY_BYTES
    )
    app[SETTINGS] = settings or Settings.from_env()
    app[WEBSOCKETS] = weakref.WeakSet()
    app.cleanup_ctx.append(_hub_ctx)
    app.cleanup_ctx.append(worker_ctx)  # after _hub_ctx: it needs app[HUB]
    app.on_shutdown.append(_close_websockets)
    for table in PAGES:
        app.router.add_routes(table)
    app.router.add_static("/static/", pages.STATIC, name="static")
    # longest prefix first: /api/chat before /api
    for prefix, (tables, middlewares) in AUDIENCES.items():
        audience = web.Application(middlewares=list(middlewares), client_max_size=MAX_BODY_BYTES)
        for table in tables:
            audience.router.add_routes(table)
        app.add_subapp(prefix, audience)
    return app


def route_table(app: web.Application) -> list[tuple[str, str]]:
    """``(method, path)`` of every route the hub serves, sub-applications included (their
    resources already carry the prefix)."""
    found: list[tuple[str, str]] = []
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            found.extend(route_table(resource._app))
            continue
        for route in resource:
            if route.method != "HEAD":
                found.append((route.method, resource.canonical))
    return found


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the hub until interrupted (``python -m ticketing serve``): the public listener on
    ``host:port`` and the internal API's own listener on ``internal_host:internal_port``."""
    asyncio.run(_serve(settings, host, port))


async def start(settings: Settings, host: str, port: int, **runner_options) -> web.AppRunner:
    """Start the hub on its two listeners; ``runner.cleanup()`` stops it."""
    if settings.internal_port is not None and settings.internal_port == port:
        raise SystemExit("HUB_INTERNAL_PORT must differ from the public port")
    runner = web.AppRunner(init_app(settings), access_log_class=AccessLogger, **runner_options)
    await runner.setup()
    sites = [web.TCPSite(runner, host, port)]
    if settings.internal_port is not None:
        sites.append(web.TCPSite(runner, settings.internal_host, settings.internal_port))
    for site in sites:
        await site.start()
    log.info("hub listening on %s:%s (internal API on %s:%s)", host, port,
             settings.internal_host, settings.internal_port)  # fmt: skip
    return runner


async def _serve(settings: Settings, host: str, port: int) -> None:
    runner = await start(settings, host, port, handle_signals=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
