"""Answer, clarify or decline: what the assistant does with a question, decided per turn.

The NLU pipeline has already judged the message (``bot.components.ood_gate``): off-topic text
arrives as intent ``out_of_scope`` with ``ood.reason``; an FAQ question whose two best topics
are too close to choose carries ``faq_clarify``. Here:

- ``action_answer_faq`` answers the FAQ topic, or asks "Did you mean ...?" with a button per
  topic (payload ``/faq{"faq_topic": key}``) and "Something else";
- ``action_out_of_scope`` declines honestly and says what the assistant can do; the second
  decline in a row offers a person (hand-off reason ``fallback``); text in another language
  is told the assistant only chats in English and offered a person at once;
- ``action_something_else`` follows "Something else": rephrase, or a person;
- ``action_answer_unhelpful`` follows a 👎 on an answer (the hub triggers
  ``EXTERNAL_answer_unhelpful`` with the customer message it answered): the next-best topics
  and a person.

Each sets ``turn_decision`` (``answered``, ``clarified`` or ``declined``); the hub channel
reports it with the turn and the hub stores it (bot/channels.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.components.parse_data import faq_ranking_of

from .common import entity_value, intent_name
from .fallback import faq_questions, faq_title

logger = logging.getLogger(__name__)

DECISION = "turn_decision"
ANSWERED, CLARIFIED, DECLINED = "answered", "clarified", "declined"
TOPIC_ENTITY = "faq_topic"
SOMETHING_ELSE = {"title": "Something else", "payload": "/something_else"}
PERSON_FALLBACK = '/request_human{"handoff_reason":"fallback"}'
MAX_ALTERNATIVES = 2
MIN_ALTERNATIVE_CONFIDENCE = 0.01


def topic_button(key: str) -> Dict[str, str]:
    """A button that answers FAQ topic ``key`` directly (no second trip through NLU)."""
    payload = "/faq" + json.dumps({TOPIC_ENTITY: key}, separators=(",", ":"))
    return {"title": faq_title(key, faq_questions().get(key)), "payload": payload}


def faq_topic(message: Optional[Dict[str, Any]]) -> Optional[str]:
    """The FAQ topic a message asks about: a button's ``faq_topic``, else the selector's best."""
    chosen = entity_value(message, TOPIC_ENTITY)
    if chosen:
        return chosen.removeprefix("faq/")
    selector = ((message or {}).get("response_selector") or {}).get("faq") or {}
    key = str((selector.get("response") or {}).get("intent_response_key") or "")
    return key.removeprefix("faq/") or None


def ranked_topics(message: Optional[Dict[str, Any]]) -> List[tuple]:
    """``[(topic, confidence), ...]`` of the ResponseSelector for a message, best first."""
    return faq_ranking_of((message or {}).get("response_selector"))


def declines_in_a_row(events: List[Dict[str, Any]]) -> int:
    """How many of the customer's latest turns in a row were out of scope (this one included)."""
    count = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != "out_of_scope":
            break
        count += 1
    return count


def answered_turn(events: List[Dict[str, Any]], message_id: Optional[str]) -> Optional[dict]:
    """The parse data of the customer turn ``message_id`` (else the latest FAQ turn)."""
    latest_faq = None
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        data = event.get("parse_data") or {}
        if message_id is not None and str(event.get("message_id")) == str(message_id):
            return data
        if latest_faq is None and intent_name(data) == "faq":
            latest_faq = data
    return latest_faq


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        message = tracker.latest_message or {}
        close = message.get("faq_clarify")
        if not entity_value(message, TOPIC_ENTITY) and isinstance(close, list) and len(close) > 1:
            dispatcher.utter_message(
                response="utter_faq_clarify",
                buttons=[topic_button(str(key)) for key in close] + [SOMETHING_ELSE],
            )
            return [SlotSet(DECISION, CLARIFIED)]
        topic = faq_topic(message)
        if not topic or f"utter_faq/{topic}" not in (domain.get("responses") or {}):
            logger.warning("no FAQ answer for topic %r; declining", topic)
            dispatcher.utter_message(response="utter_out_of_scope")
            return [SlotSet(DECISION, DECLINED)]
        dispatcher.utter_message(response=f"utter_faq/{topic}")
        return [SlotSet(DECISION, ANSWERED)]


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        message = tracker.latest_message or {}
        reason = ((message.get("ood") or {}).get("reason")) if isinstance(message, dict) else None
        events: List[EventType] = [SlotSet(DECISION, DECLINED)]
        offer_person = [
            SlotSet("human_offered", True),
            SlotSet("handoff_reason", "fallback"),
        ]
        if reason == "language":
            dispatcher.utter_message(response="utter_out_of_scope_language")
            return events + offer_person
        if declines_in_a_row(tracker.events) >= 2:
            dispatcher.utter_message(response="utter_out_of_scope_again")
            return events + offer_person
        dispatcher.utter_message(response="utter_out_of_scope")
        return events


class ActionSomethingElse(Action):
    def name(self) -> str:
        return "action_something_else"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_something_else")
        return [SlotSet(DECISION, CLARIFIED), SlotSet("human_offered", True)]


class ActionAnswerUnhelpful(Action):
    """After a 👎: the next-best FAQ topics for the same question, and a person."""

    def name(self) -> str:
        return "action_answer_unhelpful"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        message = tracker.latest_message or {}
        asked = answered_turn(tracker.events, entity_value(message, "feedback_message_id"))
        answered = faq_topic(asked)
        buttons = [
            topic_button(topic)
            for topic, confidence in ranked_topics(asked)
            if topic != answered and confidence >= MIN_ALTERNATIVE_CONFIDENCE
        ][:MAX_ALTERNATIVES]
        buttons.append({"title": "Talk to a person", "payload": PERSON_FALLBACK})
        dispatcher.utter_message(response="utter_answer_unhelpful", buttons=buttons)
        return [SlotSet("human_offered", True), SlotSet("handoff_reason", "fallback")]
