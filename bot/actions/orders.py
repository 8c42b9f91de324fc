"""Order status: ``order_status_form`` asks for the number, checks it with the hub, answers.

The number is taken from the message that started the form when it holds one. A malformed
number or one the hub does not know is re-asked with the reason; after three failed attempts
``action_order_status`` offers a person (hand-off reason ``order_lookup_failed``).
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
    find_order_candidate,
    format_day,
    fresh_user_turn,
    intent_name,
    interrupts,
    is_payload,
    message_text,
    normalise_order_number,
    retry_payload,
)

logger = logging.getLogger(__name__)

FORM = "order_status_form"
MAX_ATTEMPTS = 3

STATUS_TEXT = {
    "processing": "is being prepared in our warehouse. It hasn't been handed to a carrier "
    "yet, so there is no tracking number yet",
    "dispatched": "has left our warehouse{with_carrier}",
    "in_transit": "is on its way{with_carrier}",
    "out_for_delivery": "is out for delivery today{with_carrier}",
    "delivered": "was delivered{on_date}",
    "cancelled": "was cancelled. If you paid for it, the money goes back to your original "
    "payment method",
    "returned": "has been returned to us",
}


def describe_order(facts: Dict[str, Any]) -> str:
    """One short paragraph: status, carrier, tracking number and link, expected delivery."""
    number = facts.get("number") or "Your order"
    status = str(facts.get("status") or "")
    carrier = facts.get("carrier")
    with_carrier = f" with {carrier}" if carrier else ""
    delivered_on = format_day(facts.get("delivered_at"))
    template = STATUS_TEXT.get(status, 'has the status "{status}"')
    sentence = template.format(
        with_carrier=with_carrier,
        on_date=f" on {delivered_on}" if delivered_on else "",
        status=status.replace("_", " "),
    )
    parts = [f"Order {number} {sentence}."]
    tracking = facts.get("tracking_number")
    if tracking and status not in ("cancelled",):
        line = f"Tracking number: {tracking}"
        if facts.get("tracking_url"):
            line += f" (track it here: {facts['tracking_url']})"
        parts.append(line + ".")
    expected = format_day(facts.get("expected_delivery"))
    if expected and status in ("processing", "dispatched", "in_transit", "out_for_delivery"):
        parts.append(f"Expected delivery: {expected}.")
    if status == "delivered":
        parts.append(
            "If you can't find it, check around your door and with neighbours, then tell me "
            "and I'll help."
        )
    return " ".join(parts)


class ValidateOrderStatusForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def extract_order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        message = tracker.latest_message or {}
        text = message_text(message)
        requested = tracker.get_slot(REQUESTED_SLOT)
        entity = entity_value(message, "order_number")
        candidate = entity or (None if is_payload(text) else find_order_candidate(text))
        if requested != "order_number":
            # the form is starting: use a number the customer already gave
            return {"order_number": candidate} if candidate else {}
        if not fresh_user_turn(tracker.events, FORM):
            return {}
        if candidate:
            return {"order_number": candidate}
        if interrupts(FORM, intent_name(message), text) or is_payload(text):
            return {}
        return {"order_number": clean_text(text, 200) or "?"}

    async def validate_order_number(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        attempts = int(tracker.get_slot("order_attempts") or 0)
        number = normalise_order_number(value)
        if number is None:
            dispatcher.utter_message(response="utter_order_number_malformed")
            return self._failed(attempts)
        try:
            facts = await hub_client.order(number, tracker.sender_id)
        except hub_client.HubError as exc:
            if exc.status == 404:
                dispatcher.utter_message(response="utter_order_not_found", order_number=number)
                return self._failed(attempts)
            if exc.status == 422:
                dispatcher.utter_message(response="utter_order_number_malformed")
                return self._failed(attempts)
            logger.warning("order lookup failed for %s: %s", number, exc)
            return {
                "order_number": number,
                "order_lookup": {"unavailable": True},
                REQUESTED_SLOT: None,
            }
        if not isinstance(facts, dict):
            facts = {}
        return {"order_number": number, "order_lookup": {**facts, "number": number}}

    @staticmethod
    def _failed(attempts: int) -> Dict[str, Any]:
        # after MAX_ATTEMPTS the form stops asking; action_order_status offers a person
        return failed_lookup("order_number", "order_attempts", attempts, MAX_ATTEMPTS)


class ActionOrderStatus(Action):
    def name(self) -> str:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        number = tracker.get_slot("order_number")
        facts = tracker.get_slot("order_lookup")
        attempts = int(tracker.get_slot("order_attempts") or 0)
        events: List[EventType] = [
            SlotSet("order_number", None),
            SlotSet("order_lookup", None),
            SlotSet("order_attempts", 0),
        ]
        if isinstance(facts, dict) and facts.get("unavailable"):
            dispatcher.utter_message(
                response="utter_hub_unavailable",
                retry_payload=retry_payload("check_order_status", {"order_number": number}),
            )
            return events
        if number and isinstance(facts, dict):
            dispatcher.utter_message(response="utter_order_status", summary=describe_order(facts))
            return [*events, SlotSet("human_offered", False)]
        if attempts >= MAX_ATTEMPTS:
            dispatcher.utter_message(response="utter_order_lookup_failed")
            return [
                *events,
                SlotSet("human_offered", True),
                SlotSet("handoff_reason", "order_lookup_failed"),
            ]
        return events
