"""The supervisor API: reports, transcripts, CSV exports, the NLU review loop and improvement
actions. Every endpoint needs the supervisor role (agents get 403); the logic lives in
``ticketing.reports``."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from ..context import Hub
from ..errors import invalid
from ..models import User, utcnow
from ..reports import (
    actions,
    agents,
    complaints,
    improvement,
    privacy,
    satisfaction,
    summary,
    ticket_export,
    transcripts,
)
from ..reports.common import query_choices
from ..reports.periods import parse_group, parse_period, today_in
from .csv import stream_csv
from .keys import HUB
from .staff_auth import require
from .util import int_query, read_json

routes = web.RouteTableDef()
ROLE = "supervisor"


def _context(request: web.Request) -> tuple[Hub, User, ZoneInfo]:
    user = require(request, ROLE)
    hub = request.config_dict[HUB]
    return hub, user, ZoneInfo(hub.shop.calendar.timezone)


def _masked(hub: Hub, user: User) -> bool:
    return privacy.masks_pii(user, hub.settings)


def _today(tz: ZoneInfo) -> date:
    return today_in(tz)


# ------------------------------------------------------------------ reports


async def _summary(request: web.Request) -> dict[str, Any]:
    hub, _, tz = _context(request)
    period = parse_period(request.query, tz)
    return await summary.summary(hub.sessions, hub.shop, period)


def _report(name: str, build, module) -> None:
    """Serve a report as JSON at /api/reports/<name> and as streamed CSV at <name>.csv."""

    async def as_json(request: web.Request) -> web.Response:
        return web.json_response(await build(request))

    async def as_csv(request: web.Request) -> web.StreamResponse:
        report = await build(request)
        filename = f"{name}_{report['period']['from']}_{report['period']['to']}.csv"
        return await stream_csv(request, filename, module.CSV_HEADER, module.csv_rows(report))

    routes.get(f"/reports/{name}")(as_json)
    routes.get(f"/reports/{name}.csv")(as_csv)


async def _complaints(request: web.Request) -> dict[str, Any]:
    hub, user, tz = _context(request)
    period = parse_period(request.query, tz, default_days=28)
    group = parse_group(request.query, "week")
    async with hub.sessions() as db:
        return await complaints.complaints_report(db, hub.shop, period, group, _masked(hub, user))


async def _agents(request: web.Request) -> dict[str, Any]:
    hub, _, tz = _context(request)
    period = parse_period(request.query, tz)
    async with hub.sessions() as db:
        return await agents.agents_report(db, hub.shop, period)


async def _satisfaction(request: web.Request) -> dict[str, Any]:
    hub, _, tz = _context(request)
    period = parse_period(request.query, tz, default_days=28)
    group = parse_group(request.query, "week")
    async with hub.sessions() as db:
        return await satisfaction.satisfaction_report(db, hub.shop, period, group)


_report("summary", _summary, summary)
_report("complaints", _complaints, complaints)
_report("agents", _agents, agents)
_report("satisfaction", _satisfaction, satisfaction)


# ------------------------------------------------------------------ transcripts


@routes.get("/conversations")
async def conversation_list(request: web.Request) -> web.Response:
    hub, user, tz = _context(request)
    page = int_query(request, "page", 1, lo=1, hi=100_000)
    per_page = int_query(request, "per_page", 25, lo=1, hi=transcripts.MAX_PER_PAGE)
    async with hub.sessions() as db:
        filters = await transcripts.parse_filters(db, request.query, tz)
        data = await transcripts.list_conversations(db, filters, page, per_page, _masked(hub, user))
    return web.json_response(data)


@routes.get("/conversations.csv")
async def conversation_csv(request: web.Request) -> web.StreamResponse:
    hub, user, tz = _context(request)
    async with hub.sessions() as db:
        filters = await transcripts.parse_filters(db, request.query, tz)
        rows = transcripts.iter_csv_rows(db, filters, _masked(hub, user))
        return await stream_csv(request, "conversations.csv", transcripts.CSV_HEADER, rows)


@routes.get("/conversations/{session_id}")
async def conversation_detail(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    async with hub.sessions() as db:
        data = await transcripts.conversation_detail(
            db, hub.shop, request.match_info["session_id"], _masked(hub, user)
        )
    return web.json_response(data)


@routes.get("/tickets.csv")
async def tickets_csv(request: web.Request) -> web.StreamResponse:
    hub, user, tz = _context(request)
    async with hub.sessions() as db:
        filters = await ticket_export.parse_ticket_filters(db, request.query, tz)
        rows = ticket_export.iter_ticket_rows(db, hub.shop, filters, _masked(hub, user))
        return await stream_csv(request, "tickets.csv", ticket_export.CSV_HEADER, rows)


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


@routes.get("/reports/live")
async def live_report(request: web.Request) -> web.Response:
    """Queue size and the oldest waiting chat, right now (cheap enough to poll)."""
    hub, _, _ = _context(request)
    async with hub.sessions() as db:
        return web.json_response(await summary.live(db, hub.shop, utcnow()))


@routes.get("/nlu/review")
async def nlu_review(request: web.Request) -> web.Response:
    hub, _, tz = _context(request)
    period = parse_period(request.query, tz, default_days=30)
    limit = int_query(request, "limit", 50, lo=1, hi=500)
    async with hub.sessions() as db:
        data = await improvement.review(db, period, _threshold(request), limit)
    data["allowed_labels"] = sorted(improvement.label_vocabulary())
    return web.json_response(data)


@routes.get("/nlu/labels")
async def nlu_labels(request: web.Request) -> web.Response:
    hub, _, _ = _context(request)
    page = int_query(request, "page", 1, lo=1, hi=100_000)
    per_page = int_query(request, "per_page", 50, lo=1, hi=500)
    async with hub.sessions() as db:
        return web.json_response(await improvement.list_labels(db, page, per_page))


@routes.post("/nlu/labels")
async def nlu_label(request: web.Request) -> web.Response:
    hub, user, _ = _context(request)
    ids, label = improvement.validate_label_body(
        await read_json(request), improvement.label_vocabulary()
    )
    async with hub.sessions() as db, db.begin():
        labels = await improvement.add_labels(db, ids, label, user.id)
    return web.json_response({"labels": labels}, status=201)


@routes.delete("/nlu/labels/{id:\\d+}")
async def nlu_unlabel(request: web.Request) -> web.Response:
    hub, _, _ = _context(request)
    async with hub.sessions() as db, db.begin():
        await improvement.delete_label(db, int(request.match_info["id"]))
    return web.Response(status=204)


@routes.get("/nlu/export")
async def nlu_export(request: web.Request) -> web.Response:
    hub, _, _ = _context(request)
    only_new = request.query.get("only_new", "").lower() in ("1", "true", "yes")
    # A GET only reads; ``mark=true`` records the labels as exported (for ``only_new``).
    mark = request.query.get("mark", "").lower() in ("1", "true", "yes")
    async with hub.sessions() as db, db.begin():
        text = await improvement.export_nlu(db, only_new=only_new, mark=mark)
    return web.Response(
        text=text,
        content_type="application/x-yaml",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="nlu_reviewed.yml"'},
    )


# ------------------------------------------------------------------ improvement actions


@routes.get("/improvement-actions")
async def action_list(request: web.Request) -> web.Response:
    hub, _, tz = _context(request)
    statuses = query_choices(request.query, "status", actions.STATUSES)
    async with hub.sessions() as db:
        items = await actions.list_actions(db, _today(tz), statuses)
    return web.json_response(
        {"actions": items, "overdue": sum(1 for item in items if item["overdue"])}
    )


@routes.post("/improvement-actions")
async def action_create(request: web.Request) -> web.Response:
    hub, user, tz = _context(request)
    body = await read_json(request)
    async with hub.sessions() as db, db.begin():
        item = await actions.create_action(db, body, user.id, _today(tz))
    return web.json_response(item, status=201)


@routes.get("/improvement-actions/{id:\\d+}")
async def action_get(request: web.Request) -> web.Response:
    hub, _, tz = _context(request)
    async with hub.sessions() as db:
        action = await actions.get_action(db, int(request.match_info["id"]))
        return web.json_response(actions.action_json(action, _today(tz)))


@routes.patch("/improvement-actions/{id:\\d+}")
async def action_update(request: web.Request) -> web.Response:
    hub, _, tz = _context(request)
    body = await read_json(request)
    async with hub.sessions() as db, db.begin():
        item = await actions.update_action(db, int(request.match_info["id"]), body, _today(tz))
    return web.json_response(item)
