"""Two-stage fallback with human-readable suggestions, and the offer of a person at the end.

Rasa's ``action_two_stage_fallback`` first runs ``action_default_ask_affirmation`` (here: up
to three likely meanings as buttons, FAQ topics by their question, plus "Something else"),
then asks to rephrase; when the customer rejects the suggestions twice it runs
``action_default_fallback``, which offers a person (hand-off reason ``fallback``).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

logger = logging.getLogger(__name__)

FAQ_DATA = Path(__file__).resolve().parent.parent / "data" / "faq"
MAX_SUGGESTIONS = 3
MIN_CONFIDENCE = 0.15

INTENT_SUGGESTIONS = {
    "check_order_status": ("Check the status of an order", "/check_order_status"),
    "file_complaint": ("Make a complaint", "/file_complaint"),
    "check_ticket_status": ("Check a ticket or complaint", "/check_ticket_status"),
    "request_human": ("Talk to a person", '/request_human{"handoff_reason":"fallback"}'),
    "bot_challenge": ("Ask whether you're talking to a bot", "/bot_challenge"),
}


@lru_cache(maxsize=1)
def faq_questions() -> Dict[str, str]:
    """The first training question of every FAQ topic (``{key: question}``)."""
    questions: Dict[str, str] = {}
    try:
        files = sorted(FAQ_DATA.glob("*.yml"))
    except OSError:
        return questions
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            logger.warning("could not read %s: %s", path, exc)
            continue
        for block in data.get("nlu") or []:
            intent = str(block.get("intent") or "")
            if not intent.startswith("faq/"):
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    questions.setdefault(intent[4:], line[2:].strip())
                    break
    return questions


def faq_title(key: str, question: Optional[str]) -> str:
    if question:
        text = question[0].upper() + question[1:]
        return text if text.endswith(("?", ".", "!")) else f"{text}?"
    return key.replace("_", " ").capitalize()


def suggestions(parse_data: Dict[str, Any]) -> List[Dict[str, str]]:
    """Buttons for the most likely meanings of a message the assistant wasn't sure about."""
    buttons: List[Dict[str, str]] = []
    ranking = parse_data.get("intent_ranking") or []
    selector = ((parse_data.get("response_selector") or {}).get("faq") or {}).get("ranking")
    for item in ranking:
        if len(buttons) >= MAX_SUGGESTIONS:
            break
        name = item.get("name") if isinstance(item, dict) else None
        confidence = item.get("confidence") or 0.0 if isinstance(item, dict) else 0.0
        if not name or confidence < MIN_CONFIDENCE:
            continue
        if name == "faq":
            for option in selector or []:
                key = str(option.get("intent_response_key") or "").removeprefix("faq/")
                if not key or len(buttons) >= MAX_SUGGESTIONS:
                    continue
                question = faq_questions().get(key)
                title = faq_title(key, question)
                if any(b["title"] == title for b in buttons):
                    continue
                buttons.append({"title": title, "payload": question or key.replace("_", " ")})
                if len([b for b in buttons if not b["payload"].startswith("/")]) >= 2:
                    break
        elif name in INTENT_SUGGESTIONS:
            title, payload = INTENT_SUGGESTIONS[name]
            buttons.append({"title": title, "payload": payload})
    return buttons[:MAX_SUGGESTIONS]


class ActionDefaultAskAffirmation(Action):
    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        try:
            buttons = suggestions(tracker.latest_message or {})
        except Exception:
            logger.exception("could not build fallback suggestions")
            buttons = []
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        if len(buttons) > 1:
            text = (
                "Sorry, I'm not sure I understood. Did you mean one of these? If not, choose "
                '"Something else" and rephrase it.'
            )
        else:
            text = "Sorry, I'm not sure I understood. Could you rephrase it?"
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionDefaultFallback(Action):
    """The assistant gave up understanding: offer a person instead of guessing again."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_default")
        return [
            UserUtteranceReverted(),
            SlotSet("human_offered", True),
            SlotSet("handoff_reason", "fallback"),
        ]
