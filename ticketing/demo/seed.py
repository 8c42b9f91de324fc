"""Demo data: the shop's sample orders, customers and staff accounts (idempotent).

The fixed orders below are the ones the assistant's tests and the README refer to.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import customers, staff
from ..models import Customer, Order, User

DEMO_PASSWORD = "northwind-demo"
DEMO_STAFF = [
    ("dana@northwind.example", "Dana", "agent", ["general", "delivery", "billing", "technical"]),
    ("lee@northwind.example", "Lee", "agent", ["general", "complaints"]),
    ("sam@northwind.example", "Sam", "supervisor", ["general", "complaints"]),
    ("admin@northwind.example", "Admin", "admin", ["general"]),
]
DEMO_CUSTOMERS = [
    {"email": "ann@example.com", "name": "Ann Smith", "tier": "high", "lifecycle": "mature",
     "membership": "Gold", "vip": True},
    {"email": "bob@example.com", "name": "Bob Jones", "tier": "medium", "lifecycle": "new",
     "membership": "Bronze"},
    {"email": "chen@example.com", "name": "Chen Wei", "tier": "medium", "lifecycle": "mature",
     "membership": "Silver"},
]  # fmt: skip

# number, status, carrier, tracking, days ago placed, days until expected, e-mail, items
FIXED_ORDERS: list[tuple[Any, ...]] = [
    ("NW-104233", "in_transit", "DPD", "DPD-0923471", 2, 2, "ann@example.com",
     [{"name": "Oak desk lamp", "qty": 1}, {"name": "LED bulb", "qty": 2}]),
    ("NW-100001", "delivered", "Royal Mail", "RM-55120871GB", 12, -8, "bob@example.com",
     [{"name": "Wool throw", "qty": 1}]),
    ("NW-100002", "processing", None, None, 0, 4, "chen@example.com",
     [{"name": "Ceramic mug set", "qty": 1}]),
    ("NW-100003", "cancelled", None, None, 6, None, "bob@example.com",
     [{"name": "Garden chair", "qty": 2}]),
    ("NW-100004", "out_for_delivery", "DHL", "DHL-7781230045", 3, 0, "ann@example.com",
     [{"name": "Linen bedding set", "qty": 1}]),
]  # fmt: skip
PRICES = {"Oak desk lamp": 49.0, "LED bulb": 4.5, "Wool throw": 39.0, "Ceramic mug set": 24.0,
          "Garden chair": 35.0, "Linen bedding set": 89.0}  # fmt: skip


async def seed_customers(db: AsyncSession) -> dict[str, Customer]:
    found = {}
    for data in DEMO_CUSTOMERS:
        customer = await customers.by_email(db, data["email"])
        if customer is None:
            customer = Customer(**data)
            db.add(customer)
        found[data["email"]] = customer
    await db.flush()
    return found


async def seed_orders(db: AsyncSession, now: datetime | None = None) -> int:
    """The fixed demo orders, with dates relative to ``now`` (refreshed on every call)."""
    now = now or datetime.now(timezone.utc)
    people = await seed_customers(db)
    count = 0
    for number, status, carrier, tracking, ago, due, email, items in FIXED_ORDERS:
        order = (await db.execute(select(Order).where(Order.number == number))).scalar_one_or_none()
        if order is None:
            order = Order(number=number)
            db.add(order)
        placed = now - timedelta(days=ago)
        order.status, order.carrier, order.tracking_number = status, carrier, tracking
        order.placed_at = placed
        order.expected_delivery = (now + timedelta(days=due)).date() if due is not None else None
        order.delivered_at = placed + timedelta(days=ago + due) if status == "delivered" else None
        order.email = email
        order.customer_id = people[email].id
        order.items = items
        order.total = round(sum(PRICES[i["name"]] * i["qty"] for i in items), 2)
        count += 1
    return count


async def seed_random_orders(db: AsyncSession, n: int, seed: int = 7) -> int:
    """``n`` more plausible orders NW-2xxxxx for load and demo purposes."""
    rng = random.Random(seed)
    existing = set((await db.execute(select(Order.number))).scalars())
    now = datetime.now(timezone.utc)
    made = 0
    for i in range(n):
        number = f"NW-{200000 + i:06d}"
        if number in existing:
            continue
        status = rng.choice(["processing", "dispatched", "in_transit", "delivered", "delivered"])
        carrier = None if status == "processing" else rng.choice(["DPD", "DHL", "Royal Mail"])
        placed = now - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23))
        item = rng.choice(list(PRICES))
        db.add(
            Order(
                number=number,
                status=status,
                carrier=carrier,
                tracking_number=f"{carrier[:3].upper()}-{rng.randint(10**9, 10**10 - 1)}"
                if carrier
                else None,
                placed_at=placed,
                expected_delivery=(placed + timedelta(days=rng.randint(2, 5))).date(),
                items=[{"name": item, "qty": 1}],
                total=PRICES[item],
            )
        )
        made += 1
    return made


async def seed_staff(db: AsyncSession) -> list[str]:
    """Demo staff accounts (password ``northwind-demo``); existing ones are left alone."""
    created = []
    for email, name, role, teams in DEMO_STAFF:
        if await db.scalar(select(User.id).where(User.email == email)) is None:
            await staff.create_user(db, email, DEMO_PASSWORD, role=role, name=name, teams=teams)
            created.append(email)
    return created
