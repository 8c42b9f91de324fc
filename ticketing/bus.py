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

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000


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

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue]:
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._subscribers[channel].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[channel].discard(queue)
            if not self._subscribers[channel]:
                self._subscribers.pop(channel, None)


class RedisBus(LocalBus):
    """Publishes through Redis; one pattern subscription per process feeds local queues."""

    PREFIX = "helpdesk:"

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._redis = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self._url)
        pubsub = self._redis.pubsub()
        await pubsub.psubscribe(self.PREFIX + "*")
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
            channel = message["channel"].decode()[len(self.PREFIX) :]
            self._deliver(channel, json.loads(message["data"]))

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        assert self._redis is not None, "RedisBus.start() was not awaited"
        await self._redis.publish(self.PREFIX + channel, json.dumps(event))

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
    return f"conversation:{public_id}"


QUEUE_CHANNEL = "queue"
