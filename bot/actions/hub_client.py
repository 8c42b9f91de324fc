"""The actions' client for the hub's internal API (``/internal/...``, shared-secret token)."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Optional

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=8)


class HubError(Exception):
    """The hub could not be reached or refused the call."""

    def __init__(self, message: str, status: Optional[int] = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def _base_url() -> str:
    return (os.environ.get("HUB_URL") or "http://127.0.0.1:8080").rstrip("/")


def _headers() -> dict:
    token = os.environ.get("HUB_INTERNAL_TOKEN") or "dev-internal-token"
    return {"Authorization": f"Bearer {token}"}


async def call(method: str, path: str, json: Any = None) -> Any:
    """Call the hub; the decoded JSON answer, or ``HubError``."""
    url = _base_url() + path
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT, headers=_headers()) as session:
            async with session.request(method, url, json=json) as response:
                body = await response.json(content_type=None)
                if response.status >= 400:
                    raise HubError(f"hub answered {response.status}", response.status, body)
                return body
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        raise HubError(f"hub unreachable: {exc}") from exc


async def hand_off(sender_id: str, reason: str, **extra: Any) -> dict:
    return await call(
        "POST", f"/internal/conversations/{sender_id}/handoff", {"reason": reason, **extra}
    )
