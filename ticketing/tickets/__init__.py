"""Tickets, by concern: the queue, hand-off, ownership, the lifecycle and the SLA clocks.

Every function takes an ``AsyncSession`` inside the caller's transaction and never commits;
nothing here knows about HTTP. The names below are the package's public API.
"""

from __future__ import annotations

from .clocks import on_agent_message, on_customer_message, refresh_sla, sla_json, sla_scan
from .handoff import CATEGORY_TEAMS, Handoff, hand_off, validate_handoff
from .lifecycle import (
    TRANSITIONS,
    complaint_of,
    reopen,
    resolve,
    set_status,
    ticket_brief_full,
    update_complaint,
    update_fields,
)
from .ownership import (
    active_load,
    assign,
    check_owner,
    check_team_rights,
    claim,
    transfer,
    unassign,
)
from .queue import (
    ACTIVE_STATUSES,
    QUEUED_STATUSES,
    active_ticket,
    by_number,
    latest_ticket,
    online_agents,
    queue_position,
    queue_query,
    team_by_key,
)
from .timeline import add_event, event_json

__all__ = [
    "ACTIVE_STATUSES",
    "CATEGORY_TEAMS",
    "Handoff",
    "QUEUED_STATUSES",
    "TRANSITIONS",
    "active_load",
    "active_ticket",
    "add_event",
    "assign",
    "by_number",
    "check_owner",
    "check_team_rights",
    "claim",
    "complaint_of",
    "event_json",
    "hand_off",
    "latest_ticket",
    "on_agent_message",
    "on_customer_message",
    "online_agents",
    "queue_position",
    "queue_query",
    "refresh_sla",
    "reopen",
    "resolve",
    "set_status",
    "sla_json",
    "sla_scan",
    "team_by_key",
    "ticket_brief_full",
    "transfer",
    "unassign",
    "update_complaint",
    "update_fields",
    "validate_handoff",
]
