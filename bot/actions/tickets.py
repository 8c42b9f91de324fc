"""Ticket status: "what's happening with T-000123?" answers with the stage the ticket is in.

``ticket_status_form`` takes the number from the message (or the ticket the bot created in
this chat) or asks for it; the hub only shows a ticket to the conversation it belongs to.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import hub_client
from .common import (
    REQUESTED_SLOT,
    clean_text,
    entity_value,
    failed_lookup,
    find_ticket_candidate,
    format_due,
    fresh_user_turn,
    intent_name,
    interrupts,
    is_payload,
    message_text,
    normalise_ticket_number,
    parse_iso,
    retry_payload,
)

logger = logging.getLogger(__name__)

FORM = "ticket_status_form"
MAX_ATTEMPTS = 3

COMPLAINT_STAGES = {
    "received": "we've received it and it's waiting for a member of our complaints team",
    "verified": "we've checked the facts (for example your order) and it's being classified",
    "classified": "it has been classified and is with the right team",
    "investigating": "we're investigating what went wrong",
    "resolved_notified": "it has been resolved and we've told you the outcome",
    "satisfaction_asked": "it has been resolved, and we've asked how satisfied you are with "
    "how we handled it",
    "closed": "it's closed",
}
TICKET_STATUSES = {
    "new": "it's waiting for the next available agent",
    "open": "an agent is working on it",
    "pending": "we're waiting for a reply from you",
    "reopened": "it has been reopened and is back with our team",
    "resolved": "it has been resolved",
    "closed": "it's closed",
}


def describe_ticket(info: Dict[str, Any], now=None) -> str:
    number = info.get("number") or "Your ticket"
    kind = info.get("kind")
    stage = str(info.get("stage") or info.get("status") or "")
    if kind == "complaint":
        what = COMPLAINT_STAGES.get(stage) or f'its stage is "{stage.replace("_", " ")}"'
        sentence = f"Your complaint {number}: {what}."
    else:
        what = TICKET_STATUSES.get(stage) or f'its status is "{stage.replace("_", " ")}"'
        sentence = f"Ticket {number}: {what}."
    parts = [sentence]
    open_stage = stage in ("received", "verified", "classified", "new", "reopened")
    if info.get("assigned") and stage not in ("open", "closed", "resolved"):
        parts.append("A member of our team is handling it.")
    due = parse_iso(info.get("first_response_due_at"))
    if open_stage and due is not None:
        when = format_due(due, now=now)
        if when:
            parts.append(f"Our target for a first personal reply is {when}.")
    elif stage not in ("resolved", "closed", "resolved_notified", "satisfaction_asked"):
        when = format_due(info.get("resolution_due_at"), now=now)
        if when:
            parts.append(f"We aim to resolve it {when}.")
    return " ".join(parts)


class ValidateTicketStatusForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def extract_ticket_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        message = tracker.latest_message or {}
        text = message_text(message)
        requested = tracker.get_slot(REQUESTED_SLOT)
        entity = entity_value(message, "ticket_number")
        if requested != "ticket_number":
            candidate = entity or (
                None if is_payload(text) else find_ticket_candidate(text, allow_bare=False)
            )
            candidate = candidate or tracker.get_slot("last_ticket_number")
            return {"ticket_number": candidate} if candidate else {}
        if not fresh_user_turn(tracker.events, FORM):
            return {}
        candidate = entity or (None if is_payload(text) else find_ticket_candidate(text))
        if candidate:
            return {"ticket_number": candidate}
        if interrupts(FORM, intent_name(message), text) or is_payload(text):
            return {}
        return {"ticket_number": clean_text(text, 200) or "?"}

    async def validate_ticket_number(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        attempts = int(tracker.get_slot("ticket_attempts") or 0)
        number = normalise_ticket_number(value)
        if number is None:
            dispatcher.utter_message(response="utter_ticket_number_malformed")
            return self._failed(attempts)
        try:
            info = await hub_client.ticket(number, tracker.sender_id)
        except hub_client.HubError as exc:
            if exc.status == 404:
                dispatcher.utter_message(response="utter_ticket_not_found", ticket_number=number)
                return self._failed(attempts)
            if exc.status == 403:
                dispatcher.utter_message(response="utter_ticket_not_yours", ticket_number=number)
                return self._failed(attempts)
            if exc.status in (400, 422):
                dispatcher.utter_message(response="utter_ticket_number_malformed")
                return self._failed(attempts)
            logger.warning("ticket lookup failed for %s: %s", number, exc)
            return {
                "ticket_number": number,
                "ticket_lookup": {"unavailable": True},
                REQUESTED_SLOT: None,
            }
        if not isinstance(info, dict):
            info = {}
        return {"ticket_number": number, "ticket_lookup": {**info, "number": number}}

    @staticmethod
    def _failed(attempts: int) -> Dict[str, Any]:
        # after MAX_ATTEMPTS the form stops asking; action_ticket_status offers a person
        return failed_lookup("ticket_number", "ticket_attempts", attempts, MAX_ATTEMPTS)


class ActionTicketStatus(Action):
    def name(self) -> str:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        number = tracker.get_slot("ticket_number")
        info = tracker.get_slot("ticket_lookup")
        attempts = int(tracker.get_slot("ticket_attempts") or 0)
        events: List[EventType] = [
            SlotSet("ticket_number", None),
            SlotSet("ticket_lookup", None),
            SlotSet("ticket_attempts", 0),
        ]
        if isinstance(info, dict) and info.get("unavailable"):
            dispatcher.utter_message(
                response="utter_hub_unavailable",
                retry_payload=retry_payload("check_ticket_status", {"ticket_number": number}),
            )
            return events
        if number and isinstance(info, dict):
            dispatcher.utter_message(response="utter_ticket_status", summary=describe_ticket(info))
            return events
        if attempts >= MAX_ATTEMPTS:
            dispatcher.utter_message(response="utter_ticket_lookup_failed")
            return [*events, SlotSet("human_offered", True)]
        return events
