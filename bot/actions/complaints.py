"""Complaints, following the guide: invite, receive, verify, thank and explain, classify.

``complaint_form`` collects the category (the guide's four causes plus "other"), the
customer's description, an optional order number (looked up: the guide's "verify" step) and a
contact e-mail (skipped when the hub already knows it). ``action_file_complaint`` files the
ticket in the hub, which sets its priority from category, wording, customer tier and emotion,
and tells the customer what was recorded, the ticket number, the next steps, the honest
first-response time of its SLA and how to follow up.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import hub_client
from .common import (
    CATEGORY_LABELS,
    COMPLAINT_CATEGORIES,
    REQUESTED_SLOT,
    SKIP,
    clean_text,
    emotions,
    entity_value,
    find_email,
    find_order_candidate,
    format_business_minutes,
    format_due,
    fresh_user_turn,
    intent_name,
    interrupts,
    is_payload,
    is_skip,
    known_email,
    message_text,
    normalise_email,
    normalise_order_number,
    off_topic_question,
    parse_category,
    strongest_emotion,
    valid_email,
)

logger = logging.getLogger(__name__)

FORM = "complaint_form"
SLOTS = (
    "complaint_category",
    "complaint_description",
    "complaint_order_number",
    "complaint_order_facts",
    "complaint_email",
)
MAX_ORDER_ATTEMPTS = 3
MIN_DESCRIPTION_WORDS = 3
MAX_DESCRIPTION = 2000  # the hub's limit

# Cues strong enough to classify the message that starts a complaint without asking.
_STRICT_CUES = {
    "staff_attitude": (
        "rude", "impolite", "disrespectful", "unprofessional", "arrogant", "condescending",
        "shouted", "yelled", "hung up on me", "bad attitude", "attitude of", "态度",
    ),
    "quality": (
        "broken", "faulty", "defective", "poor quality", "bad quality", "stopped working",
        "fell apart", "质量",
    ),
    "promise_not_kept": (
        "promised", "was told", "were told", "guaranteed", "never arrived", "still waiting",
        "承诺",
    ),
}  # fmt: skip
_GENERIC_OPENING = re.compile(
    r"^\s*(?:hi|hello|hey)?[,.!\s]*(?:i\s*(?:want|would like|'d like|wish|need)\s+to\s+"
    r"(?:make|file|lodge|raise|submit|register|log)\s+an?\s+(?:formal\s+|official\s+)?"
    r"complaint|i\s*(?:want|would like|'d like|need)\s+to\s+complain|i'?m\s+complaining)"
    r"(?:\s+about)?[\s,.:!-]*",
    re.I,
)
STATUS_WORDS = {
    "processing": "being prepared",
    "dispatched": "dispatched",
    "in_transit": "in transit",
    "out_for_delivery": "out for delivery",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "returned": "returned",
}


def strict_category(text: str) -> Optional[str]:
    lowered = (text or "").lower()
    for category, cues in _STRICT_CUES.items():
        if any(cue in lowered for cue in cues):
            return category
    return None


def description_from_opening(text: str) -> Optional[str]:
    """The first message as the description when it already tells what happened."""
    rest = _GENERIC_OPENING.sub("", text or "", count=1).strip()
    return clean_text(rest) if len(rest.split()) >= 6 else None


def describe_order_briefly(number: str, facts: Optional[Dict[str, Any]]) -> str:
    if not isinstance(facts, dict) or not facts:
        return f"order {number}"
    status = STATUS_WORDS.get(str(facts.get("status") or ""), "")
    carrier = facts.get("carrier")
    detail = ", ".join(x for x in (status, f"with {carrier}" if carrier else "") if x)
    return f"order {number} ({detail})" if detail else f"order {number}"


def complaint_summary(
    answer: Dict[str, Any],
    category: str,
    order_number: Optional[str],
    order_facts: Optional[Dict[str, Any]],
    email: Optional[str],
    now=None,
) -> str:
    ticket = (answer.get("ticket") or {}).get("number") or "(number pending)"
    recorded = [CATEGORY_LABELS.get(category, category)]
    if order_number:
        recorded.append(describe_order_briefly(order_number, answer.get("order") or order_facts))
    if email:
        recorded.append(f"contact e-mail {email}")
    due = format_due(answer.get("first_response_due_at"), now=now)
    target = format_business_minutes(answer.get("first_response_minutes"))
    if due and target:
        expectation = (
            f"You'll get a first personal reply {due}; our target for this complaint is {target}."
        )
    elif due:
        expectation = f"You'll get a first personal reply {due}."
    elif target:
        expectation = f"You'll get a first personal reply within {target}."
    else:
        expectation = "You'll get a first personal reply as soon as our team is available."
    if email:
        expectation += f" We'll write to {email} and reply here in the chat."
    return (
        f"Thank you for telling us. I've recorded your complaint as ticket {ticket}.\n"
        f"What I recorded: {'; '.join(recorded)}.\n"
        "What happens next: we check the facts, investigate what went wrong, put it right "
        "and tell you the outcome. Then we'll ask how satisfied you are with how we "
        "handled it.\n"
        f"{expectation}\n"
        f'To follow up, just ask me: "status of {ticket}".'
    )


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    # --- extraction: what the customer's message answers ---------------------------------

    async def extract_complaint_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        message = tracker.latest_message or {}
        text = message_text(message)
        requested = tracker.get_slot(REQUESTED_SLOT)
        entity = entity_value(message, "complaint_category")
        if requested is None:
            if entity:
                return {"complaint_category": entity}
            found = None if is_payload(text) else strict_category(text)
            return {"complaint_category": found} if found else {}
        if requested != "complaint_category" or not fresh_user_turn(tracker.events, FORM):
            return {}
        if entity:
            return {"complaint_category": entity}
        if is_payload(text):
            return {}
        found = parse_category(text)
        if found:
            return {"complaint_category": found}
        if interrupts(FORM, intent_name(message), text):
            return {}
        return {"complaint_category": "?"}

    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        message = tracker.latest_message or {}
        text = message_text(message)
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested is None:
            if intent_name(message) != "file_complaint" or is_payload(text):
                return {}
            found = description_from_opening(text)
            return {"complaint_description": found} if found else {}
        if requested != "complaint_description" or not fresh_user_turn(tracker.events, FORM):
            return {}
        if is_payload(text):
            return {}
        intent = intent_name(message)
        if intent in ("request_human", "stop", "EXTERNAL_survey", "EXTERNAL_answer_unhelpful"):
            return {}
        if intent == "goodbye" and len(text.split()) <= 3:
            return {}
        if off_topic_question(message, text):
            return {}
        return {"complaint_description": text}

    async def extract_complaint_order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        message = tracker.latest_message or {}
        text = message_text(message)
        requested = tracker.get_slot(REQUESTED_SLOT)
        entity = entity_value(message, "order_number")
        if requested is None:
            found = entity or (None if is_payload(text) else find_order_candidate(text))
            return {"complaint_order_number": found} if found else {}
        if requested != "complaint_order_number" or not fresh_user_turn(tracker.events, FORM):
            return {}
        if entity:
            return {"complaint_order_number": entity}
        if is_payload(text):
            return {"complaint_order_number": SKIP} if intent_name(message) == "deny" else {}
        candidate = find_order_candidate(text)
        if candidate:
            return {"complaint_order_number": candidate}
        if is_skip(text) or intent_name(message) == "deny":
            return {"complaint_order_number": SKIP}
        if interrupts(FORM, intent_name(message), text):
            return {}
        return {"complaint_order_number": clean_text(text, 200) or "?"}

    async def extract_complaint_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        message = tracker.latest_message or {}
        text = message_text(message)
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested is None:
            if tracker.get_slot("complaint_email"):
                return {}
            found = entity_value(message, "email") or find_email(text)
            found = found or known_email(tracker.events, tracker.slots)
            if not found:
                found = await self._email_from_hub(tracker.sender_id)
            return {"complaint_email": found} if found else {}
        if requested != "complaint_email" or not fresh_user_turn(tracker.events, FORM):
            return {}
        found = entity_value(message, "email") or (None if is_payload(text) else find_email(text))
        if found:
            return {"complaint_email": found}
        if is_payload(text) or interrupts(FORM, intent_name(message), text):
            return {}
        return {"complaint_email": clean_text(text, 200) or "?"}

    @staticmethod
    async def _email_from_hub(sender_id: str) -> Optional[str]:
        try:
            info = await hub_client.conversation(sender_id)
        except hub_client.HubError as exc:
            logger.info("no customer details from the hub for %s: %s", sender_id, exc)
            return None
        customer = info.get("customer") if isinstance(info, dict) else None
        email = customer.get("email") if isinstance(customer, dict) else None
        return email if valid_email(email) else None

    # --- validation: is the answer usable? ----------------------------------------------

    async def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        category = value if value in COMPLAINT_CATEGORIES else parse_category(str(value or ""))
        if category is None:
            dispatcher.utter_message(response="utter_complaint_category_invalid")
            return {"complaint_category": None}
        return {"complaint_category": category}

    async def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = clean_text(value, MAX_DESCRIPTION)
        words = re.findall(r"\w+", text)
        cjk = re.findall(r"[\u4e00-\u9fff]", text)
        if len(words) < MIN_DESCRIPTION_WORDS and len(cjk) < 6:
            dispatcher.utter_message(response="utter_complaint_description_too_short")
            return {"complaint_description": None}
        return {"complaint_description": text}

    async def validate_complaint_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if value == SKIP:
            return {"complaint_order_number": SKIP, "complaint_order_facts": None}
        attempts = int(tracker.get_slot("complaint_order_attempts") or 0)
        number = normalise_order_number(value)
        if number is None:
            return self._order_failed(dispatcher, attempts, "utter_complaint_order_invalid")
        try:
            facts = await hub_client.order(number, tracker.sender_id)
        except hub_client.HubError as exc:
            if exc.status == 403:
                # the details are the order's customer's only: the hub checks the number when
                # the complaint is filed (with the complaint's e-mail address)
                return {"complaint_order_number": number, "complaint_order_facts": None}
            if exc.status == 404:
                return self._order_failed(
                    dispatcher, attempts, "utter_complaint_order_not_found", order_number=number
                )
            if exc.status == 422:
                return self._order_failed(dispatcher, attempts, "utter_complaint_order_invalid")
            # the hub will verify it when the complaint is filed; don't block the customer
            logger.warning("order lookup failed during a complaint: %s", exc)
            return {"complaint_order_number": number, "complaint_order_facts": None}
        return {
            "complaint_order_number": number,
            "complaint_order_facts": facts if isinstance(facts, dict) else None,
        }

    @staticmethod
    def _order_failed(
        dispatcher: CollectingDispatcher, attempts: int, response: str, **kwargs: Any
    ) -> Dict[str, Any]:
        attempts += 1
        if attempts >= MAX_ORDER_ATTEMPTS:
            dispatcher.utter_message(response="utter_complaint_order_given_up")
            return {"complaint_order_number": SKIP, "complaint_order_attempts": 0}
        dispatcher.utter_message(response=response, **kwargs)
        return {"complaint_order_number": None, "complaint_order_attempts": attempts}

    async def validate_complaint_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if valid_email(value):
            email = normalise_email(value)
            return {"complaint_email": email, "customer_email": email}
        dispatcher.utter_message(response="utter_email_invalid")
        return {"complaint_email": None}


class ActionFileComplaint(Action):
    def name(self) -> str:
        return "action_file_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        category = tracker.get_slot("complaint_category") or "other"
        description = tracker.get_slot("complaint_description") or ""
        order_number = tracker.get_slot("complaint_order_number")
        order_number = None if order_number in (None, SKIP) else order_number
        facts = tracker.get_slot("complaint_order_facts")
        email = tracker.get_slot("complaint_email")
        emotion = strongest_emotion(emotions(tracker.events, last=8))
        body = {
            "session_id": tracker.sender_id,
            "category": category,
            "description": description,
            "order_number": order_number,
            "email": email,
            "emotion": emotion,
        }
        try:
            answer = await hub_client.file_complaint(body)
        except hub_client.HubError as exc:
            logger.warning("filing a complaint for %s failed: %s", tracker.sender_id, exc)
            dispatcher.utter_message(
                response="utter_hub_unavailable", retry_payload="/file_complaint"
            )
            return []
        if not isinstance(answer, dict):
            answer = {}
        dispatcher.utter_message(
            response="utter_complaint_filed",
            summary=complaint_summary(answer, category, order_number, facts, email),
        )
        events: List[EventType] = [SlotSet(name, None) for name in SLOTS]
        events.append(SlotSet("complaint_order_attempts", 0))
        number = (answer.get("ticket") or {}).get("number")
        if number:
            events.append(SlotSet("last_ticket_number", number))
        return events
