"""Demo data: the demo shop's customers, orders and staff (``seed``) and a generated chat
history for the supervisor reports and the benchmarks (``history``). Used by
``python -m ticketing demo-data`` and ``make run``'s demo mode; nothing in the hub's request
handling imports it."""

from __future__ import annotations

from .history import generate
from .seed import (
    DEMO_PASSWORD,
    DEMO_STAFF,
    seed_customers,
    seed_orders,
    seed_random_orders,
    seed_staff,
)

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_STAFF",
    "generate",
    "seed_customers",
    "seed_orders",
    "seed_random_orders",
    "seed_staff",
]
