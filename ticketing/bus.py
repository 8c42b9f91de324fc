"""Live-event fan-out to WebSocket subscribers.

``LocalBus`` serves one hub process. ``RedisBus`` (chosen when ``REDIS_URL`` is set) publishes
through Redis pub/sub so that every hub instance behind a load balancer delivers the event to
the sockets it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000


class SubscriberQueue(asyncio.Queue):
    """One socket's events. A notice that carries nothing but its type (``queue_changed``:
    "fetch the queue again") is queued once: while one is still waiting to be sent, the same
    notice again adds nothing, since the client's fetch comes after both. A burst of claims
    sent every console a frame per change (bench/fanout.py: 200 of ~315 frames a round)."""

    def __init__(self, maxsize: int = QUEUE_LIMIT) -> None:
        super().__init__(maxsize=maxsize)
        self._waiting_notices: set[str] = set()

    @staticmethod
    def _notice(item: dict[str, Any]) -> str | None:
        return item.get("type") if len(item) == 1 else None

    def put_nowait(self, item: dict[str, Any]) -> None:
        notice = self._notice(item)
        if notice is not None and notice in self._waiting_notices:
            return
        super().put_nowait(item)  # raises QueueFull before a notice counts as waiting
        if notice is not None:
            self._waiting_notices.add(notice)

    def get_nowait(self) -> dict[str, Any]:
        item = super().get_nowait()
        self._waiting_notices.discard(self._notice(item))
        return item


class LocalBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue]] = defaultdict(set)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        self._deliver(channel, event)

    def _deliver(self, channel: str, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a stalled socket must not block everyone else
                log.warning("dropping live event for a slow subscriber on %s", channel)

    def add(self, channel: str, queue: asyncio.Queue) -> None:
        """Deliver ``channel``'s events into ``queue`` too (one socket, many channels)."""
        self._subscribers[channel].add(queue)

    def remove(self, channel: str, queue: asyncio.Queue) -> None:
        subscribers = self._subscribers.get(channel)
        if subscribers is not None:
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(channel, None)

    @contextlib.asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[asyncio.Queue]:
        queue: asyncio.Queue = SubscriberQueue()
        for channel in channels:
            self.add(channel, queue)
        try:
            yield queue
        finally:
            for channel in list(self._subscribers):
                self.remove(channel, queue)


class RedisBus(LocalBus):
    """Publishes through Redis; one pattern subscription per process feeds local queues."""

    PREFIX = "helpdesk:"

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        # pub/sub ignores Redis's database numbers: the channel names carry it, so hubs on
        # different databases of one Redis (two deployments, a test run) never hear each other
        database = urlsplit(url).path.lstrip("/") or "0"
        self._prefix = f"{self.PREFIX}{database}:"
        self._redis = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self._url)
        pubsub = self._redis.pubsub()
        await pubsub.psubscribe(self._prefix + "*")
        self._task = asyncio.create_task(self._listen(pubsub))

    async def _listen(self, pubsub) -> None:
        while True:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis pub/sub read failed")
                await asyncio.sleep(1)
                continue
            if not message:
                continue
            channel = message["channel"].decode()[len(self._prefix) :]
            self._deliver(channel, json.loads(message["data"]))

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        assert self._redis is not None, "RedisBus.start() was not awaited"
        await self._redis.publish(self._prefix + channel, json.dumps(event))

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._redis is not None:
            await self._redis.close()


def create_bus(redis_url: str | None) -> LocalBus:
    return RedisBus(redis_url) if redis_url else LocalBus()


def conversation_channel(public_id: str) -> str:
    """Everything the customer sees: messages, status, agent typing."""
    return f"conversation:{public_id}"


def ticket_channel(number: str) -> str:
    """Staff-only ticket events: notes, timeline entries, customer typing."""
    return f"ticket:{number}"


def agent_channel(user_id: int) -> str:
    """Notifications for one agent (a ticket was assigned to them)."""
    return f"agent:{user_id}"


def team_channel(team_id: int) -> str:
    """What a team's agents may see of its tickets: customers' messages in its queue."""
    return f"team:{team_id}"


# notices without content ("the queue changed: fetch it"), for every agent
QUEUE_CHANNEL = "queue"
SUPERVISOR_CHANNEL = "supervisors"
