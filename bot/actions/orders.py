"""Order status: ``order_status_form`` asks for the number and, unless the shop verified who
the customer is, the e-mail address the order was placed with; the hub shows an order's
details only to its customer (ticketing/services/lookups.py), then the assistant answers.

The number (and an e-mail address) is taken from the message that started the form, or from
what the customer typed earlier in the chat. A malformed number is re-asked with the reason;
a number and e-mail address that match no order are re-asked (the number first, keeping the
e-mail address once); after three failed attempts ``action_order_status`` offers a person
(hand-off reason ``order_lookup_failed``).
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
    find_email,
    find_order_candidate,
    format_day,
    fresh_user_turn,
    intent_name,
    interrupts,
    is_payload,
    known_email,
    message_text,
    normalise_email,
    normalise_order_number,
    retry_payload,
    valid_email,
)

logger = logging.getLogger(__name__)

FORM = "order_status_form"
MAX_ATTEMPTS = 3
# order_email when the hub needed none: the chat's identity is verified for the order
VERIFIED = "verified"

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

    async def extract_order_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        message = tracker.latest_message or {}
        text = message_text(message)
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested != "order_email":
            if tracker.get_slot("order_email"):
                return {}
            # the form is starting: an address the customer gave in this message or before
            found = entity_value(message, "email") or find_email(text)
            found = found or known_email(tracker.events, tracker.slots)
            return {"order_email": found} if found else {}
        if not fresh_user_turn(tracker.events, FORM):
            return {}
        found = entity_value(message, "email") or (None if is_payload(text) else find_email(text))
        if found:
            return {"order_email": found}
        if interrupts(FORM, intent_name(message), text) or is_payload(text):
            return {}
        return {"order_email": clean_text(text, 200) or "?"}

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
        email = tracker.get_slot("order_email")
        if email == VERIFIED or not valid_email(email):
            email = None
        return await self._look_up(dispatcher, tracker, number, email, attempts)

    async def validate_order_email(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value == VERIFIED:
            return {"order_email": VERIFIED}
        attempts = int(tracker.get_slot("order_attempts") or 0)
        if not valid_email(value):
            dispatcher.utter_message(response="utter_email_invalid")
            return failed_lookup("order_email", "order_attempts", attempts, MAX_ATTEMPTS)
        number = tracker.get_slot("order_number")
        if not number or isinstance(tracker.get_slot("order_lookup"), dict):
            # no number yet (the form asks it next), or validate_order_number looked it up
            return {"order_email": normalise_email(value)}
        return await self._look_up(dispatcher, tracker, number, normalise_email(value), attempts)

    async def _look_up(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        email: Any,
        attempts: int,
    ) -> Dict[str, Any]:
        """Ask the hub for ``number`` (with ``email`` when given): the slots to set."""
        try:
            facts = await hub_client.order(number, tracker.sender_id, email)
        except hub_client.HubError as exc:
            if exc.status == 403 and exc.code == "verification_required":
                # the form asks for the e-mail address on the order next
                return {"order_number": number, "order_email": None}
            if exc.status == 404 and email:
                dispatcher.utter_message(
                    response="utter_order_not_matched", order_number=number, email=email
                )
                result = self._failed(attempts)
                # once the number is re-asked with the same address, then both
                if tracker.get_slot("order_number_retried"):
                    result["order_email"] = None
                    result["order_number_retried"] = False
                else:
                    result["order_email"] = email
                    result["order_number_retried"] = True
                return result
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
        return {
            "order_number": number,
            "order_email": email or VERIFIED,
            "order_lookup": {**facts, "number": number},
        }

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
            SlotSet("order_email", None),
            SlotSet("order_number_retried", False),
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
