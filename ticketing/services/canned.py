"""Canned responses: the short texts agents insert with ``/shortcut`` in the console.

Every agent may list them; supervisors create, change and delete them (the view checks the
role). A shortcut is stored without its leading ``/`` and in lower case, and is unique.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..context import Hub
from ..errors import Conflict, invalid, not_found
from ..models import CannedResponse, User
from .uow import unit_of_work


def _canned_json(row: CannedResponse) -> dict[str, Any]:
    return {"id": row.id, "shortcut": row.shortcut, "title": row.title, "text": row.text}


def _canned_fields(body: dict[str, Any]) -> dict[str, str]:
    """The fields of a body of the document's ``CannedFields`` shape (checked by the web
    layer), trimmed; the shortcut lower-cased, without its slash."""
    fields = {name: body[name].strip() for name in ("shortcut", "title", "text") if name in body}
    if "shortcut" in fields:
        shortcut = fields["shortcut"].lstrip("/").lower()
        if not shortcut.replace("-", "").replace("_", "").isalnum():
            raise invalid("shortcut may hold letters, digits, - and _", field="shortcut")
        fields["shortcut"] = shortcut
    return fields


async def _check_free(db, shortcut: str) -> None:
    if await db.scalar(select(CannedResponse.id).where(CannedResponse.shortcut == shortcut)):
        raise Conflict("conflict", f"/{shortcut} already exists")


async def list_canned(hub: Hub, user: User) -> dict[str, Any]:
    """Every canned response, by shortcut."""
    async with hub.sessions() as db:
        rows = (
            await db.execute(select(CannedResponse).order_by(CannedResponse.shortcut))
        ).scalars()
        return {"canned_responses": [_canned_json(r) for r in rows]}


async def create(hub: Hub, user: User, body: Any) -> dict[str, Any]:
    """A new canned response from ``body`` (``shortcut``, ``title``, ``text``); 409 when the
    shortcut is taken."""
    fields = _canned_fields(body)
    async with unit_of_work(hub) as uow:
        await _check_free(uow.db, fields["shortcut"])
        row = CannedResponse(**fields, updated_by=user.id)
        uow.db.add(row)
    return _canned_json(row)


async def update(hub: Hub, user: User, canned_id: int, body: Any) -> dict[str, Any]:
    """Change any of ``shortcut``, ``title``, ``text``; 404 for an unknown id, 409 when the new
    shortcut is taken."""
    fields = _canned_fields(body)
    async with unit_of_work(hub) as uow:
        row = await uow.db.get(CannedResponse, canned_id)
        if row is None:
            raise not_found("canned response")
        if "shortcut" in fields and fields["shortcut"] != row.shortcut:
            await _check_free(uow.db, fields["shortcut"])
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_by = user.id
    return _canned_json(row)


async def delete(hub: Hub, user: User, canned_id: int) -> dict[str, Any]:
    async with unit_of_work(hub) as uow:
        row = await uow.db.get(CannedResponse, canned_id)
        if row is None:
            raise not_found("canned response")
        await uow.db.delete(row)
    return {"deleted": True}
