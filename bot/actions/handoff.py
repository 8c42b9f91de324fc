"""Hand-off to a human agent: the hub creates the ticket and queues the conversation.

``handoff_form`` runs first. When it starts it asks the hub whether anyone can take the chat
(``GET /internal/availability``): inside business hours with an agent online it needs nothing
and ends at once; otherwise it asks for an e-mail address (unless the hub already knows it),
so that ``action_handoff`` can create an offline ticket with an honest promise of when the
answer comes. Every hand-off tells the hub why: requested, fallback, complaint, sentiment or
order_lookup_failed.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import hub_client
from .common import (
    REQUESTED_SLOT,
    SKIP,
    clean_text,
    emotions,
    entity_value,
    find_email,
    format_due,
    format_wait,
    fresh_user_turn,
    handoff_priority,
    intent_name,
    interrupted_loop,
    interrupts,
    is_payload,
    is_skip,
    known_email,
    message_text,
    normalise_email,
    strongest_emotion,
    valid_email,
)

logger = logging.getLogger(__name__)

FORM = "handoff_form"
REASONS = ("requested", "fallback", "complaint", "sentiment", "order_lookup_failed")
LOOP_REASONS = {"complaint_form": "complaint"}
SLOTS = ("handoff_reason", "handoff_mode", "handoff_info", "handoff_email")


def infer_reason(tracker: Tracker) -> str:
    """Why the customer is being handed off, when no button said so."""
    given = tracker.get_slot("handoff_reason")
    if given in REASONS:
        return given
    loop = interrupted_loop(tracker.events)
    if loop in LOOP_REASONS:
        return LOOP_REASONS[loop]
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in ("nlu_fallback", "out_of_scope"):
                return "fallback"
            if intent not in (None, "request_human"):
                break
        if event.get("event") == "active_loop" and event.get("name") == (
            "action_two_stage_fallback"
        ):
            return "fallback"
    return "requested"


def offline_summary(
    answer: Dict[str, Any], info: Dict[str, Any], email: Optional[str], now=None
) -> str:
    ticket = (answer.get("ticket") or {}).get("number") or "(number pending)"
    if info.get("open") is False:
        back = format_due(info.get("next_open"), now=now)
        why = "Our team is closed right now"
        if back:
            why += f" (we're back {back.removeprefix('by ')})"
    else:
        why = "No one from our team is free to chat right now"
    due = format_due(
        answer.get("first_response_due_at") or info.get("offline_first_response_due_at"), now=now
    )
    when = f" {due}" if due else " as soon as we're back"
    if email:
        promise = f"We'll answer by e-mail to {email}{when}."
    else:
        promise = f"We'll answer here in this chat{when}, so please check back."
    return (
        f"{why}, so I've created ticket {ticket} with everything you told me. {promise} "
        "You don't need to wait here."
    )


class ValidateHandoffForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events: List[EventType] = []
        if tracker.get_slot(REQUESTED_SLOT) is None:
            # the form is starting: who can take the chat, and why is the customer coming?
            mode, info = await self._availability()
            updates: Dict[str, Any] = {
                "handoff_mode": mode,
                "handoff_info": info,
                "handoff_reason": infer_reason(tracker),
            }
            if mode == "offline":
                email = known_email(tracker.events, tracker.slots)
                if not email:
                    email = await self._email_from_hub(tracker.sender_id)
                if email:
                    updates["handoff_email"] = email
            tracker.slots.update(updates)
            events.extend(SlotSet(key, value) for key, value in updates.items())
        return events + await super().run(dispatcher, tracker, domain)

    @staticmethod
    async def _availability() -> tuple:
        try:
            info = await hub_client.availability()
        except hub_client.HubError as exc:
            logger.warning("availability unknown: %s", exc)
            return "live", {}
        if not isinstance(info, dict):
            return "live", {}
        online = info.get("agents_online") or 0
        if info.get("open") and isinstance(online, int) and online > 0:
            return "live", info
        return "offline", info

    @staticmethod
    async def _email_from_hub(sender_id: str) -> Optional[str]:
        try:
            info = await hub_client.conversation(sender_id)
        except hub_client.HubError:
            return None
        customer = info.get("customer") if isinstance(info, dict) else None
        email = customer.get("email") if isinstance(customer, dict) else None
        return normalise_email(email) if valid_email(email) else None

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        return ["handoff_email"] if tracker.get_slot("handoff_mode") == "offline" else []

    async def extract_handoff_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != "handoff_email":
            return {}
        if not fresh_user_turn(tracker.events, FORM):
            return {}
        message = tracker.latest_message or {}
        text = message_text(message)
        found = entity_value(message, "email") or (None if is_payload(text) else find_email(text))
        if found:
            return {"handoff_email": found}
        intent = intent_name(message)
        if intent == "deny" or is_skip(text):
            return {"handoff_email": SKIP}
        if intent == "request_human":
            dispatcher.utter_message(response="utter_handoff_email_needed")
            return {"handoff_email": None}
        if is_payload(text) or interrupts(FORM, intent, text):
            return {}
        return {"handoff_email": clean_text(text, 200) or "?"}

    async def validate_handoff_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if value is None:
            return {"handoff_email": None}
        if value == SKIP:
            return {"handoff_email": SKIP}
        if valid_email(value):
            email = normalise_email(value)
            return {"handoff_email": email, "customer_email": email}
        dispatcher.utter_message(response="utter_email_invalid")
        return {"handoff_email": None}


class ActionAskHandoffEmail(Action):
    """Explain why an e-mail address is needed: nobody can take the chat right now."""

    def name(self) -> str:
        return "action_ask_handoff_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        info = tracker.get_slot("handoff_info") or {}
        if not isinstance(info, dict):
            info = {}
        due = format_due(info.get("offline_first_response_due_at"))
        if info.get("open") is False:
            back = format_due(info.get("next_open"))
            text = "Our team is closed right now"
            text += f" (we're back {back.removeprefix('by ')})." if back else "."
        else:
            text = "No one from our team is free to chat right now."
        text += " I can pass everything you've told me to them"
        text += f" and they'll answer {due}." if due else " and they'll answer as soon as they can."
        text += " Which e-mail address should they reply to?"
        dispatcher.utter_message(
            text=text,
            buttons=[{"title": "No e-mail, I'll check back here", "payload": "/deny"}],
        )
        return []


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        reason = tracker.get_slot("handoff_reason")
        if reason not in REASONS:
            reason = infer_reason(tracker)
        mode = tracker.get_slot("handoff_mode") or "live"
        info = tracker.get_slot("handoff_info")
        info = info if isinstance(info, dict) else {}
        email = tracker.get_slot("handoff_email")
        email = email if valid_email(email) else None
        emotion = strongest_emotion(emotions(tracker.events, last=3))
        extra: Dict[str, Any] = {
            "priority": handoff_priority(reason, emotion),
            "summary": self._summary(tracker, reason, emotion),
        }
        if mode == "offline":
            extra.update(kind="offline", email=email)
            if email:
                try:
                    await hub_client.attach_customer(tracker.sender_id, email)
                except hub_client.HubError as exc:
                    logger.info("could not attach %s's e-mail: %s", tracker.sender_id, exc)
        try:
            answer = await hub_client.hand_off(tracker.sender_id, reason, **extra)
        except hub_client.HubError as exc:
            logger.warning("hand-off failed for %s: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_handoff_failed")
            # keep the reason for the retry, check availability again
            return [
                SlotSet("handoff_mode", None),
                SlotSet("handoff_info", None),
                SlotSet("handoff_reason", reason),
            ]
        if not isinstance(answer, dict):
            answer = {}
        ticket = (answer.get("ticket") or {}).get("number")
        if mode == "offline":
            dispatcher.utter_message(
                response="utter_handoff_offline", summary=offline_summary(answer, info, email)
            )
        else:
            wait = answer.get("expected_wait_minutes")
            if wait is None:
                wait = info.get("expected_wait_minutes")
            dispatcher.utter_message(
                response="utter_handoff_done",
                ticket_number=ticket,
                queue_position=answer.get("queue_position") or 1,
                wait=format_wait(wait),
            )
        events: List[EventType] = [SlotSet(name, None) for name in SLOTS]
        events.append(SlotSet("human_offered", False))
        if ticket:
            events.append(SlotSet("last_ticket_number", ticket))
        return events

    @staticmethod
    def _summary(tracker: Tracker, reason: str, emotion: str) -> str:
        """A line for the agent; the full transcript is in the hub."""
        asked = {
            "requested": "The customer asked for a person.",
            "fallback": "The assistant could not understand the customer twice.",
            "complaint": "The customer asked for a person while making a complaint.",
            "sentiment": "The customer seemed upset and accepted the offer of a person.",
            "order_lookup_failed": "The assistant could not find the customer's order.",
        }[reason]
        last = ""
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                text = event.get("text") or ""
                if text and not text.startswith("/"):
                    last = clean_text(text, 300)
                    break
        mood = f" Mood: {emotion}." if emotion != "neutral" else ""
        return f"{asked}{mood}" + (f' Last message: "{last}"' if last else "")


class ActionDeclineHuman(Action):
    """The customer said no to the offer of a person."""

    def name(self) -> str:
        return "action_decline_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_handoff_declined")
        return [SlotSet("human_offered", False), SlotSet("handoff_reason", None)]
