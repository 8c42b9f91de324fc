"""The ``hub`` input channel: one round trip gives the hub the bot's replies and the NLU result.

Listed in ``credentials.yml`` as ``bot.channels.HubInput``; the hub posts to
``/webhooks/hub/webhook`` with ``{"sender", "message", "message_id", "metadata"}`` and gets
``{"messages": [...], "nlu": {"intent", "entities", "response_selector", "emotion", "ood",
"decision"}}``, where ``emotion`` is ``{"label": "neutral"|"frustrated"|"angry", "score": 0..1}``
from ``bot.components.emotion``, ``ood`` the out-of-domain gate's verdict
(``bot.components.ood_gate``) and ``decision`` what the assistant did with the turn:
``answered``, ``clarified``, ``declined`` or ``handed_off`` (``decision_of``). The hub stores
them on the customer's turn. Unlike ``RestInput``
it answers HTTP 500 when the turn fails, so the hub can tell the customer instead of showing
nothing, and it wants the hub's bearer token when ``RASA_TOKEN`` is set (the same secret as
Rasa's ``--auth-token``).

Empathy is a post-processing step here, after the dialogue has produced its answer:

- when the turn's emotion is ``frustrated`` or ``angry``, the domain response
  ``utter_empathy_frustrated`` / ``utter_empathy_angry`` (rendered with the agent's NLG, so it
  lives in domain.yml with the other texts) is put *before* the bot's messages, unless the
  answer already opens with an apology (the complaint's welcome does);
- when the turn is ``angry``, or two of the customer's last three turns were frustrated or
  angry, ``utter_offer_human_sentiment`` is appended: a button whose payload is
  ``/request_human{"handoff_reason":"sentiment"}``. It is left out when a hand-off already
  happened in the conversation, when this turn asked for a person, or when the bot's answer
  already offers one.

The step never fails the turn: on any error the dialogue's own messages are returned as is.

A fresh server spends seconds on its first turn (TensorFlow traces DIET's and TED's graphs),
long enough for a customer to wait and for a proxy's health check to fail. So once the model
is loaded the channel sends itself one turn (``WARM_UP_TEXT``, a throwaway sender
``warm-up-…``), and its health route ``GET /webhooks/hub/`` answers 503 until that is done:
the launcher (``scripts/stack.py``) and HAProxy send customers only to a warm server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

import numpy as np
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

WARM_UP_TEXT = "hello"
NEUTRAL = {"label": "neutral", "score": 0.0}
EMPATHY = {"frustrated": "utter_empathy_frustrated", "angry": "utter_empathy_angry"}
OFFER_HUMAN = "utter_offer_human_sentiment"
HANDOFF_ACTIONS = {"action_handoff", "handoff_form"}
UPSET = {"frustrated", "angry"}


# the help centre's passages and questions: the MiniLM sentence embedding this process
# already holds for the NLU pipeline (one encoder, in the process that owns it)
EMBEDDING_MODEL = "all-MiniLM-L6-v2"
MAX_EMBED_TEXTS = 64
MAX_EMBED_CHARS = 4000


def embed_texts(texts: List[str]) -> List[List[float]]:
    """Unit-length MiniLM sentence vectors of ``texts`` (mean pooling, like the featurizer)."""
    from bot.components.bert_numpy import get_encoder

    vectors = get_encoder().embed(texts)
    return [[round(float(x), 6) for x in row] for row in np.asarray(vectors, dtype=np.float32)]


def _authorised(request: Request) -> bool:
    expected = os.environ.get("RASA_TOKEN")
    sent = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
    return not expected or secrets.compare_digest(sent, expected)


def _emotion(data: Dict[str, Any]) -> Dict[str, Any]:
    value = data.get("emotion")
    if isinstance(value, dict) and value.get("label") in ("neutral", "frustrated", "angry"):
        return {"label": value["label"], "score": value.get("score", 0.0)}
    return dict(NEUTRAL)


def _user_turn(events: Any, message_id: Optional[str]) -> Optional[UserUttered]:
    """The user turn ``message_id`` (the latest user turn as fallback)."""
    latest = None
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            if latest is None:
                latest = event
            if message_id is not None and event.message_id == message_id:
                return event
    return latest


DECISIONS = ("answered", "clarified", "declined", "handed_off")
# actions whose run tells what the assistant did, when no action set ``turn_decision``
DECIDING_ACTIONS = {
    "action_handoff": "handed_off",
    "action_default_ask_affirmation": "clarified",
    "action_default_fallback": "declined",
}


def decision_of(events: Any, turn: Optional[UserUttered]) -> str:
    """What the assistant did with ``turn``, from the events that followed it.

    A hand-off wins; otherwise the last ``turn_decision`` an action set (answer, clarify,
    decline), else the deciding actions above; a turn with none of them was ``answered``.
    """
    events = list(events)
    start = 0
    if turn is not None:
        for index, event in enumerate(events):
            if event is turn:
                start = index + 1
                break
    decision = None
    for event in events[start:]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name in DECIDING_ACTIONS:
            if DECIDING_ACTIONS[event.action_name] == "handed_off":
                return "handed_off"
            decision = DECIDING_ACTIONS[event.action_name]
        elif isinstance(event, SlotSet) and event.key == "turn_decision":
            if event.value in DECISIONS:
                decision = event.value
    return decision or "answered"


def _nlu_of(events: Any, message_id: Optional[str]) -> Dict[str, Any]:
    """The parse data of the user turn ``message_id`` (the latest user turn as fallback)."""
    events = list(events)
    turn = _user_turn(events, message_id)
    if turn is None:
        return {}
    data = turn.parse_data or {}
    return {
        "intent": data.get("intent") or {},
        "entities": data.get("entities") or [],
        "response_selector": data.get("response_selector") or {},
        "emotion": _emotion(data),
        "ood": data.get("ood") or None,
        "faq_clarify": data.get("faq_clarify") or None,
        "decision": decision_of(events, turn),
    }


def recent_labels(events: Any, last: int = 3) -> List[str]:
    """Emotion labels of the customer's last ``last`` turns, oldest first."""
    labels = [
        _emotion(event.parse_data or {})["label"]
        for event in events
        if isinstance(event, UserUttered)
    ]
    return labels[-last:]


def handed_off(events: Any) -> bool:
    for event in events:
        if isinstance(event, ActionExecuted) and event.action_name in HANDOFF_ACTIONS:
            return True
        if isinstance(event, ActiveLoop) and event.name == "handoff_form":
            return True
    return False


def offers_human(messages: List[Dict[str, Any]]) -> bool:
    return any(
        str(button.get("payload", "")).startswith("/request_human")
        for message in messages
        for button in message.get("buttons") or []
        if isinstance(button, dict)
    )


def should_offer_human(events: Any, turn: Optional[UserUttered], messages: List[dict]) -> bool:
    events = list(events)
    labels = recent_labels(events)
    if not labels or turn is None:
        return False
    current = _emotion(turn.parse_data or {})["label"]
    upset = current == "angry" or sum(label in UPSET for label in labels) >= 2
    if not upset or current not in UPSET:
        return False
    if (turn.intent or {}).get("name") == "request_human":
        return False
    return not handed_off(events) and not offers_human(messages)


def already_empathic(messages: List[Dict[str, Any]]) -> bool:
    """The answer itself opens with an apology (e.g. the complaint's welcome)."""
    first = str((messages[0] if messages else {}).get("text") or "").lower()
    return first.startswith(("i'm sorry", "i am sorry", "sorry"))


def _as_message(rendered: Optional[Dict[str, Any]], recipient_id: str) -> Optional[dict]:
    if not rendered or not rendered.get("text"):
        return None
    message: Dict[str, Any] = {"recipient_id": recipient_id, "text": rendered["text"]}
    if rendered.get("buttons"):
        message["buttons"] = rendered["buttons"]
    return message


class HubInput(RestInput):
    def __init__(self) -> None:
        super().__init__()
        self.warm = False  # the first turn has been taken (see the module's docstring)

    @classmethod
    def name(cls) -> str:
        return "hub"

    async def warm_up(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One turn through the loaded model, so that no customer's turn is the first."""
        started = time.monotonic()
        try:
            await on_new_message(
                UserMessage(
                    WARM_UP_TEXT,
                    CollectingOutputChannel(),
                    f"warm-up-{secrets.token_hex(6)}",
                    input_channel=self.name(),
                )
            )
            logger.info("hub channel: warmed up in %.1f s", time.monotonic() - started)
        except Exception:  # a cold server is slower, not broken: serve anyway
            logger.exception("hub channel: the warm-up turn failed; serving without it")
        finally:
            self.warm = True

    async def _with_empathy(
        self,
        request: Request,
        tracker: Any,
        sender_id: str,
        message_id: Optional[str],
        messages: List[Dict[str, Any]],
    ) -> List[Dict[str, Any]]:
        """The bot's messages with empathy before them and, if needed, an offer of a person."""
        if tracker is None or not messages:
            return messages
        events = list(tracker.events)
        turn = _user_turn(events, message_id)
        if turn is None:
            return messages
        label = _emotion(turn.parse_data or {})["label"]
        if label not in EMPATHY:
            return messages
        nlg = request.app.ctx.agent.nlg
        result = list(messages)
        if not already_empathic(messages):
            rendered = await nlg.generate(EMPATHY[label], tracker, self.name())
            empathy = _as_message(rendered, sender_id)
            if empathy:
                result.insert(0, empathy)
        if should_offer_human(events, turn, messages):
            offer = _as_message(await nlg.generate(OFFER_HUMAN, tracker, self.name()), sender_id)
            if offer:
                result.append(offer)
        return result

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hub_webhook = Blueprint("hub_webhook", __name__)

        @hub_webhook.listener("after_server_start")
        async def warm_up(_app: Any, _loop: Any) -> None:
            await self.warm_up(on_new_message)  # the model is loaded before the server starts

        @hub_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if not self.warm:
                return response.json({"status": "warming up"}, status=503)
            return response.json({"status": "ok"})

        @hub_webhook.route("/embed", methods=["POST"])
        async def embed(request: Request) -> HTTPResponse:
            if not _authorised(request):
                return response.json({"error": "a valid token is required"}, status=401)
            body = request.json or {}
            texts = body.get("texts")
            if (
                not isinstance(texts, list)
                or not 0 < len(texts) <= MAX_EMBED_TEXTS
                or not all(isinstance(t, str) and len(t) <= MAX_EMBED_CHARS for t in texts)
            ):
                return response.json(
                    {
                        "error": f"texts must be 1 to {MAX_EMBED_TEXTS} strings of at most "
                        f"{MAX_EMBED_CHARS} characters"
                    },
                    status=400,
                )
            # in a worker thread: numpy's matrix products release the GIL, so customers'
            # turns go on while a batch of help-centre sections is encoded
            loop = asyncio.get_running_loop()
            vectors = await loop.run_in_executor(None, embed_texts, texts)
            return response.json({"model": EMBEDDING_MODEL, "vectors": vectors})

        @hub_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not _authorised(request):
                return response.json({"error": "a valid token is required"}, status=401)
            body = request.json or {}
            sender_id = body.get("sender")
            text = body.get("message")
            if not isinstance(sender_id, str) or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            message_id = body.get("message_id")
            message_id = str(message_id) if message_id is not None else None
            metadata = body.get("metadata")
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender_id,
                        input_channel=self.name(),
                        message_id=message_id,
                        metadata=metadata if isinstance(metadata, dict) else None,
                    )
                )
            except Exception:
                logger.exception("hub channel: processing the message failed")
                return response.json(
                    {"error": "processing failed", "messages": collector.messages}, status=500
                )
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender_id)
            events = tracker.events if tracker else []
            nlu = _nlu_of(events, message_id)
            messages = collector.messages
            try:
                messages = await self._with_empathy(
                    request, tracker, sender_id, message_id, messages
                )
            except Exception:
                logger.exception("hub channel: adding empathy failed; answering without it")
            return response.json({"messages": messages, "nlu": nlu})

        return hub_webhook
