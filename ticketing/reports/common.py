"""Pieces shared by the reports: period filters, CSAT blocks, names of agents and teams."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ..errors import invalid
from ..models import Conversation, Rating, Team, User
from .periods import Period
from .stats import distribution, mean, rate, rounded

SATISFIED = (4, 5)
# SQL literals, not parameters: the database then knows they are integers
ONE, ZERO = literal_column("1"), literal_column("0")
FALLBACK_INTENT = "nlu_fallback"


def dialect(db: AsyncSession) -> str:
    """``"postgresql"`` or ``"sqlite"``: the database behind ``db``."""
    return db.get_bind().dialect.name


def in_period(column: Any, period: Period) -> ColumnElement:
    return and_(column >= period.start_utc, column < period.end_utc)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def csat_block(scores: Sequence[int]) -> dict[str, Any]:
    """Count, average, 1-5 distribution and satisfaction rate (share of 4 and 5)."""
    return {
        "count": len(scores),
        "average": rounded(mean(scores), 4),
        "distribution": distribution(scores),
        "satisfaction_rate": rounded(rate(sum(1 for s in scores if s in SATISFIED), len(scores))),
    }


async def users_by_id(db: AsyncSession, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = await db.execute(select(User).where(User.id.in_(wanted)))
    return {user.id: user for user in rows.scalars()}


async def teams_by_id(db: AsyncSession) -> dict[int, Team]:
    return {team.id: team for team in (await db.execute(select(Team))).scalars()}


def team_json(team: Team | None) -> dict[str, Any] | None:
    return None if team is None else {"id": team.id, "key": team.key, "name": team.name}


async def survey_response(db: AsyncSession, period: Period) -> dict[str, Any]:
    """Conversations offered the survey in the period, and how many of them have a score."""
    offered, rated = (
        await db.execute(
            select(func.count(Conversation.id), func.count(Rating.csat))
            .select_from(Conversation)
            .outerjoin(Rating, Rating.conversation_id == Conversation.id)
            .where(in_period(Conversation.survey_offered_at, period))
        )
    ).one()
    return {"offered": offered, "rated": rated, "response_rate": rounded(rate(rated, offered))}


def query_bool(query: Mapping[str, str], name: str) -> bool | None:
    raw = (query.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise invalid(f"{name} must be true or false", field=name)


def query_choices(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = tuple(v.strip() for v in (query.get(name) or "").split(",") if v.strip())
    wrong = [v for v in values if v not in allowed]
    if wrong:
        raise invalid(f"{name} must be one of {', '.join(allowed)}", field=name)
    return values
