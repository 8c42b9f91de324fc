"""The hub's only way to the Rasa server: HTTP to the ``hub`` input channel (bot/channels.py)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .models import DECISIONS

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/hub/webhook"
EMBED_PATH = "/webhooks/hub/embed"
EMBED_BATCH = 32


class RasaUnavailable(Exception):
    """Rasa did not answer in time, answered with an error, or could not be reached."""


@dataclass
class BotReply:
    text: str = ""
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None


@dataclass
class BotTurn:
    replies: list[BotReply]
    intent: str | None = None
    confidence: float | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    emotion: str | None = None
    # what the assistant did (models.DECISIONS), the out-of-domain gate's verdict, the FAQ
    # topic it answered or offered first and the ResponseSelector's confidence in it
    decision: str | None = None
    ood_score: float | None = None
    ood_reason: str | None = None
    faq_topic: str | None = None
    faq_confidence: float | None = None
    # ... or the help-centre section it quoted ("slug#anchor", from the answer's
    # ``custom.source``) and the search's score
    kb_section: str | None = None
    kb_score: float | None = None


def _help_source(replies: list[BotReply]) -> dict[str, Any]:
    """The ``source`` of the first reply quoting the help centre (``{}`` when none does)."""
    for reply in replies:
        source = (reply.custom or {}).get("source")
        if isinstance(source, dict) and isinstance(source.get("key"), str) and source["key"]:
            return source
    return {}


def _merged(replies: list[BotReply]) -> list[BotReply]:
    """Rasa's output channel sends a response's text and its custom JSON as two messages; the
    custom part (e.g. the source of a help-centre quote) belongs with the text before it."""
    merged: list[BotReply] = []
    for reply in replies:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and reply.custom
            and not reply.text
            and not reply.buttons
            and not previous.custom
            and not previous.buttons
            and previous.text
        ):
            previous.custom = reply.custom
            continue
        merged.append(reply)
    return merged


def _reply_from_rasa(raw: dict[str, Any]) -> BotReply:
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in raw.get("buttons") or []
        if isinstance(b, dict)
    ]
    custom: dict[str, Any] = {}
    if isinstance(raw.get("custom"), dict):
        custom.update(raw["custom"])
    for key in ("image", "attachment"):
        if raw.get(key):
            custom[key] = raw[key]
    return BotReply(text=str(raw.get("text") or ""), buttons=buttons, custom=custom or None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def parse_turn(body: dict[str, Any]) -> BotTurn:
    nlu = body.get("nlu") or {}
    intent = nlu.get("intent") or {}
    entities = [
        {k: e.get(k) for k in ("entity", "value", "start", "end", "extractor")}
        for e in nlu.get("entities") or []
        if isinstance(e, dict)
    ]
    emotion = nlu.get("emotion") or {}
    label = emotion.get("label") if isinstance(emotion, dict) else None
    faq = ((nlu.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    intent_name = intent.get("name")
    topic = str(faq.get("intent_response_key") or "").removeprefix("faq/") or None
    faq_confidence = _number(faq.get("confidence"))
    chosen = next((e["value"] for e in entities if e.get("entity") == "faq_topic"), None)
    replies = _merged(
        [_reply_from_rasa(m) for m in body.get("messages") or [] if isinstance(m, dict)]
    )
    source = _help_source(replies)
    if intent_name == "faq" and isinstance(chosen, str) and chosen.startswith("kb:"):
        topic = None  # a "Did you mean" button for a help-centre section
    elif intent_name == "faq" and isinstance(chosen, str) and chosen:
        topic, faq_confidence = chosen.removeprefix("faq/"), None  # a "Did you mean" button
    if source:
        topic = None  # answered from the help centre, not from a FAQ topic
    # A FAQ answer is reported as its topic (``faq/shipping_cost``), which reports count.
    if intent_name == "faq" and topic:
        intent_name = f"faq/{topic}"
    ood = nlu.get("ood") if isinstance(nlu.get("ood"), dict) else {}
    decision = nlu.get("decision")
    return BotTurn(
        replies=replies,
        intent=intent_name,
        confidence=intent.get("confidence"),
        entities=entities,
        emotion=label if label in ("neutral", "frustrated", "angry") else None,
        decision=decision if decision in DECISIONS else None,
        ood_score=_number(ood.get("score")),
        ood_reason=_text(ood.get("reason"), 40),
        faq_topic=_text(topic, 100) if str(intent_name or "").startswith("faq/") else None,
        faq_confidence=faq_confidence if str(intent_name or "").startswith("faq/") else None,
        kb_section=_text(source.get("key"), 200),
        kb_score=_number(source.get("score")),
    )


class RasaBusy(RasaUnavailable):
    """Every Rasa slot stayed taken for longer than the queue's bound."""


class RasaClient:
    """The hub's client of one Rasa server.

    Back-pressure, not apology: at most ``concurrency`` turns are at Rasa at once; the others
    wait their turn (up to ``queue_timeout`` seconds: past that the customer gets the apology,
    as when Rasa is down), and ``on_busy`` tells a waiting customer after ``busy_after``
    seconds that their place is kept. One chat's turns go to Rasa one after the other, in the
    order they came. ``timeout`` bounds Rasa's own answer once a turn is at Rasa.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float,
        token: str | None = None,
        *,
        concurrency: int = 8,
        queue_timeout: float = 60.0,
        busy_after: float = 3.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # Rasa's --auth-token: a query parameter on its HTTP API, a bearer header on the channel
        self.token = token
        self.concurrency = max(1, concurrency)
        self.queue_timeout = queue_timeout
        self.busy_after = busy_after
        self._slots = asyncio.Semaphore(self.concurrency)
        self._chats: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(
        self,
        sender_id: str,
        text: str,
        message_id: str,
        metadata: dict[str, Any],
        on_busy: Callable[[], Awaitable[Any]] | None = None,
    ) -> BotTurn:
        """One customer turn at Rasa, in its chat's order and within the concurrency bound."""
        lock = self._chats.get(sender_id)
        if lock is None:
            lock = self._chats[sender_id] = asyncio.Lock()
        notice = asyncio.get_running_loop().call_later(
            self.busy_after, lambda: on_busy and asyncio.ensure_future(on_busy())
        )
        try:
            async with asyncio.timeout(self.queue_timeout):
                await lock.acquire()
                try:
                    await self._slots.acquire()
                except BaseException:
                    lock.release()
                    raise
        except TimeoutError as exc:
            raise RasaBusy(f"no Rasa slot free within {self.queue_timeout:g} s") from exc
        finally:
            notice.cancel()
        try:
            return await self._post_turn(sender_id, text, message_id, metadata)
        finally:
            self._slots.release()
            lock.release()

    async def _call(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        channel: bool = False,
        timeout: float | None = None,
        read: bool = True,
    ) -> Any:
        """One request to Rasa; its JSON answer (``read``), else ``RasaUnavailable``. The
        token goes as a bearer header to the hub channel (``channel``), as the ``token`` query
        parameter to Rasa's own HTTP API."""
        token = {"Authorization": f"Bearer {self.token}"} if self.token and channel else None
        params = {"token": self.token} if self.token and not channel else None
        try:
            async with self.session.request(
                method,
                self.base_url + path,
                json=body,
                headers=token,
                params=params,
                timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                return await response.json() if read else None
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def _post_turn(
        self, sender_id: str, text: str, message_id: str, metadata: dict[str, Any]
    ) -> BotTurn:
        body = {
            "sender": sender_id,
            "message": text,
            "message_id": message_id,
            "metadata": metadata,
        }
        return parse_turn(await self._call("POST", WEBHOOK_PATH, body, channel=True))

    async def trigger_intent(
        self, sender_id: str, intent: str, entities: dict[str, Any] | None = None
    ) -> BotTurn:
        """Make the bot act as if the customer expressed ``intent`` (e.g. start the survey)."""
        path = f"/conversations/{sender_id}/trigger_intent"
        body = await self._call("POST", path, {"name": intent, "entities": entities or {}})
        return parse_turn({"messages": body.get("messages") or []})

    async def forget(self, sender_id: str) -> None:
        """Replace the conversation's tracker with an empty one (privacy: retention and
        erasure). Rasa's in-memory and Redis stores then hold nothing of it; the SQL tracker
        store only appends, so its rows are deleted by the operator's job (README, Privacy)."""
        path = f"/conversations/{sender_id}/tracker/events"
        await self._call("PUT", path, [], read=False)

    async def embed(self, texts: list[str], timeout: float = 5.0) -> list[list[float]]:
        """MiniLM sentence vectors of ``texts`` from the Rasa server, which owns the encoder
        (the help centre's passages and questions). Not counted against the turn slots: a
        turn's action asks the hub, which asks Rasa here, while the turn holds its slot."""
        vectors: list[list[float]] = []
        for begin in range(0, len(texts), EMBED_BATCH):
            batch = texts[begin : begin + EMBED_BATCH]
            body = await self._call(
                "POST", EMBED_PATH, {"texts": batch}, channel=True, timeout=timeout
            )
            got = body.get("vectors") if isinstance(body, dict) else None
            if not isinstance(got, list) or len(got) != len(batch):
                raise RasaUnavailable("Rasa's embedding answer has the wrong shape")
            vectors.extend(got)
        return vectors

    async def reachable(self) -> bool:
        try:
            async with self.session.get(
                self.base_url + "/version", timeout=aiohttp.ClientTimeout(total=3)
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False
