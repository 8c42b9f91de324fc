"""The supervisor's read-only reports: figures, transcripts and their CSV exports.

Each function opens its own session (nothing here writes). The acting ``user`` decides whether
customer details are masked (``privacy.masks_pii``); the view checks the supervisor role.

CSV exports come back as a ``CsvExport`` (file name, header, rows) that the web layer streams.
The period reports build their figures first and hand over plain rows; the transcript and ticket
exports read the database while they stream, so they are context managers that keep their
session open until the caller leaves the block:

    async with reports.conversations_csv(hub, user, query) as export:
        ...stream export.rows...

Their filters are parsed on entry, so a bad query raises before anything is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ..context import Hub
from ..models import User, utcnow
from ..privacy import masking as privacy
from ..reports import (
    agents,
    complaints,
    satisfaction,
    summary,
    ticket_export,
    transcripts,
)
from ..reports.periods import Period
from .audit import audited


@dataclass(frozen=True)
class CsvExport:
    filename: str
    header: Sequence[str]
    rows: AsyncIterable[Sequence[Any]] | Iterable[Sequence[Any]]


def shop_timezone(hub: Hub) -> ZoneInfo:
    """The shop's time zone: report dates and "today" are local to it."""
    return ZoneInfo(hub.shop.calendar.timezone)


def _masked(hub: Hub, user: User) -> bool:
    return privacy.masks_pii(user, hub.settings)


def _period_csv(name: str, module: Any, report: dict[str, Any]) -> CsvExport:
    """A period report as CSV: ``<name>_<from>_<to>.csv`` with the module's header and rows."""
    filename = f"{name}_{report['period']['from']}_{report['period']['to']}.csv"
    return CsvExport(filename, module.CSV_HEADER, module.csv_rows(report))


# ------------------------------------------------------------------ period reports


async def summary_report(hub: Hub, user: User, period: Period) -> dict[str, Any]:
    return await summary.summary(hub.sessions, hub.shop, period)


async def summary_csv(hub: Hub, user: User, period: Period) -> CsvExport:
    return _period_csv("summary", summary, await summary_report(hub, user, period))


async def complaints_report(hub: Hub, user: User, period: Period, group: str) -> dict[str, Any]:
    async with hub.sessions() as db:
        # unmasked here: the staff API masks every JSON answer at its boundary, with the
        # customers' names at hand (web/staff_auth.py, privacy/masking.py)
        return await complaints.complaints_report(db, hub.shop, period, group, False)


async def complaints_csv(hub: Hub, user: User, period: Period, group: str) -> CsvExport:
    report = await complaints_report(hub, user, period, group)
    if _masked(hub, user):  # the staff API masks JSON at its boundary; a CSV here
        report = privacy.mask_json(report)
    return _period_csv("complaints", complaints, report)


async def agents_report(hub: Hub, user: User, period: Period) -> dict[str, Any]:
    async with hub.sessions() as db:
        return await agents.agents_report(db, hub.shop, period)


async def agents_csv(hub: Hub, user: User, period: Period) -> CsvExport:
    return _period_csv("agents", agents, await agents_report(hub, user, period))


async def satisfaction_report(hub: Hub, user: User, period: Period, group: str) -> dict[str, Any]:
    async with hub.sessions() as db:
        return await satisfaction.satisfaction_report(
            db, hub.shop, period, group, hub.settings.csi_weights
        )


async def satisfaction_csv(hub: Hub, user: User, period: Period, group: str) -> CsvExport:
    return _period_csv(
        "satisfaction", satisfaction, await satisfaction_report(hub, user, period, group)
    )


async def live(hub: Hub, user: User) -> dict[str, Any]:
    """Queue size and the oldest waiting chat, right now (cheap enough to poll)."""
    async with hub.sessions() as db:
        return await summary.live(db, hub.shop, utcnow())


# ------------------------------------------------------------------ transcripts


async def list_conversations(
    hub: Hub, user: User, query: Mapping[str, str], page: int, per_page: int
) -> dict[str, Any]:
    """One page of transcripts matching the filters in ``query`` (422 for bad filters)."""
    async with hub.sessions() as db:
        filters = await transcripts.parse_filters(db, query, shop_timezone(hub))
        return await transcripts.list_conversations(db, filters, page, per_page, False)


async def conversation_detail(hub: Hub, user: User, session_id: str) -> dict[str, Any]:
    masked = _masked(hub, user)  # at the API's boundary (see complaints_report)
    async with hub.sessions() as db:
        data = await transcripts.conversation_detail(db, hub.shop, session_id, False)
    await audited(hub, user, "conversation.viewed", f"conversation:{session_id}", masked=masked)
    return data


async def _export_audited(hub: Hub, user: User, name: str, query: Mapping[str, str]) -> None:
    # the filters, but not the search text: it may hold a customer's name or address
    filters = {key: value[:100] for key, value in query.items() if key != "q"}
    await audited(
        hub,
        user,
        "report.exported",
        f"report:{name}",
        filters=filters,
        searched=bool(query.get("q")),
        masked=_masked(hub, user),
    )


@asynccontextmanager
async def conversations_csv(
    hub: Hub, user: User, query: Mapping[str, str]
) -> AsyncIterator[CsvExport]:
    """Every transcript matching ``query``, streamed from a session open for the block."""
    async with hub.sessions() as db:
        filters = await transcripts.parse_filters(db, query, shop_timezone(hub))
        rows = transcripts.iter_csv_rows(db, filters, _masked(hub, user))
        await _export_audited(hub, user, "conversations.csv", query)
        yield CsvExport("conversations.csv", transcripts.CSV_HEADER, rows)


@asynccontextmanager
async def tickets_csv(hub: Hub, user: User, query: Mapping[str, str]) -> AsyncIterator[CsvExport]:
    """Every ticket matching ``query``, streamed from a session open for the block."""
    async with hub.sessions() as db:
        filters = await ticket_export.parse_ticket_filters(db, query, shop_timezone(hub))
        rows = ticket_export.iter_ticket_rows(db, hub.shop, filters, _masked(hub, user))
        await _export_audited(hub, user, "tickets.csv", query)
        yield CsvExport("tickets.csv", ticket_export.CSV_HEADER, rows)
