"""Customer profiles for staff: who may see which customer.

Supervisors and admins see every profile. An agent sees a customer only through a ticket they
may work on: one of their teams' tickets, one assigned to them, or one without a team. Any
other id answers 404, as if it did not exist, so sequential ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from .. import customers, staff
from ..context import Hub
from ..errors import invalid, not_found
from ..models import Ticket, User
from ..privacy import audit, consent, notice
from .audit import audited
from .uow import unit_of_work


async def _check_visible(db, user: User, customer_id: int) -> None:
    if staff.has_role(user, "supervisor"):
        return
    team_ids = await staff.team_ids_of(db, user.id)
    through = await db.scalar(
        select(Ticket.id)
        .where(
            Ticket.customer_id == customer_id,
            or_(
                Ticket.team_id.in_(team_ids),
                Ticket.team_id.is_(None),
                Ticket.assignee_id == user.id,
            ),
        )
        .limit(1)
    )
    if through is None:
        raise not_found("customer")


async def customer_profile(hub: Hub, user: User, customer_id: int) -> dict[str, Any]:
    async with hub.sessions() as db:
        await _check_visible(db, user, customer_id)
        data = await customers.profile(db, customer_id)
        data["consents"] = [
            consent.consent_json(entry) for entry in await consent.history(db, customer_id)
        ]
    await audited(hub, user, "customer.viewed", f"customer:{customer_id}")
    return data


async def update_customer(
    hub: Hub, user: User, customer_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """A supervisor's change to the profile (the view checks the role).

    Marketing consent is the customer's to give: staff can record a withdrawal
    (``"marketing_consent": false``, a consent record with the channel ``profile``), never an
    opt-in."""
    changes = dict(body)
    withdraw = "marketing_consent" in changes
    if withdraw and changes.pop("marketing_consent") is not False:
        raise invalid(
            "marketing consent is the customer's to give (the widget's opt-in): "
            "staff can only record a withdrawal (false)",
            field="marketing_consent",
        )
    async with unit_of_work(hub) as uow:
        customer = await customers.update(uow.db, customer_id, changes)
        if withdraw and customer.marketing_consent:
            consent.record(
                uow.db,
                notice.withdrawal_notice("marketing", "en"),
                False,
                "profile",
                customer=customer,
                recorded_by=user.id,
            )
        audit.record(
            uow.db, user, "customer.updated", f"customer:{customer_id}", fields=sorted(body)
        )
    return await customer_profile(hub, user, customer_id)
