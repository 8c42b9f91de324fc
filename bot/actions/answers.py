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
- the help centre (the hub's articles, searched by ``/internal/kb/answer``) answers what the
  FAQ topics don't: a question the gate found in the shop's domain whose FAQ match is weak,
  and, only on a confident match, one the gate found unlike the training data. A confident
  passage is quoted with its source (``custom.source``: the article, section and link), two
  close ones become a choice (payload ``/faq{"faq_topic": "kb:slug#anchor"}``), anything
  else is declined as before. Surface problems (empty, markup, another language) and other
  shops' names never reach the help centre;
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

from . import hub_client
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
HELP_PREFIX = "kb:"
# the gate's reasons for which the help centre is asked (strict: only a confident match)
HELP_REASONS = {
    "weak_faq_match": False,
    "unlike_training": True,
    "closer_to_off_topic": True,
    "classifier": True,
}
HELP_FROM = "From our help centre: "
HELP_CHOOSE = "I found two help articles that might answer that. Which one do you mean?"


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
    """How many of the customer's latest turns in a row were declined (this one included): out
    of scope, and not answered or clarified from the help centre."""
    turns: List[List[Any]] = []  # [intent, decision] per customer turn
    for event in events:
        if event.get("event") == "user":
            turns.append([((event.get("parse_data") or {}).get("intent") or {}).get("name"), None])
        elif event.get("event") == "slot" and event.get("name") == DECISION and turns:
            turns[-1][1] = event.get("value")
    count = 0
    for intent, decision in reversed(turns):
        if intent != "out_of_scope" or decision in (ANSWERED, CLARIFIED):
            break
        count += 1
    return count


def help_button(passage: Dict[str, Any]) -> Dict[str, str]:
    payload = "/faq" + json.dumps(
        {TOPIC_ENTITY: HELP_PREFIX + str(passage.get("key"))}, separators=(",", ":")
    )
    title = str(passage.get("title") or "")
    if passage.get("heading"):
        title += " › " + str(passage["heading"])
    return {"title": title[:120], "payload": payload}


def quote_passage(dispatcher: CollectingDispatcher, passage: Dict[str, Any]) -> None:
    """The section's own sentences, and where they come from (the widget links it)."""
    source = {name: passage.get(name) for name in ("key", "title", "heading", "url", "score")}
    dispatcher.utter_message(
        text=HELP_FROM + str(passage.get("quote") or ""), json_message={"source": source}
    )


async def answer_from_help_centre(
    dispatcher: CollectingDispatcher, text: str, strict: bool
) -> Optional[str]:
    """Answer or offer a choice from the help centre; the decision, or ``None`` (declined,
    or the hub could not be asked)."""
    if not text.strip() or text.startswith("/"):
        return None
    try:
        found = await hub_client.help_answer(text, strict=strict)
    except hub_client.HubError as exc:
        logger.warning("help centre not asked: %s", exc)
        return None
    passages = [p for p in found.get("passages") or [] if isinstance(p, dict) and p.get("key")]
    if found.get("decision") == "answer" and passages:
        quote_passage(dispatcher, passages[0])
        return ANSWERED
    if found.get("decision") == "choose" and len(passages) > 1:
        dispatcher.utter_message(
            text=HELP_CHOOSE, buttons=[help_button(p) for p in passages[:2]] + [SOMETHING_ELSE]
        )
        return CLARIFIED
    return None


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
        chosen = entity_value(message, TOPIC_ENTITY) or ""
        if chosen.startswith(HELP_PREFIX):
            return await self.help_section(dispatcher, chosen[len(HELP_PREFIX) :])
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

    async def help_section(self, dispatcher: CollectingDispatcher, key: str) -> List[EventType]:
        try:
            passage = await hub_client.help_passage(key)
        except hub_client.HubError as exc:
            logger.warning("help-centre section %r not found: %s", key, exc)
            dispatcher.utter_message(response="utter_out_of_scope")
            return [SlotSet(DECISION, DECLINED)]
        quote_passage(dispatcher, passage)
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
        if reason in HELP_REASONS:
            text = str(message.get("text") or "")
            decision = await answer_from_help_centre(dispatcher, text, HELP_REASONS[reason])
            if decision is not None:
                return [SlotSet(DECISION, decision)]
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
