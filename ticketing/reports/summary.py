"""The dashboard summary: how the service did in a period, compared with the period before.

``summary()`` returns the current period's figures at the top level, the same figures of the
previous period of equal length under ``"previous"``, their ``"deltas"``, the ``"live"`` queue
and a ``"how"`` text per figure. Counts come from SQL aggregates; only per-ticket durations
(business minutes need the shop's calendar) and per-conversation outcomes are computed here.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import DECISIONS, Conversation, Message, Rating, Ticket, TicketEvent, utcnow
from ..shop import Shop
from ..tickets import QUEUED_STATUSES, online_agents
from .common import (
    FALLBACK_INTENT,
    csat_block,
    in_period,
    iso,
    survey_response,
    team_json,
    teams_by_id,
    users_by_id,
)
from .outcomes import IDLE, OUTCOMES, conversation_figures
from .periods import Period
from .response_times import time_figures
from .stats import delta, rate, rounded
from .timing import BusinessClock, business_minutes

TOP = 10

HOW: dict[str, str] = {
    "conversations": (
        "Chat sessions started in the period (shop's local dates) in which the customer wrote "
        "at least one message; sessions where nobody wrote are not counted."
    ),
    "outcomes": (
        "Each conversation gets one outcome. 'Gone' means the chat was closed or the customer "
        "was last seen (or last wrote) 30 minutes ago or more. Not handed off: 'abandoned_bot' "
        "when gone and the bot did not help at the end: the customer's last request (small "
        "talk such as thanks, yes, no or goodbye left out) was not understood (nlu_fallback) "
        "or declined, or the last answer the customer rated was marked unhelpful; "
        "'contained' when gone otherwise, 'ongoing' while still active. Handed off (has a "
        "ticket): 'escalated' once an agent claimed or answered a ticket of it (or it became "
        "an offline ticket answered by e-mail), 'abandoned_queue' when gone before any agent "
        "claimed it, 'ongoing' while still waiting. containment_rate = contained / "
        "conversations; abandonment_rate = (abandoned_bot + abandoned_queue) / conversations."
    ),
    "handoffs": (
        "Tickets created from a chat in the period (each hand-off to a human creates one), "
        "by the hand-off reason."
    ),
    "fallback": (
        "Customer messages in the period that the assistant classified: rate = messages with "
        "intent nlu_fallback / messages with any intent. Messages written to an agent have no "
        "intent and are not counted."
    ),
    "decisions": (
        "Customer messages in the period the assistant answered, by what it did: answered, "
        "clarified (asked which topic was meant), declined (off-topic or too unsure to answer) "
        "or handed_off. declined_rate = declined / messages with a decision; "
        "clarification_rate = clarified / messages with a decision. Messages written to an "
        "agent, and those from before decisions were recorded, have none and are not counted."
    ),
    "helpfulness": (
        "The assistant's answers created in the period that the customer rated with 'Was this "
        "helpful?': rate = helpful / (helpful + unhelpful)."
    ),
    "top_intents": (
        "The most frequent intents of customer messages in the period (nlu_fallback excluded); "
        "share = count / customer messages with an intent."
    ),
    "faq_topics": "Customer messages answered from the FAQ (intent faq/<topic>), by topic.",
    "csat": (
        "Survey answers given in the period with a 1-5 score: average, distribution, "
        "satisfaction_rate = share of 4 and 5 (Chatwoot's definition). response_rate = "
        "conversations offered the survey in the period that have a score / conversations "
        "offered the survey in the period. By agent: the agent the rating is about; by team "
        "and category: the rated ticket's (ratings of bot-only chats have no ticket)."
    ),
    "resolved": (
        "Survey answers given in the period to 'was your issue resolved?': rate = yes / (yes + no)."
    ),
    "times": (
        "Business minutes of the shop's calendar (business_hours in shop.yml), not counting "
        "time the ticket was pending on the customer. first_response: ticket created -> first "
        "agent reply, for first replies in the period; next_response: a customer message "
        "while an agent handles the chat -> that agent's next reply, for replies in the "
        "period; resolution: ticket created -> resolved, for tickets resolved in the period. "
        "p50/p90 are nearest-rank percentiles (always an observed value)."
    ),
    "sla": (
        "Tickets with an SLA breach event in the period, or created in the period and flagged "
        "breached; by_clock counts the breached clocks of those events. breach_rate = "
        "breached tickets created in the period / tickets created in the period."
    ),
    "live": (
        "Now, whatever the period: tickets waiting unclaimed in the queue (new or reopened), "
        "the longest-waiting one and agents online."
    ),
}

DEFINITIONS = {
    "idle_minutes": int(IDLE.total_seconds() // 60),
    "fallback_intent": FALLBACK_INTENT,
    "satisfied_scores": [4, 5],
    "percentiles": "nearest-rank",
    "rates": "fractions from 0 to 1; null when the denominator is 0",
    "durations": "business minutes",
}


# ------------------------------------------------------------------ hand-offs and NLU


async def _handoffs(db: AsyncSession, period: Period) -> dict[str, Any]:
    rows = await db.execute(
        select(Ticket.reason, func.count())
        .where(in_period(Ticket.created_at, period), Ticket.conversation_id.isnot(None))
        .group_by(Ticket.reason)
    )
    by_reason = dict(sorted(((r, n) for r, n in rows), key=lambda item: (-item[1], item[0])))
    return {"total": sum(by_reason.values()), "by_reason": by_reason}


async def _intents(db: AsyncSession, period: Period) -> dict[str, Any]:
    rows = await db.execute(
        select(Message.intent, func.count())
        .where(
            Message.sender == "customer",
            in_period(Message.created_at, period),
            Message.intent.isnot(None),
        )
        .group_by(Message.intent)
    )
    counts = {intent: n for intent, n in rows}
    turns = sum(counts.values())
    fallbacks = counts.get(FALLBACK_INTENT, 0)
    ranked = sorted(
        ((i, n) for i, n in counts.items() if i != FALLBACK_INTENT),
        key=lambda item: (-item[1], item[0]),
    )
    return {
        "fallback": {
            "customer_turns": turns,
            "fallback_turns": fallbacks,
            "rate": rounded(rate(fallbacks, turns)),
        },
        "top_intents": [
            {"intent": i, "count": n, "share": rounded(rate(n, turns))} for i, n in ranked[:TOP]
        ],
        **await _decisions(db, period),
        "faq_topics": [
            {"topic": i.split("/", 1)[1], "intent": i, "count": n}
            for i, n in ranked
            if i.startswith("faq/")
        ][:TOP],
    }


async def _decisions(db: AsyncSession, period: Period) -> dict[str, Any]:
    rows = await db.execute(
        select(Message.decision, func.count())
        .where(
            Message.sender == "customer",
            in_period(Message.created_at, period),
            Message.decision.isnot(None),
        )
        .group_by(Message.decision)
    )
    counts = {name: 0 for name in DECISIONS}
    counts.update({decision: n for decision, n in rows if decision in counts})
    decided = sum(counts.values())
    ratings = await db.execute(
        select(Message.helpful, func.count())
        .where(
            Message.sender == "bot",
            in_period(Message.created_at, period),
            Message.helpful.isnot(None),
        )
        .group_by(Message.helpful)
    )
    rated = {bool(helpful): n for helpful, n in ratings}
    helpful, unhelpful = rated.get(True, 0), rated.get(False, 0)
    return {
        "decisions": {
            "customer_turns": decided,
            **counts,
            "declined_rate": rounded(rate(counts["declined"], decided)),
            "clarification_rate": rounded(rate(counts["clarified"], decided)),
        },
        "helpfulness": {
            "helpful": helpful,
            "unhelpful": unhelpful,
            "rate": rounded(rate(helpful, helpful + unhelpful)),
        },
    }


# ------------------------------------------------------------------ satisfaction


def _grouped_csat(pairs: list[tuple[Any, int]]) -> dict[Any, dict[str, Any]]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for key, score in pairs:
        groups[key].append(score)
    return {key: csat_block(scores) for key, scores in groups.items()}


async def _csat(db: AsyncSession, period: Period) -> dict[str, Any]:
    rows = (
        await db.execute(
            select(
                Rating.csat,
                Rating.resolved,
                Rating.agent_id,
                Ticket.team_id,
                Ticket.category,
            )
            .outerjoin(Ticket, Ticket.id == Rating.ticket_id)
            .where(in_period(Rating.created_at, period))
        )
    ).all()
    scored = [r for r in rows if r.csat is not None]
    response = await survey_response(db, period)
    users = await users_by_id(db, (r.agent_id for r in scored))
    teams = await teams_by_id(db)
    by_agent = _grouped_csat([(r.agent_id, r.csat) for r in scored if r.agent_id])
    by_team = _grouped_csat([(r.team_id, r.csat) for r in scored if r.team_id])
    by_category = _grouped_csat([(r.category, r.csat) for r in scored if r.category])
    answered = [r.resolved for r in rows if r.resolved is not None]
    return {
        "csat": {
            **csat_block([r.csat for r in scored]),
            **response,
            "by_agent": sorted(
                (
                    {
                        "agent": {"id": i, "name": users[i].name if i in users else None},
                        **block,
                    }
                    for i, block in by_agent.items()
                ),
                key=lambda item: (item["agent"]["name"] or "", item["agent"]["id"]),
            ),
            "by_team": sorted(
                ({"team": team_json(teams.get(i)), **block} for i, block in by_team.items()),
                key=lambda item: item["team"]["key"] if item["team"] else "",
            ),
            "by_category": [
                {"category": c, **by_category[c]} for c in sorted(by_category, key=str)
            ],
        },
        "resolved": {
            "answered": len(answered),
            "resolved": sum(1 for value in answered if value),
            "rate": rounded(rate(sum(1 for value in answered if value), len(answered))),
        },
    }


# ------------------------------------------------------------------ SLA


async def _sla(db: AsyncSession, period: Period) -> dict[str, Any]:
    events = (
        await db.execute(
            select(TicketEvent.ticket_id, TicketEvent.data).where(
                TicketEvent.kind == "sla_breached", in_period(TicketEvent.created_at, period)
            )
        )
    ).all()
    flagged = set(
        (
            await db.execute(
                select(Ticket.id).where(
                    in_period(Ticket.created_at, period), Ticket.breached.is_(True)
                )
            )
        ).scalars()
    )
    created = await db.scalar(
        select(func.count(Ticket.id)).where(in_period(Ticket.created_at, period))
    )
    by_clock: Counter = Counter()
    for event in events:
        for clock in (event.data or {}).get("clocks") or []:
            by_clock[clock] += 1
    return {
        "sla": {
            "breached_tickets": len({e.ticket_id for e in events} | flagged),
            "by_clock": dict(sorted(by_clock.items())),
            "tickets_created": created or 0,
            "breach_rate": rounded(rate(len(flagged), created or 0)),
        }
    }


# ------------------------------------------------------------------ live


async def live(db: AsyncSession, shop: Shop, now: datetime) -> dict[str, Any]:
    waiting = (Ticket.status.in_(QUEUED_STATUSES), Ticket.assignee_id.is_(None))
    size = await db.scalar(select(func.count(Ticket.id)).where(*waiting))
    oldest = (
        await db.execute(
            select(Ticket.number, Ticket.priority, Ticket.created_at, Conversation.public_id)
            .outerjoin(Conversation, Conversation.id == Ticket.conversation_id)
            .where(*waiting)
            .order_by(Ticket.created_at, Ticket.id)
            .limit(1)
        )
    ).first()
    oldest_json = None
    if oldest is not None:
        oldest_json = {
            "ticket": oldest.number,
            "priority": oldest.priority,
            "session_id": oldest.public_id,
            "waiting_since": iso(oldest.created_at),
            "waiting_minutes": round((now - oldest.created_at).total_seconds() / 60, 1),
            "waiting_business_minutes": round(
                business_minutes(shop.calendar, oldest.created_at, now), 1
            ),
        }
    return {
        "at": iso(now),
        "queue_size": size or 0,
        "oldest_waiting": oldest_json,
        "agents_online": await online_agents(db),
    }


# ------------------------------------------------------------------ the report


async def period_figures(
    db: AsyncSession, clock: BusinessClock, period: Period, now: datetime
) -> dict[str, Any]:
    figures: dict[str, Any] = {"period": period.as_json()}
    figures.update(await conversation_figures(db, period, now))
    figures["handoffs"] = await _handoffs(db, period)
    figures.update(await _intents(db, period))
    figures.update(await _csat(db, period))
    figures.update(await time_figures(db, clock, period))
    figures.update(await _sla(db, period))
    return figures


def scalar_figures(figures: dict[str, Any]) -> dict[str, float | None]:
    """The headline numbers that get a delta against the previous period."""
    times = figures["times"]
    return {
        "conversations": figures["conversations"]["total"],
        "containment_rate": figures["outcomes"]["containment_rate"],
        "escalation_rate": figures["outcomes"]["escalation_rate"],
        "abandonment_rate": figures["outcomes"]["abandonment_rate"],
        "handoffs": figures["handoffs"]["total"],
        "fallback_rate": figures["fallback"]["rate"],
        "declined_rate": figures["decisions"]["declined_rate"],
        "clarification_rate": figures["decisions"]["clarification_rate"],
        "helpfulness_rate": figures["helpfulness"]["rate"],
        "csat_average": figures["csat"]["average"],
        "satisfaction_rate": figures["csat"]["satisfaction_rate"],
        "response_rate": figures["csat"]["response_rate"],
        "resolved_rate": figures["resolved"]["rate"],
        "first_response_p50": times["first_response"]["p50"],
        "first_response_p90": times["first_response"]["p90"],
        "next_response_p50": times["next_response"]["p50"],
        "resolution_p50": times["resolution"]["p50"],
        "resolution_p90": times["resolution"]["p90"],
        "sla_breaches": figures["sla"]["breached_tickets"],
    }


async def summary(
    sessions: Callable[[], AsyncSession], shop: Shop, period: Period, now: datetime | None = None
) -> dict[str, Any]:
    """The report; the two periods are computed at the same time on two connections."""
    now = now or utcnow()
    clock = BusinessClock(shop.calendar)

    async def figures(of: Period) -> dict[str, Any]:
        async with sessions() as db:
            return await period_figures(db, clock, of, now)

    # both run to their end (no task is left behind holding a connection), then errors raise
    results = await asyncio.gather(
        figures(period), figures(period.previous()), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    current, previous = results
    async with sessions() as db:
        live_now = await live(db, shop, now)
    now_values, before = scalar_figures(current), scalar_figures(previous)
    return {
        **current,
        "previous": previous,
        "deltas": {name: delta(now_values[name], before[name]) for name in now_values},
        "live": live_now,
        "how": HOW,
        "definitions": DEFINITIONS,
    }


def csv_rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    """``figure, key, value, previous, change`` rows of a summary (long format)."""
    now_values, before = scalar_figures(report), scalar_figures(report["previous"])
    for name, value in now_values.items():
        yield ["headline", name, value, before[name], report["deltas"][name]["change"]]
    previous_days = [d["count"] for d in report["previous"]["conversations"]["per_day"]]
    for day, before_day in zip(report["conversations"]["per_day"], previous_days, strict=True):
        yield ["conversations_per_day", day["date"], day["count"], before_day, None]
    for name in (*OUTCOMES, "abandoned"):
        yield [
            "outcomes",
            name,
            report["outcomes"][name],
            report["previous"]["outcomes"][name],
            None,
        ]
    reasons = set(report["handoffs"]["by_reason"]) | set(
        report["previous"]["handoffs"]["by_reason"]
    )
    for reason in sorted(reasons):
        yield [
            "handoffs_by_reason",
            reason,
            report["handoffs"]["by_reason"].get(reason, 0),
            report["previous"]["handoffs"]["by_reason"].get(reason, 0),
            None,
        ]
    for item in report["top_intents"]:
        yield ["top_intents", item["intent"], item["count"], None, None]
    for item in report["faq_topics"]:
        yield ["faq_topics", item["topic"], item["count"], None, None]
    for score, count in report["csat"]["distribution"].items():
        yield [
            "csat_distribution",
            score,
            count,
            report["previous"]["csat"]["distribution"][score],
            None,
        ]
    for item in report["csat"]["by_agent"]:
        yield ["csat_by_agent", item["agent"]["name"], item["average"], None, item["count"]]
    for item in report["csat"]["by_team"]:
        key = item["team"]["key"] if item["team"] else None
        yield ["csat_by_team", key, item["average"], None, item["count"]]
    for item in report["csat"]["by_category"]:
        yield ["csat_by_category", item["category"], item["average"], None, item["count"]]
    for clock in ("first_response", "next_response", "resolution"):
        for stat in ("count", "avg", "p50", "p90"):
            yield [
                "times_business_minutes",
                f"{clock}_{stat}",
                report["times"][clock][stat],
                report["previous"]["times"][clock][stat],
                None,
            ]
    live_now = report["live"]
    yield ["live", "queue_size", live_now["queue_size"], None, None]
    oldest = live_now["oldest_waiting"]
    yield ["live", "oldest_waiting_since", oldest and oldest["waiting_since"], None, None]


CSV_HEADER = ["figure", "key", "value", "previous", "change_or_count"]
