"""The supervisor API: reports, transcripts, CSV exports, the NLU review loop and improvement
actions. Every endpoint needs the supervisor role (agents get 403); each view parses the
request, makes one call into ``ticketing.services.reports`` or
``ticketing.services.improvement`` and serialises the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from ..context import Hub
from ..errors import invalid
from ..models import User
from ..reports import actions, transcripts
from ..reports.common import query_choices
from ..reports.periods import parse_group, parse_period
from ..services import improvement, reports
from ..services.reports import CsvExport
from .csv import stream_csv
from .keys import HUB
from .staff_auth import require
from .util import int_query, path_id, read_json

routes = web.RouteTableDef()
ROLE = "supervisor"


def _context(request: web.Request) -> tuple[Hub, User, ZoneInfo]:
    user = require(request, ROLE)
    hub = request.config_dict[HUB]
    return hub, user, reports.shop_timezone(hub)


async def _stream(request: web.Request, export: CsvExport) -> web.StreamResponse:
    return await stream_csv(request, export.filename, export.header, export.rows)


# ------------------------------------------------------------------ reports


def _report(
    name: str,
    parse: Callable[[Mapping[str, str], ZoneInfo], tuple[Any, ...]],
    as_json: Callable[..., Awaitable[dict[str, Any]]],
    as_csv: Callable[..., Awaitable[CsvExport]],
) -> None:
    """Serve a report as JSON at /api/reports/<name> and as streamed CSV at <name>.csv;
    ``parse`` turns the query string into the service's arguments after ``hub`` and ``user``."""

    async def json_view(request: web.Request) -> web.Response:
        hub, user, tz = _context(request)
        return web.json_response(await as_json(hub, user, *parse(request.query, tz)))

    async def csv_view(request: web.Request) -> web.StreamResponse:
        hub, user, tz = _context(request)
        return await _stream(request, await as_csv(hub, user, *parse(request.query, tz)))

    routes.get(f"/reports/{name}")(json_view)
    routes.get(f"/reports/{name}.csv")(csv_view)


def _period(query: Mapping[str, str], tz: ZoneInfo) -> tuple[Any, ...]:
    return (parse_period(query, tz),)


def _grouped_period(query: Mapping[str, str], tz: ZoneInfo) -> tuple[Any, ...]:
    return parse_period(query, tz, default_days=28), parse_group(query, "week")


_report("summary", _period, reports.summary_report, reports.summary_csv)
_report("complaints", _grouped_period, reports.complaints_report, reports.complaints_csv)
_report("agents", _period, reports.agents_report, reports.agents_csv)
_report("satisfaction", _grouped_period, reports.satisfaction_report, reports.satisfaction_csv)


# ------------------------------------------------------------------ transcripts


@routes.get("/conversations")
async def conversation_list(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    page = int_query(request, "page", 1, lo=1, hi=100_000)
    per_page = int_query(request, "per_page", 25, lo=1, hi=transcripts.MAX_PER_PAGE)
    data = await reports.list_conversations(hub, user, request.query, page, per_page)
    return web.json_response(data)


@routes.get("/conversations.csv")
async def conversation_csv(request: web.Request) -> web.StreamResponse:
    hub, user, _ = _context(request)
    async with reports.conversations_csv(hub, user, request.query) as export:
        return await _stream(request, export)


@routes.get("/conversations/{session_id}")
async def conversation_detail(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    data = await reports.conversation_detail(hub, user, request.match_info["session_id"])
    return web.json_response(data)


@routes.get("/tickets.csv")
async def tickets_csv(request: web.Request) -> web.StreamResponse:
    hub, user, _ = _context(request)
    async with reports.tickets_csv(hub, user, request.query) as export:
        return await _stream(request, export)


# ------------------------------------------------------------------ improvement loop


def _threshold(request: web.Request) -> float:
    raw = request.query.get("threshold", "0.6")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise invalid("threshold must be a number from 0 to 1", field="threshold")
    return value


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


@routes.get("/reports/live")
async def live_report(request: web.Request) -> web.Response:
    """Queue size and the oldest waiting chat, right now (cheap enough to poll)."""
    hub, user, _ = _context(request)
    return web.json_response(await reports.live(hub, user))


@routes.get("/nlu/review")
async def nlu_review(request: web.Request) -> web.Response:
    hub, user, tz = _context(request)
    period = parse_period(request.query, tz, default_days=30)
    limit = int_query(request, "limit", 50, lo=1, hi=500)
    threshold = _threshold(request)
    return web.json_response(await improvement.nlu_review(hub, user, period, threshold, limit))


@routes.get("/nlu/labels")
async def nlu_labels(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    page = int_query(request, "page", 1, lo=1, hi=100_000)
    per_page = int_query(request, "per_page", 50, lo=1, hi=500)
    return web.json_response(await improvement.list_labels(hub, user, page, per_page))


@routes.post("/nlu/labels")
async def nlu_label(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    labels = await improvement.add_labels(hub, user, await read_json(request))
    return web.json_response({"labels": labels}, status=201)


@routes.delete("/nlu/labels/{id:\\d+}")
async def nlu_unlabel(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    await improvement.delete_label(hub, user, path_id(request, "label"))
    return web.Response(status=204)


@routes.get("/nlu/export")
async def nlu_export(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    only_new = _flag(request, "only_new")
    # A GET only reads; ``mark=true`` records the labels as exported (for ``only_new``).
    mark = _flag(request, "mark")
    text = await improvement.export_nlu(hub, user, only_new=only_new, mark=mark)
    return web.Response(
        text=text,
        content_type="application/x-yaml",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="nlu_reviewed.yml"'},
    )


# ------------------------------------------------------------------ improvement actions


@routes.get("/improvement-actions")
async def action_list(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    statuses = query_choices(request.query, "status", actions.STATUSES)
    return web.json_response(await improvement.list_actions(hub, user, statuses))


@routes.post("/improvement-actions")
async def action_create(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    item = await improvement.create_action(hub, user, await read_json(request))
    return web.json_response(item, status=201)


@routes.get("/improvement-actions/{id:\\d+}")
async def action_get(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    return web.json_response(
        await improvement.get_action(hub, user, path_id(request, "improvement action"))
    )


@routes.patch("/improvement-actions/{id:\\d+}")
async def action_update(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    body = await read_json(request)
    item = await improvement.update_action(hub, user, path_id(request, "improvement action"), body)
    return web.json_response(item)
