"""Orders the assistant can look up (the demo shop's orders; a real shop would sync them)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .errors import invalid, not_found
from .models import Order
from .serializers import iso

# The shop's order numbers: NW- and 6 digits, written "NW-104233", "nw 104233", "NW#104233" or
# just "104233". The same rule as the assistant's (bot/actions/common.py, _ORDER_STRICT: the
# processes share no code); tests/unit/test_units.py checks that both read every form alike.
ORDER_NUMBER_RE = re.compile(r"^\s*(?:nw)?[\s\-_#:.]*(\d{6})\s*$", re.IGNORECASE)
ORDER_STATUSES = (
    "processing",
    "dispatched",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "cancelled",
    "returned",
)
TRACKING_URLS = {
    "DPD": "https://track.dpd.example/{tracking}",
    "DHL": "https://www.dhl.example/track?id={tracking}",
    "Royal Mail": "https://www.royalmail.example/track/{tracking}",
}


def normalize_order_number(raw: str) -> str | None:
    """``NW-104233`` for ``nw 104233``, ``NW104233``, ...; ``None`` when it isn't one."""
    match = ORDER_NUMBER_RE.match(raw or "")
    return f"NW-{match.group(1)}" if match else None


def order_json(order: Order) -> dict[str, Any]:
    url = None
    if order.carrier and order.tracking_number and order.carrier in TRACKING_URLS:
        url = TRACKING_URLS[order.carrier].format(tracking=order.tracking_number)
    return {
        "number": order.number,
        "status": order.status,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tracking_url": url,
        "placed_at": iso(order.placed_at),
        "expected_delivery": order.expected_delivery.isoformat()
        if order.expected_delivery
        else None,
        "delivered_at": iso(order.delivered_at),
        "items": order.items or [],
        "total": order.total,
        "currency": order.currency,
    }


async def lookup(db: AsyncSession, raw: str) -> Order:
    number = normalize_order_number(raw)
    if number is None:
        raise invalid("order numbers look like NW-104233", field="order_number")
    order = (await db.execute(select(Order).where(Order.number == number))).scalar_one_or_none()
    if order is None:
        raise not_found(f"order {number}")
    return order
