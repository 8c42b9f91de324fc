"""Rate limits: fixed-window counters and temporary lock-outs, in Redis or in memory.

With ``REDIS_URL`` set every hub instance shares the counters (a limit holds across the load
balancer); otherwise they live in the process. A limit is a name, a number of hits and a
window; ``hit`` counts one and says how long to wait when the limit is passed
(``TooManyRequests`` carries it to the caller, the web layer answers 429 with
``Retry-After``). The limits themselves are ``POLICIES`` (the sign-in lock-out follows the
shop's own account policy in shop.yml: 5 attempts, 30 minutes).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    hits: int
    seconds: int
    message: str


POLICIES: dict[str, Limit] = {
    # sign-in, per source address (the per-account lock-out is separate, see sign_in_failed)
    "login_ip": Limit(20, 600, "too many sign-in attempts from this address"),
    # customers
    "session_ip": Limit(30, 60, "too many new chats from this address"),
    "message_session": Limit(20, 60, "too many messages in a short time"),
    "lookup_session": Limit(10, 600, "too many order or ticket look-ups in this chat"),
    # the same, per address, over every chat from it (remember_client)
    "lookup_ip": Limit(30, 600, "too many order or ticket look-ups from this address"),
    "feedback_session": Limit(30, 60, "too many ratings in a short time"),
    # the public help centre: searches (each costs a sentence embedding) and article votes
    "help_ip": Limit(60, 60, "too many help-centre searches from this address"),
}


def parse_overrides(text: str | None) -> dict[str, Limit]:
    """``RATE_LIMITS``: ``"session_ip=100/60,message_session=40/60"`` (hits/seconds)."""
    found: dict[str, Limit] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, _, value = item.partition("=")
        hits, _, seconds = value.partition("/")
        name = name.strip()
        if name not in POLICIES or not hits.strip().isdigit() or not seconds.strip().isdigit():
            raise ValueError(f"RATE_LIMITS: {item.strip()!r} is not <limit>=<hits>/<seconds>")
        found[name] = Limit(int(hits), int(seconds), POLICIES[name].message)
    return found


class MemoryLimiter:
    """Counters of one process (no ``REDIS_URL``)."""

    def __init__(self) -> None:
        self.policies = dict(POLICIES)
        self._counts: dict[str, tuple[int, int]] = {}
        self._locks: dict[str, float] = {}
        self._notes: dict[str, tuple[str, float]] = {}
        self._guard = asyncio.Lock()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def incr(self, key: str, window: int) -> tuple[int, float]:
        """Count one hit in the current window: ``(hits so far, seconds until it ends)``."""
        now = time.time()
        start = int(now // window) * window
        async with self._guard:
            if len(self._counts) > 100_000:  # forget finished windows now and then
                self._counts = {k: v for k, v in self._counts.items() if v[0] + window > now}
            began, count = self._counts.get(key, (start, 0))
            if began != start:
                began, count = start, 0
            self._counts[key] = (began, count + 1)
        return count + 1, began + window - now

    async def lock(self, key: str, seconds: int) -> None:
        self._locks[key] = time.time() + seconds

    async def locked_for(self, key: str) -> float:
        until = self._locks.get(key)
        remaining = (until - time.time()) if until else 0.0
        if until and remaining <= 0:
            self._locks.pop(key, None)
        return max(0.0, remaining)

    async def reset(self, key: str) -> None:
        self._locks.pop(key, None)
        for name in [k for k in self._counts if k.startswith(key)]:
            self._counts.pop(name, None)

    async def remember(self, key: str, value: str, seconds: int) -> None:
        now = time.time()
        if len(self._notes) > 100_000:
            self._notes = {k: v for k, v in self._notes.items() if v[1] > now}
        self._notes[key] = (value, now + seconds)

    async def recall(self, key: str) -> str | None:
        value, until = self._notes.get(key, (None, 0.0))
        return value if until > time.time() else None


class RedisLimiter:
    """Counters shared by every hub instance through Redis (``INCR`` + ``EXPIRE``)."""

    def __init__(self, url: str) -> None:
        self.policies = dict(POLICIES)
        self._url = url
        self._redis: Any = None

    async def start(self) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self._url)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def incr(self, key: str, window: int) -> tuple[int, float]:
        now = time.time()
        start = int(now // window) * window
        name = f"helpdesk:rl:{key}:{start}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window + 1)
            count, _ = await pipe.execute()
        return int(count), start + window - now

    async def lock(self, key: str, seconds: int) -> None:
        await self._redis.set(f"helpdesk:lock:{key}", "1", ex=seconds)

    async def locked_for(self, key: str) -> float:
        ttl = await self._redis.ttl(f"helpdesk:lock:{key}")
        return float(ttl) if ttl and ttl > 0 else 0.0

    async def reset(self, key: str) -> None:
        await self._redis.delete(f"helpdesk:lock:{key}")
        async for name in self._redis.scan_iter(match=f"helpdesk:rl:{key}:*"):
            await self._redis.delete(name)

    async def remember(self, key: str, value: str, seconds: int) -> None:
        await self._redis.set(f"helpdesk:note:{key}", value, ex=seconds)

    async def recall(self, key: str) -> str | None:
        value = await self._redis.get(f"helpdesk:note:{key}")
        return value.decode() if isinstance(value, bytes) else value


Limiter = MemoryLimiter | RedisLimiter


def create_limiter(redis_url: str | None, overrides: dict[str, Limit] | None = None) -> Limiter:
    limiter = RedisLimiter(redis_url) if redis_url else MemoryLimiter()
    limiter.policies.update(overrides or {})
    return limiter


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


async def hit(limiter: Limiter, policy: str, who: str) -> None:
    """Count one ``policy`` hit for ``who``; ``TooManyRequests`` past the limit."""
    limit = limiter.policies[policy]
    count, remaining = await limiter.incr(f"{policy}:{who}", limit.seconds)
    if count > limit.hits:
        raise TooManyRequests(
            "rate_limited", limit.message, retry_after=_retry_after(remaining), limit=policy
        )


# --- the address behind a chat ----------------------------------------------------------

CLIENT_SECONDS = 3600


async def remember_client(limiter: Limiter, session_id: str, client: str) -> None:
    """The address a chat's customer last wrote from: the action server's look-ups for that
    chat then count against the address too (``lookup_ip``), not only the chat."""
    await limiter.remember(f"chat-client:{session_id}", client, CLIENT_SECONDS)


async def hit_lookup(limiter: Limiter, session_id: str) -> None:
    """One order or ticket look-up of a chat: per chat, and per its customer's address."""
    await hit(limiter, "lookup_session", session_id)
    client = await limiter.recall(f"chat-client:{session_id}")
    if client:
        await hit(limiter, "lookup_ip", client)


# --- sign-in lock-out --------------------------------------------------------------------


async def check_not_locked(limiter: Limiter, account: str) -> None:
    remaining = await limiter.locked_for(f"account:{account}")
    if remaining > 0:
        wait = _retry_after(remaining)
        until = datetime.fromtimestamp(time.time() + wait, timezone.utc)
        raise TooManyRequests(
            "account_locked",
            f"this account is locked after too many wrong passwords; try again in "
            f"{math.ceil(wait / 60)} minutes",
            retry_after=wait,
            retry_at=until.isoformat(timespec="seconds").replace("+00:00", "Z"),
        )


async def sign_in_failed(limiter: Limiter, account: str, attempts: int, minutes: int) -> None:
    """Count a wrong password; the ``attempts``-th in a row locks the account for ``minutes``."""
    count, _ = await limiter.incr(f"failures:{account}", minutes * 60)
    if count >= attempts:
        await limiter.lock(f"account:{account}", minutes * 60)


async def sign_in_succeeded(limiter: Limiter, account: str) -> None:
    await limiter.reset(f"failures:{account}")
