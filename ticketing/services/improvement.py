"""The improvement loop: reviewing what the bot misunderstood, labelling those messages for
training, exporting the labels as Rasa NLU data, and the supervisors' improvement actions.

Reads open a session; every write (and the export, which may mark labels as exported) runs in
one ``unit_of_work``. The rules live in ``ticketing.reports.improvement`` and
``ticketing.reports.actions``; the view checks the supervisor role.
"""

from __future__ import annotations

from typing import Any

from ..context import Hub
from ..models import User
from ..privacy import audit
from ..reports import actions, improvement
from ..reports.periods import Period, today_in
from .reports import shop_timezone
from .uow import unit_of_work

# ------------------------------------------------------------------ NLU review and labels


async def nlu_review(
    hub: Hub, user: User, period: Period, threshold: float, limit: int
) -> dict[str, Any]:
    """Customer messages the bot was unsure of (or got wrong), with the labels one may give."""
    async with hub.sessions() as db:
        data = await improvement.review(db, period, threshold, limit)
    data["allowed_labels"] = sorted(improvement.label_vocabulary())
    return data


async def list_labels(hub: Hub, user: User, page: int, per_page: int) -> dict[str, Any]:
    async with hub.sessions() as db:
        return await improvement.list_labels(db, page, per_page)


async def add_labels(hub: Hub, user: User, body: Any) -> list[dict[str, Any]]:
    """Label the messages named in ``body`` (``{"message_ids": [...], "label": "..."}``) as
    ``user``; 422 for a bad body or an id that is not a customer message (nothing stored)."""
    ids, label = improvement.validate_label_body(body, improvement.label_vocabulary())
    async with unit_of_work(hub) as uow:
        labels = await improvement.add_labels(uow.db, ids, label, user.id)
    return labels


async def delete_label(hub: Hub, user: User, label_id: int) -> None:
    async with unit_of_work(hub) as uow:
        await improvement.delete_label(uow.db, label_id)


async def export_nlu(hub: Hub, user: User, *, only_new: bool, mark: bool) -> str:
    """The labelled examples as NLU YAML; ``mark`` records them as exported."""
    async with unit_of_work(hub) as uow:
        text = await improvement.export_nlu(uow.db, only_new=only_new, mark=mark)
        audit.record(uow.db, user, "nlu.exported", "nlu:labels", only_new=only_new, mark=mark)
    return text


# ------------------------------------------------------------------ improvement actions


async def list_actions(hub: Hub, user: User, statuses: tuple[str, ...]) -> dict[str, Any]:
    today = today_in(shop_timezone(hub))
    async with hub.sessions() as db:
        items = await actions.list_actions(db, today, statuses)
    return {"actions": items, "overdue": sum(1 for item in items if item["overdue"])}


async def create_action(hub: Hub, user: User, body: Any) -> dict[str, Any]:
    today = today_in(shop_timezone(hub))
    async with unit_of_work(hub) as uow:
        item = await actions.create_action(uow.db, body, user.id, today)
    return item


async def get_action(hub: Hub, user: User, action_id: int) -> dict[str, Any]:
    today = today_in(shop_timezone(hub))
    async with hub.sessions() as db:
        action = await actions.get_action(db, action_id)
        return actions.action_json(action, today)


async def update_action(hub: Hub, user: User, action_id: int, body: Any) -> dict[str, Any]:
    today = today_in(shop_timezone(hub))
    async with unit_of_work(hub) as uow:
        item = await actions.update_action(uow.db, action_id, body, today)
    return item
