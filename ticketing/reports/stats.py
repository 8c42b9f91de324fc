"""Small, exact statistics for reports (pure functions, no database).

Percentiles use the *nearest-rank* method: the p-th percentile of n sorted values is the value
at rank ``ceil(p/100 * n)`` (1-based), so it is always one of the observed values and easy to
check by hand. Rates are ``None`` when their denominator is 0 (rather than a misleading 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile; ``None`` for no values."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"p must be in (0, 100], got {p!r}")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def durations(values: Sequence[float]) -> dict[str, float | int | None]:
    """Count, average, p50 and p90 of durations (minutes), rounded to 0.1."""
    return {
        "count": len(values),
        "avg": rounded(mean(values), 1),
        "p50": rounded(percentile(values, 50), 1),
        "p90": rounded(percentile(values, 90), 1),
    }


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r of paired values; ``None`` with fewer than 3 pairs or zero variance."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys must have the same length")
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def slope(values: Sequence[float]) -> float | None:
    """Least-squares slope of ``values`` against 0, 1, 2, ... (change per bucket)."""
    n = len(values)
    if n < 2:
        return None
    mx = (n - 1) / 2
    my = sum(values) / n
    sxx = sum((i - mx) ** 2 for i in range(n))
    return sum((i - mx) * (v - my) for i, v in enumerate(values)) / sxx


def direction(change: float | None, tolerance: float = 1e-9) -> str | None:
    if change is None:
        return None
    if change > tolerance:
        return "up"
    if change < -tolerance:
        return "down"
    return "flat"


def delta(current: float | None, previous: float | None) -> dict[str, float | None]:
    """Absolute and relative change from the previous period (``None`` when unknown)."""
    if current is None or previous is None:
        return {"change": None, "relative": None}
    change = current - previous
    return {
        "change": rounded(change),
        "relative": rounded(change / previous) if previous else None,
    }


def distribution(scores: Iterable[int], low: int = 1, high: int = 5) -> dict[str, int]:
    counts = {str(score): 0 for score in range(low, high + 1)}
    for score in scores:
        if str(score) in counts:
            counts[str(score)] += 1
    return counts
