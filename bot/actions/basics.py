"""Leaving a form: ``stop`` at any time ends the current task and forgets its answers."""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from .complaints import SLOTS as COMPLAINT_SLOTS
from .handoff import SLOTS as HANDOFF_SLOTS

TASK_SLOTS = (
    "order_number",
    "order_lookup",
    "ticket_number",
    "ticket_lookup",
    *COMPLAINT_SLOTS,
    *HANDOFF_SLOTS,
)
COUNTERS = ("order_attempts", "ticket_attempts", "complaint_order_attempts")


class ActionFormStopped(Action):
    def name(self) -> str:
        return "action_form_stopped"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_form_stopped")
        return [
            *(SlotSet(name, None) for name in TASK_SLOTS),
            *(SlotSet(name, 0) for name in COUNTERS),
            SlotSet("human_offered", False),
        ]
