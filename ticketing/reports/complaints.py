"""Complaint analysis (the guide's periodic analysis step): what customers complain about,
how it trends, how long complaints take, how satisfied complainants are afterwards, who
complains again, and the words they use."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import COMPLAINT_CATEGORIES, Complaint, Customer, Rating, Ticket
from ..privacy import masking as privacy
from ..shop import Shop
from .common import csat_block, in_period
from .periods import Period, bucket_label, bucket_start, buckets
from .stats import delta, direction, durations, rounded, slope
from .text import top_words
from .timing import BusinessClock

HOW: dict[str, str] = {
    "by_category": (
        "Complaints recorded in the period (complaint records, by their creation time in the "
        "shop's time zone), per category and per week or month. trend.slope is the "
        "least-squares change in complaints per bucket across the period's buckets (the first "
        "and last buckets may be partial); previous_total is the same category in the "
        "previous period of equal length."
    ),
    "resolution": (
        "Complaints of the period whose ticket is resolved: business minutes from the ticket's "
        "creation to its resolution, without time pending on the customer; nearest-rank "
        "p50/p90."
    ),
    "satisfaction_after": (
        "Survey answers given in the period about a complaint's resolution (ratings with "
        "about = resolution): average 1-5 score, distribution and share of 4-5."
    ),
    "repeat_complainants": (
        "Customers with two or more complaints in the period (matched by customer profile, "
        "else by e-mail address; anonymous complaints cannot be matched)."
    ),
    "top_words": (
        "The most frequent words of the complaint descriptions in the period: lowercase, "
        "order numbers, digits, English stop words and words under 3 letters left out."
    ),
}


def _identity(row: Any) -> tuple[str, Any] | None:
    if row.customer_id:
        return ("customer", row.customer_id)
    email = (row.ticket_email or "").strip().lower()
    return ("email", email) if email else None


async def _previous_counts(db: AsyncSession, period: Period) -> Counter:
    rows = await db.execute(
        select(Complaint.category, func.count())
        .where(in_period(Complaint.created_at, period))
        .group_by(Complaint.category)
    )
    return Counter({category: n for category, n in rows})


async def _satisfaction_after(db: AsyncSession, period: Period) -> dict[str, Any]:
    rows = (
        await db.execute(
            select(Rating.csat, Complaint.category)
            .outerjoin(Complaint, Complaint.ticket_id == Rating.ticket_id)
            .where(
                in_period(Rating.created_at, period),
                Rating.about == "resolution",
                Rating.csat.isnot(None),
            )
        )
    ).all()
    by_category: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_category[row.category or "unknown"].append(row.csat)
    return {
        **csat_block([row.csat for row in rows]),
        "by_category": [{"category": c, **csat_block(by_category[c])} for c in sorted(by_category)],
    }


async def complaints_report(
    db: AsyncSession, shop: Shop, period: Period, group: str, masked: bool
) -> dict[str, Any]:
    rows = (
        await db.execute(
            select(
                Complaint.category,
                Complaint.description,
                Complaint.created_at,
                Ticket.number,
                Ticket.created_at.label("ticket_created_at"),
                Ticket.resolved_at,
                Ticket.pauses,
                Ticket.customer_id,
                Ticket.customer_email.label("ticket_email"),
                Ticket.customer_name.label("ticket_name"),
                Customer.name.label("profile_name"),
                Customer.email.label("profile_email"),
            )
            .join(Ticket, Ticket.id == Complaint.ticket_id)
            .outerjoin(Customer, Customer.id == Ticket.customer_id)
            .where(in_period(Complaint.created_at, period))
            .order_by(Complaint.created_at, Complaint.id)
        )
    ).all()
    clock = BusinessClock(shop.calendar)
    starts = buckets(period, group)
    position = {start: i for i, start in enumerate(starts)}
    categories = list(COMPLAINT_CATEGORIES) + sorted(
        {r.category for r in rows} - set(COMPLAINT_CATEGORIES)
    )
    counts = {c: [0] * len(starts) for c in categories}
    minutes: list[float] = []
    unresolved = 0
    people: dict[tuple[str, Any], list[Any]] = defaultdict(list)
    for row in rows:
        counts[row.category][position[bucket_start(period.local_date(row.created_at), group)]] += 1
        if row.resolved_at is not None:
            minutes.append(clock.minutes(row.ticket_created_at, row.resolved_at, row.pauses))
        else:
            unresolved += 1
        identity = _identity(row)
        if identity is not None:
            people[identity].append(row)
    previous = await _previous_counts(db, period.previous())
    by_category = []
    for category in categories:
        series = counts[category]
        total = sum(series)
        trend = slope(series)
        by_category.append(
            {
                "category": category,
                "total": total,
                "counts": series,
                "previous_total": previous.get(category, 0),
                "change": delta(total, previous.get(category, 0)),
                "trend": {"slope": rounded(trend), "direction": direction(trend)},
            }
        )
    repeaters = []
    for complaints in people.values():
        if len(complaints) < 2:
            continue
        first = complaints[0]
        repeaters.append(
            {
                "customer": privacy.customer(
                    first.profile_name or first.ticket_name,
                    first.profile_email or first.ticket_email,
                    masked,
                ),
                "complaints": len(complaints),
                "categories": dict(Counter(c.category for c in complaints)),
                "tickets": [c.number for c in complaints],
            }
        )
    repeaters.sort(key=lambda item: (-item["complaints"], item["tickets"][0] or ""))
    return {
        "period": period.as_json(),
        "group": group,
        "buckets": [{"start": s.isoformat(), "label": bucket_label(s, group)} for s in starts],
        "total": len(rows),
        "per_bucket": [sum(counts[c][i] for c in categories) for i in range(len(starts))],
        "previous_total": sum(previous.values()),
        "by_category": by_category,
        "resolution": {
            "unit": "business_minutes",
            "resolved": len(minutes),
            "unresolved": unresolved,
            **durations(minutes),
        },
        "satisfaction_after": await _satisfaction_after(db, period),
        "repeat_complainants": {"count": len(repeaters), "customers": repeaters},
        "top_words": top_words(
            (row.description or "" for row in rows),
            leave_out=privacy.known_names(
                [{"customer_name": r.profile_name or r.ticket_name} for r in rows]
            ),
        ),
        "how": HOW,
    }


CSV_HEADER = ["section", "key", "bucket", "value"]


def csv_rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    labels = [b["label"] for b in report["buckets"]]
    for item in report["by_category"]:
        for label, count in zip(labels, item["counts"], strict=True):
            yield ["complaints", item["category"], label, count]
        yield ["total", item["category"], "period", item["total"]]
        yield ["previous_total", item["category"], "previous period", item["previous_total"]]
        yield ["trend_slope", item["category"], "period", item["trend"]["slope"]]
    for stat in ("resolved", "unresolved", "avg", "p50", "p90"):
        yield ["resolution_business_minutes", stat, "period", report["resolution"][stat]]
    after = report["satisfaction_after"]
    for stat in ("count", "average", "satisfaction_rate"):
        yield ["satisfaction_after", stat, "period", after[stat]]
    for person in report["repeat_complainants"]["customers"]:
        yield ["repeat_complainant", person["customer"]["email"], "period", person["complaints"]]
    for word in report["top_words"]:
        yield ["top_word", word["word"], "period", word["count"]]
