"""Improvement actions: the guide's closed loop from measurement to improvement.

Each action names the responsible department and owner, a due date and acceptance criteria,
and moves ``open`` -> ``in_progress`` -> ``done`` (or ``cancelled``). An action is overdue
when its due date is before today (the shop's local date) and it is neither done nor
cancelled; overdue actions are listed first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import invalid, not_found
from ..models import ImprovementAction, utcnow
from .common import iso

STATUSES = ("open", "in_progress", "done", "cancelled")
FINISHED = ("done", "cancelled")
TEXT_FIELDS = {
    # name: (required, max length)
    "title": (True, 200),
    "description": (False, 5000),
    "department": (True, 100),
    "owner": (True, 200),
    "acceptance_criteria": (True, 5000),
    "source": (False, 300),
}
FIELDS = {*TEXT_FIELDS, "due_date", "status"}


def validate(body: Any, *, partial: bool) -> dict[str, Any]:
    """The clean field values of a create (all required ones) or an update (any of them)."""
    if not isinstance(body, dict) or (partial and not body):
        raise invalid("send the action's fields as a JSON object")
    unknown = set(body) - FIELDS
    if unknown:
        raise invalid(f"unknown field(s): {', '.join(sorted(unknown))}", allowed=sorted(FIELDS))
    clean: dict[str, Any] = {}
    for name, (required, limit) in TEXT_FIELDS.items():
        if name not in body:
            if required and not partial:
                raise invalid(f"{name} is required", field=name)
            continue
        value = body[name]
        if value is None and not required:
            clean[name] = None
            continue
        if not isinstance(value, str) or not value.strip():
            raise invalid(f"{name} must be non-empty text", field=name)
        if len(value.strip()) > limit:
            raise invalid(f"{name} must be at most {limit} characters", field=name)
        clean[name] = value.strip()
    if "due_date" in body or not partial:
        raw = body.get("due_date")
        try:
            clean["due_date"] = date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            clean["due_date"] = None
        if clean["due_date"] is None:
            raise invalid("due_date must be a date in YYYY-MM-DD form", field="due_date")
    if "status" in body:
        if body["status"] not in STATUSES:
            raise invalid(f"status must be one of {', '.join(STATUSES)}", field="status")
        clean["status"] = body["status"]
    return clean


def is_overdue(action: ImprovementAction, today: date) -> bool:
    return action.status not in FINISHED and action.due_date < today


def action_json(action: ImprovementAction, today: date) -> dict[str, Any]:
    return {
        "id": action.id,
        "title": action.title,
        "description": action.description,
        "department": action.department,
        "owner": action.owner,
        "due_date": action.due_date.isoformat(),
        "acceptance_criteria": action.acceptance_criteria,
        "status": action.status,
        "source": action.source,
        "overdue": is_overdue(action, today),
        "created_by": action.created_by,
        "created_at": iso(action.created_at),
        "updated_at": iso(action.updated_at),
        "done_at": iso(action.done_at),
    }


async def list_actions(
    db: AsyncSession, today: date, statuses: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Overdue first, then the other unfinished ones, then finished; each by due date."""
    overdue = case(
        (ImprovementAction.status.in_(FINISHED), 2),
        (ImprovementAction.due_date < today, 0),
        else_=1,
    )
    query = select(ImprovementAction).order_by(
        overdue, ImprovementAction.due_date, ImprovementAction.id
    )
    if statuses:
        query = query.where(ImprovementAction.status.in_(statuses))
    return [action_json(a, today) for a in (await db.execute(query)).scalars()]


def _apply(action: ImprovementAction, changes: dict[str, Any]) -> None:
    now = utcnow()
    for name, value in changes.items():
        setattr(action, name, value)
    if "status" in changes:
        action.done_at = now if changes["status"] == "done" else None
    action.updated_at = now


async def create_action(
    db: AsyncSession, body: Any, user_id: int | None, today: date
) -> dict[str, Any]:
    changes = validate(body, partial=False)
    changes.setdefault("status", "open")
    action = ImprovementAction(created_by=user_id, created_at=utcnow())
    _apply(action, changes)
    db.add(action)
    await db.flush()
    return action_json(action, today)


async def get_action(db: AsyncSession, action_id: int) -> ImprovementAction:
    action = await db.get(ImprovementAction, action_id)
    if action is None:
        raise not_found(f"improvement action {action_id}")
    return action


async def update_action(db: AsyncSession, action_id: int, body: Any, today: date) -> dict[str, Any]:
    changes = validate(body, partial=True)
    action = await get_action(db, action_id)
    if "status" in changes and changes["status"] == action.status:
        changes.pop("status")  # keep done_at of an action that was already done
    _apply(action, changes)
    await db.flush()
    return action_json(action, today)
