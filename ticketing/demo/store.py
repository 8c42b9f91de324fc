"""Writing the demo history: ids, row batches, staff and customers, Core inserts."""

from __future__ import annotations

import bisect
import itertools
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from ..models import (
    Complaint,
    Conversation,
    Customer,
    ImprovementAction,
    Message,
    Rating,
    Team,
    Ticket,
    TicketEvent,
    User,
    user_teams,
)
from ..privacy.crypto import lookup_hash
from ..shop import Shop
from ..staff import hash_password
from .corpus import AGENT_NAMES, AGENT_TEAMS, BATCH, FIRST_NAMES, HOURLY, LAST_NAMES, UTC, WEEKDAY


@dataclass
class Rows:
    conversations: list[dict] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    complaints: list[dict] = field(default_factory=list)
    ratings: list[dict] = field(default_factory=list)

    def tables(self) -> list[tuple[Any, list[dict]]]:
        return [
            (Conversation.__table__, self.conversations),
            (Ticket.__table__, self.tickets),
            (Message.__table__, self.messages),
            (TicketEvent.__table__, self.events),
            (Complaint.__table__, self.complaints),
            (Rating.__table__, self.ratings),
        ]


class Ids:
    def __init__(self, start: dict[str, int]) -> None:
        self.next = dict(start)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class Staff:
    agents_by_team: dict[str, list[tuple[int, str]]]
    teams: dict[str, int]


def _timestamps(rng: random.Random, n: int, shop: Shop, end: datetime, days: int) -> list[datetime]:
    tz = ZoneInfo(shop.calendar.timezone)
    last_day = end.astimezone(tz).date()
    first_day = last_day - timedelta(days=days - 1)
    days_list = [first_day + timedelta(days=i) for i in range(days)]
    day_weights = list(itertools.accumulate(WEEKDAY[d.weekday()] for d in days_list))
    hour_weights = list(itertools.accumulate(HOURLY))
    stamps = []
    while len(stamps) < n:
        day = days_list[bisect.bisect(day_weights, rng.random() * day_weights[-1])]
        hour = bisect.bisect(hour_weights, rng.random() * hour_weights[-1])
        local = datetime.combine(day, time(hour), tzinfo=tz) + timedelta(
            seconds=rng.randrange(3600)
        )
        moment = local.astimezone(UTC)
        if moment < end - timedelta(minutes=5):
            stamps.append(moment)
    stamps.sort()
    return stamps


async def _next_ids(conn) -> dict[str, int]:
    tables = {
        "conversations": Conversation,
        "messages": Message,
        "tickets": Ticket,
        "ticket_events": TicketEvent,
        "complaints": Complaint,
        "ratings": Rating,
    }
    return {
        name: int(await conn.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1
        for name, model in tables.items()
    }


async def _staff(conn) -> Staff:
    teams = dict((await conn.execute(select(Team.key, Team.id))).all())
    rows = (
        await conn.execute(
            select(User.id, User.name, Team.key)
            .join(user_teams, user_teams.c.user_id == User.id)
            .join(Team, Team.id == user_teams.c.team_id)
            .where(User.role == "agent")
        )
    ).all()
    if len({r.id for r in rows}) < 4:
        password = hash_password(secrets.token_urlsafe(24))  # nobody can sign in as them
        for name, keys in zip(AGENT_NAMES, AGENT_TEAMS, strict=True):
            email = f"{name.lower()}.demo@northwind.example"
            user_id = await conn.scalar(select(User.id).where(User.email == email))
            if user_id is None:
                user_id = (
                    await conn.execute(
                        insert(User.__table__).values(
                            email=email,
                            name=name,
                            role="agent",
                            password_hash=password,
                            active=False,
                            presence="offline",
                            capacity=4,
                            created_at=datetime.now(UTC),
                        )
                    )
                ).inserted_primary_key[0]
                await conn.execute(
                    insert(user_teams),
                    [{"user_id": user_id, "team_id": teams[k]} for k in keys if k in teams],
                )
        return await _staff(conn)
    by_team: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        by_team.setdefault(row.key, []).append((row.id, row.name))
    if "general" not in by_team:
        by_team["general"] = sorted({(r.id, r.name) for r in rows})
    return Staff(agents_by_team=by_team, teams=teams)


async def _customers(conn, rng: random.Random, count: int) -> list[tuple[int, str, str]]:
    emails = [f"demo.customer{i}@example.com" for i in range(count)]
    hashes = {lookup_hash(e): e for e in emails}  # the addresses are encrypted at rest
    existing = dict(
        (
            await conn.execute(
                select(Customer.email, Customer.id).where(Customer.email_hash.in_(list(hashes)))
            )
        ).all()
    )
    missing = [e for e in emails if e not in existing]
    now = datetime.now(UTC)
    for start in range(0, len(missing), BATCH):
        await conn.execute(
            insert(Customer.__table__),
            [
                {
                    "email": e,
                    "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    "tier": rng.choice(("high", "medium", "medium", "low")),
                    "lifecycle": "mature",
                    "vip": rng.random() < 0.03,
                    "dispute": False,
                    "marketing_consent": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for e in missing[start : start + BATCH]
            ],
        )
    rows = await conn.execute(
        select(Customer.id, Customer.name, Customer.email).where(
            Customer.email_hash.in_(list(hashes))
        )
    )
    return sorted((r.id, r.name, r.email) for r in rows)


async def _insert(conn, rows: Rows) -> None:
    for table, items in rows.tables():
        for start in range(0, len(items), BATCH):
            await conn.execute(insert(table), items[start : start + BATCH])


async def _fix_sequences(conn) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in (
        "conversations",
        "messages",
        "tickets",
        "ticket_events",
        "complaints",
        "ratings",
        "customers",
        "users",
        "improvement_actions",
    ):
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


async def _sample_actions(conn, end: datetime) -> None:
    if await conn.scalar(select(func.count(ImprovementAction.id))):
        return
    today = end.date()
    await conn.execute(
        insert(ImprovementAction.__table__),
        [
            {
                "title": "Stronger packaging for lamps and glass",
                "department": "Warehouse",
                "owner": "Warehouse lead",
                "due_date": today - timedelta(days=5),
                "status": "in_progress",
                "acceptance_criteria": "Breakage complaints halved over 4 weeks",
                "source": "/supervisor#report=complaints",
                "created_at": end,
                "updated_at": end,
            },
            {
                "title": "Teach the bot more ways to ask where an order is",
                "department": "Support",
                "owner": "Bot trainer",
                "due_date": today + timedelta(days=14),
                "status": "open",
                "acceptance_criteria": "Fallback rate under 8 % for a week",
                "source": "/supervisor#report=nlu",
                "created_at": end,
                "updated_at": end,
            },
        ],
    )
