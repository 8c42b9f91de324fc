"""Database rows as the JSON of the public contracts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import Message, Ticket


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def message_json(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "buttons": list(message.buttons or []),
        "created_at": iso(message.created_at),
    }
    if message.custom:
        data["custom"] = message.custom
    if message.rateable:
        # the widget shows "Was this helpful?" under this answer; null until rated
        data["rateable"] = True
        data["helpful"] = message.helpful
    return data


def ticket_brief(ticket: Ticket | None) -> dict[str, Any] | None:
    if ticket is None:
        return None
    return {"number": ticket.number, "status": ticket.status, "priority": ticket.priority}
