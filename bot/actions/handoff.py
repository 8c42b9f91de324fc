"""Hand-off to a human agent: the hub creates the ticket and queues the conversation."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from . import hub_client

logger = logging.getLogger(__name__)

REASON_BY_INTENT = {"nlu_fallback": "fallback", "request_human": "requested"}


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        reason = REASON_BY_INTENT.get(intent, "requested")
        try:
            answer = await hub_client.hand_off(tracker.sender_id, reason)
        except hub_client.HubError as exc:
            logger.warning("hand-off failed for %s: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_handoff_failed")
            return []
        ticket = answer.get("ticket") or {}
        dispatcher.utter_message(
            response="utter_handoff_done",
            ticket_number=ticket.get("number"),
            queue_position=answer.get("queue_position") or 1,
        )
        return []
