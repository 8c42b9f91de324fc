"""The ``hub`` input channel: one round trip gives the hub the bot's replies and the NLU result.

Listed in ``credentials.yml`` as ``bot.channels.HubInput``; the hub posts to
``/webhooks/hub/webhook`` with ``{"sender", "message", "message_id", "metadata"}`` and gets
``{"messages": [...], "nlu": {"intent", "entities", ...}}``. Unlike ``RestInput`` it answers
HTTP 500 when the turn fails, so the hub can tell the customer instead of showing nothing.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


def _nlu_of(events: Any, message_id: Optional[str]) -> Dict[str, Any]:
    """The parse data of the user turn ``message_id`` (the latest user turn as fallback)."""
    latest = None
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            if latest is None:
                latest = event
            if message_id is not None and event.message_id == message_id:
                latest = event
                break
    if latest is None:
        return {}
    data = latest.parse_data or {}
    return {
        "intent": data.get("intent") or {},
        "entities": data.get("entities") or [],
        "response_selector": data.get("response_selector") or {},
    }


class HubInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "hub"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hub_webhook = Blueprint("hub_webhook", __name__)

        @hub_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hub_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json or {}
            sender_id = body.get("sender")
            text = body.get("message")
            if not isinstance(sender_id, str) or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            message_id = body.get("message_id")
            message_id = str(message_id) if message_id is not None else None
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender_id,
                        input_channel=self.name(),
                        message_id=message_id,
                        metadata=body.get("metadata"),
                    )
                )
            except Exception:
                logger.exception("hub channel: processing the message failed")
                return response.json(
                    {"error": "processing failed", "messages": collector.messages}, status=500
                )
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender_id)
            nlu = _nlu_of(tracker.events if tracker else [], message_id)
            return response.json({"messages": collector.messages, "nlu": nlu})

        return hub_webhook
