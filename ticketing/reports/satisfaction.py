"""The satisfaction report, as the guide describes it: score and distribution, the service
dimensions, a composite satisfaction index (CSI), the trend, correlations and the split by
channel stage (bot only vs human)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import Misconfigured
from ..models import Rating
from ..shop import Shop
from .common import csat_block, in_period, survey_response
from .periods import Period, bucket_label, bucket_start, buckets
from .stats import mean, pearson, rate, rounded

DIMENSIONS = ("speed", "problem_solving", "attitude")
DEFAULT_WEIGHTS = {"speed": 0.3, "problem_solving": 0.4, "attitude": 0.3}
STAGES = ("bot", "human")

HOW: dict[str, str] = {
    "score": (
        "Survey answers given in the period with a 1-5 overall score (csat): count, average, "
        "distribution, satisfaction_rate = share of 4 and 5. response_rate = conversations "
        "offered the survey in the period that have a score / conversations offered it."
    ),
    "dimensions": (
        "Average of each service dimension (speed, problem solving, attitude; 1-5) over the "
        "answers that rated it; score = (average - 1) / 4 x 100."
    ),
    "csi": (
        "Composite satisfaction index, 0-100: the weighted mean of the dimension scores, "
        "sum(w x score) / sum(w) over the dimensions that have answers. Weights from "
        "CSI_WEIGHTS (environment), else the csi key of shop.yml, else the defaults."
    ),
    "trend": "The same figures per week or month of the period (local time of the shop).",
    "correlation": (
        "Pearson's r between each dimension and the overall score, over answers that have "
        "both; null with fewer than 3 pairs or when either has no variance."
    ),
    "by_stage": (
        "Split by who served the customer: 'bot' (the assistant alone) or 'human' (an agent "
        "handled the chat), as recorded with the rating."
    ),
}


def parse_weights(raw: Mapping[str, Any] | str, where: str) -> dict[str, float]:
    """``"speed=0.3,problem_solving=0.4,attitude=0.3"`` or a mapping, normalised to sum 1."""
    if isinstance(raw, str):
        pairs: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            name, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"{where}: expected name=weight, got {part!r}")
            pairs[name.strip()] = value.strip()
        raw = pairs
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError(f"{where}: expected weights for {', '.join(DIMENSIONS)}")
    weights: dict[str, float] = {}
    for name, value in raw.items():
        if name not in DIMENSIONS:
            raise ValueError(f"{where}: unknown dimension {name!r} (use {', '.join(DIMENSIONS)})")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}.{name}: {value!r} is not a number") from None
        if number < 0 or number != number:
            raise ValueError(f"{where}.{name}: weights must not be negative")
        weights[name] = number
    total = sum(weights.values())
    if total <= 0:
        raise ValueError(f"{where}: the weights must not all be 0")
    return {name: weights.get(name, 0.0) / total for name in DIMENSIONS}


def csi_weights(shop: Shop, configured: str | None = None) -> tuple[dict[str, float], str]:
    """The CSI weights and where they came from: ``configured`` (``CSI_WEIGHTS``, through
    ``Settings``) ``"env"``, else ``shop.yml``, else ``default``."""
    try:
        if (configured or "").strip():
            return parse_weights(configured, "CSI_WEIGHTS"), "env"
        configured = shop.facts.get("csi")
        if configured:
            if isinstance(configured, Mapping) and "weights" in configured:
                configured = configured["weights"]
            return parse_weights(configured, "shop.yml csi"), "shop.yml"
    except ValueError as exc:
        raise Misconfigured("bad_configuration", str(exc)) from None
    return dict(DEFAULT_WEIGHTS), "default"


def dimension_stats(rows: Sequence[Any]) -> dict[str, dict[str, Any]]:
    stats = {}
    for name in DIMENSIONS:
        values = [getattr(r, name) for r in rows if getattr(r, name) is not None]
        average = mean(values)
        stats[name] = {
            "count": len(values),
            "average": rounded(average),
            "score": rounded(None if average is None else (average - 1) / 4 * 100, 2),
        }
    return stats


def csi(rows: Sequence[Any], weights: Mapping[str, float]) -> float | None:
    """Weighted mean of the dimension scores (0-100) over dimensions that have answers."""
    parts = []
    for name, weight in weights.items():
        values = [getattr(r, name) for r in rows if getattr(r, name) is not None]
        if weight > 0 and values:
            parts.append((weight, (sum(values) / len(values) - 1) / 4 * 100))
    if not parts:
        return None
    return rounded(sum(w * score for w, score in parts) / sum(w for w, _ in parts), 2)


def _block(rows: Sequence[Any], weights: Mapping[str, float]) -> dict[str, Any]:
    return {
        **csat_block([r.csat for r in rows if r.csat is not None]),
        "dimensions": dimension_stats(rows),
        "csi": csi(rows, weights),
    }


def correlations(rows: Sequence[Any]) -> dict[str, dict[str, Any]]:
    result = {}
    for name in DIMENSIONS:
        pairs = [(getattr(r, name), r.csat) for r in rows if getattr(r, name) is not None]
        pairs = [(x, y) for x, y in pairs if y is not None]
        r = pearson([x for x, _ in pairs], [y for _, y in pairs])
        result[name] = {"r": rounded(r), "pairs": len(pairs)}
    return result


async def satisfaction_report(
    db: AsyncSession, shop: Shop, period: Period, group: str, weights_setting: str | None = None
) -> dict[str, Any]:
    weights, source = csi_weights(shop, weights_setting)
    rows = (
        await db.execute(
            select(
                Rating.csat,
                Rating.resolved,
                Rating.speed,
                Rating.problem_solving,
                Rating.attitude,
                Rating.stage,
                Rating.created_at,
            )
            .where(in_period(Rating.created_at, period))
            .order_by(Rating.created_at, Rating.id)
        )
    ).all()
    rows = [r for r in rows if any(getattr(r, n) is not None for n in ("csat", *DIMENSIONS))]
    starts = buckets(period, group)
    per_bucket: dict[Any, list[Any]] = {start: [] for start in starts}
    for row in rows:
        per_bucket[bucket_start(period.local_date(row.created_at), group)].append(row)
    answered = [r.resolved for r in rows if r.resolved is not None]
    overall = _block(rows, weights)
    return {
        "period": period.as_json(),
        "group": group,
        "weights": {n: round(w, 4) for n, w in weights.items()},
        "weights_source": source,
        "score": {
            **{k: overall[k] for k in ("count", "average", "distribution", "satisfaction_rate")},
            **await survey_response(db, period),
            "resolved_rate": rounded(rate(sum(1 for a in answered if a), len(answered))),
        },
        "dimensions": overall["dimensions"],
        "csi": overall["csi"],
        "trend": [
            {
                "start": s.isoformat(),
                "label": bucket_label(s, group),
                **_block(per_bucket[s], weights),
            }
            for s in starts
        ],
        "correlation": correlations(rows),
        "by_stage": {
            stage: _block([r for r in rows if r.stage == stage], weights) for stage in STAGES
        },
        "how": HOW,
    }


CSV_HEADER = [
    "scope",
    "key",
    "count",
    "csat_average",
    "satisfaction_rate",
    "speed",
    "problem_solving",
    "attitude",
    "csi",
]


def _csv_line(scope: str, key: str, block: Mapping[str, Any]) -> list[Any]:
    dims = block["dimensions"]
    return [
        scope,
        key,
        block["count"],
        block["average"],
        block["satisfaction_rate"],
        *(dims[n]["average"] for n in DIMENSIONS),
        block["csi"],
    ]


def csv_rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    overall = {**report["score"], "dimensions": report["dimensions"], "csi": report["csi"]}
    yield _csv_line("period", f"{report['period']['from']}..{report['period']['to']}", overall)
    for item in report["trend"]:
        yield _csv_line(report["group"], item["label"], item)
    for stage, block in report["by_stage"].items():
        yield _csv_line("stage", stage, block)
    for name, corr in report["correlation"].items():
        yield [
            "correlation_with_csat",
            name,
            corr["pairs"],
            corr["r"],
            None,
            None,
            None,
            None,
            None,
        ]
