"""The satisfaction survey: short, neutral, skippable, never asked twice in a conversation.

``survey_form`` starts when the customer says goodbye or when the hub triggers
``EXTERNAL_survey`` (an agent resolved the ticket, the chat was closed). When it starts it asks
the hub (``GET /internal/conversations/{id}``) whether the survey was already offered or
answered, who served the customer (``stage``: bot or human) and what it is about (``about``:
service, or for a complaint the resolution itself). Questions: overall CSAT 1-5, "was your
issue resolved?", after a human also speed, problem solving and attitude (1-5), then an
optional comment. Each answer is stored in the hub as it comes, so a survey left half-way keeps
what was given; "Skip survey" (or stop) records that it was skipped.
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
    SKIP,
    clean_text,
    entity_value,
    fresh_user_turn,
    intent_name,
    interrupts,
    is_payload,
    is_skip,
    message_text,
    off_topic_question,
    parse_rating,
    parse_yes_no,
)

logger = logging.getLogger(__name__)

FORM = "survey_form"
RATINGS = {
    "survey_csat": "csat",
    "survey_speed": "speed",
    "survey_problem_solving": "problem_solving",
    "survey_attitude": "attitude",
}
ANSWER_SLOTS = (*RATINGS, "survey_resolved", "survey_comment")
HUMAN_ONLY = ("survey_speed", "survey_problem_solving", "survey_attitude")


async def store(sender_id: str, **answer: Any) -> bool:
    """Store one answer in the hub at once; a failure only loses that answer."""
    try:
        await hub_client.rate(sender_id, **answer)
        return True
    except hub_client.HubError as exc:
        logger.warning("could not store survey answer %s for %s: %s", answer, sender_id, exc)
        return False


class ValidateSurveyForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot(REQUESTED_SLOT) is None:  # the form is starting
            return await self._start(tracker)
        return await super().run(dispatcher, tracker, domain)

    async def _start(self, tracker: Tracker) -> List[EventType]:
        """Decide whether to run the survey at all; ``requested_slot: None`` ends the form."""
        stop: List[EventType] = [SlotSet(REQUESTED_SLOT, None)]
        if tracker.get_slot("survey_done"):
            return stop
        try:
            info = await hub_client.conversation(tracker.sender_id)
        except hub_client.HubError as exc:
            # answers could not be stored: better no survey than a survey that is lost
            logger.warning("no survey for %s, hub unavailable: %s", tracker.sender_id, exc)
            return stop
        survey = info.get("survey") if isinstance(info, dict) else None
        survey = survey if isinstance(survey, dict) else {}
        if survey.get("offered") or survey.get("answered") or survey.get("skipped"):
            return [*stop, SlotSet("survey_done", True)]
        stage = "human" if survey.get("stage") == "human" else "bot"
        about = "resolution" if survey.get("about") == "resolution" else "service"
        if entity_value(tracker.latest_message, "ticket_kind") == "complaint":
            about = "resolution"
        try:
            await hub_client.survey_offered(tracker.sender_id)
        except hub_client.HubError as exc:
            logger.info("could not mark the survey offered for %s: %s", tracker.sender_id, exc)
        first = [SlotSet(name, None) for name in ANSWER_SLOTS]
        return [
            *first,
            SlotSet("survey_done", True),
            SlotSet("survey_stage", stage),
            SlotSet("survey_about", about),
            SlotSet(REQUESTED_SLOT, "survey_csat"),
        ]

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        if tracker.get_slot("survey_stage") == "human":
            return list(domain_slots)
        return [slot for slot in domain_slots if slot not in HUMAN_ONLY]

    # --- extraction ---------------------------------------------------------------------

    def _answer_text(self, tracker: Tracker, slot: str):
        """(message, text) when the latest message may answer ``slot``, else None."""
        if tracker.get_slot(REQUESTED_SLOT) != slot:
            return None
        if not fresh_user_turn(tracker.events, FORM):
            return None
        message = tracker.latest_message or {}
        return message, message_text(message)

    def _extract_rating(self, tracker: Tracker, slot: str) -> Dict[str, Any]:
        found = self._answer_text(tracker, slot)
        if found is None:
            return {}
        message, text = found
        value = entity_value(message, slot)
        if value:
            return {slot: value}
        if is_payload(text):
            return {}
        rating = parse_rating(text)
        if rating is not None:
            return {slot: str(rating)}
        if interrupts(FORM, intent_name(message), text):
            return {}
        return {slot: "?"}

    async def extract_survey_csat(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        return self._extract_rating(tracker, "survey_csat")

    async def extract_survey_speed(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        return self._extract_rating(tracker, "survey_speed")

    async def extract_survey_problem_solving(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        return self._extract_rating(tracker, "survey_problem_solving")

    async def extract_survey_attitude(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        return self._extract_rating(tracker, "survey_attitude")

    async def extract_survey_resolved(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        found = self._answer_text(tracker, "survey_resolved")
        if found is None:
            return {}
        message, text = found
        value = entity_value(message, "survey_resolved")
        if value:
            return {"survey_resolved": value}
        if is_payload(text):
            intent = intent_name(message)
            if intent in ("affirm", "deny"):
                return {"survey_resolved": "yes" if intent == "affirm" else "no"}
            return {}
        answer = parse_yes_no(text)
        if answer is None and intent_name(message) in ("affirm", "deny"):
            answer = intent_name(message) == "affirm"
        if answer is not None:
            return {"survey_resolved": "yes" if answer else "no"}
        if interrupts(FORM, intent_name(message), text):
            return {}
        return {"survey_resolved": "?"}

    async def extract_survey_comment(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        found = self._answer_text(tracker, "survey_comment")
        if found is None:
            return {}
        message, text = found
        value = entity_value(message, "survey_comment")
        if value:
            return {"survey_comment": value}
        if is_payload(text):
            return {"survey_comment": SKIP} if intent_name(message) == "deny" else {}
        intent = intent_name(message)
        if intent in ("stop", "request_human", "EXTERNAL_survey", "EXTERNAL_answer_unhelpful"):
            return {}
        if intent == "goodbye" and len(text.split()) <= 3:
            return {}
        if off_topic_question(message, text):
            return {}
        if intent in ("faq", "check_order_status", "check_ticket_status", "file_complaint"):
            if text.rstrip().endswith("?") and len(text.split()) <= 15:
                return {}
        if is_skip(text) or intent == "deny":
            return {"survey_comment": SKIP}
        return {"survey_comment": text}

    # --- validation: store each answer as it comes --------------------------------------

    async def _validate_rating(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[str, Any]:
        rating = parse_rating(value)
        if rating is None:
            dispatcher.utter_message(response="utter_survey_rating_invalid")
            return {slot: None}
        await store(tracker.sender_id, **{RATINGS[slot]: rating})
        return {slot: str(rating)}

    async def validate_survey_csat(self, value, dispatcher, tracker, domain):
        return await self._validate_rating("survey_csat", value, dispatcher, tracker)

    async def validate_survey_speed(self, value, dispatcher, tracker, domain):
        return await self._validate_rating("survey_speed", value, dispatcher, tracker)

    async def validate_survey_problem_solving(self, value, dispatcher, tracker, domain):
        return await self._validate_rating("survey_problem_solving", value, dispatcher, tracker)

    async def validate_survey_attitude(self, value, dispatcher, tracker, domain):
        return await self._validate_rating("survey_attitude", value, dispatcher, tracker)

    async def validate_survey_resolved(self, value, dispatcher, tracker, domain):
        answer = parse_yes_no(value)
        if answer is None:
            dispatcher.utter_message(response="utter_survey_yes_no_invalid")
            return {"survey_resolved": None}
        await store(tracker.sender_id, resolved=answer)
        return {"survey_resolved": "yes" if answer else "no"}

    async def validate_survey_comment(self, value, dispatcher, tracker, domain):
        text = clean_text(value, 2000) if isinstance(value, str) else ""
        if not text or text == SKIP or is_skip(text):
            return {"survey_comment": SKIP}
        await store(tracker.sender_id, comment=text)
        return {"survey_comment": text}


class ActionSurveyDone(Action):
    """After the form: thank the customer when a survey actually ran."""

    def name(self) -> str:
        return "action_survey_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("survey_stage") is not None and tracker.get_slot("survey_csat"):
            dispatcher.utter_message(response="utter_survey_thanks")
        return [SlotSet("survey_stage", None)]


class ActionSurveySkip(Action):
    """The customer chose "Skip survey" (or said stop) during the survey."""

    def name(self) -> str:
        return "action_survey_skip"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        await store(tracker.sender_id, skipped=True)
        dispatcher.utter_message(response="utter_survey_skipped")
        return [SlotSet("survey_stage", None), SlotSet("survey_done", True)]
