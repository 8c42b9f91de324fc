"""The actions' client for the hub's internal API (``/internal/...``, shared-secret token).

Every call answers the decoded JSON or raises ``HubError`` (unreachable, timeout, an error
status, a body that is not JSON). Callers turn ``HubError`` into a polite answer.
"""

from __future__ import annotations

import asyncio
import json as json_module
import os
from typing import Any, Optional
from urllib.parse import quote

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=8)


class HubError(Exception):
    """The hub could not be reached or refused the call."""

    def __init__(self, message: str, status: Optional[int] = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body

    @property
    def unreachable(self) -> bool:
        """True when the hub did not answer at all or failed (5xx): worth retrying."""
        return self.status is None or self.status >= 500

    @property
    def code(self) -> Optional[str]:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("code")
        return None


def _base_url() -> str:
    """The hub's internal listener (``HUB_INTERNAL_URL``; the internal API is not served on
    the public port)."""
    return (os.environ.get("HUB_INTERNAL_URL") or "http://127.0.0.1:8081").rstrip("/")


def _headers() -> dict:
    token = os.environ.get("HUB_INTERNAL_TOKEN") or "dev-internal-token"
    return {"Authorization": f"Bearer {token}"}


def _segment(value: str) -> str:
    return quote(str(value), safe="")


async def call(method: str, path: str, json: Any = None, params: Any = None) -> Any:
    """Call the hub; the decoded JSON answer, or ``HubError``."""
    url = _base_url() + path
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT, headers=_headers()) as session:
            async with session.request(method, url, json=json, params=params) as response:
                status = response.status
                text = await response.text()
    except (aiohttp.ClientError, asyncio.TimeoutError, UnicodeDecodeError) as exc:
        raise HubError(f"hub unreachable: {exc}") from exc
    try:
        body = json_module.loads(text) if text else None
    except ValueError:
        body = text
    if status >= 400:
        raise HubError(f"hub answered {status}", status, body)
    if not isinstance(body, (dict, list)):
        raise HubError(f"hub answered {status} without JSON", status, body)
    return body


async def conversation(sender_id: str) -> dict:
    return await call("GET", f"/internal/conversations/{_segment(sender_id)}")


async def availability() -> dict:
    return await call("GET", "/internal/availability")


async def hand_off(sender_id: str, reason: str, **extra: Any) -> dict:
    body = {"reason": reason, **{k: v for k, v in extra.items() if v is not None}}
    return await call("POST", f"/internal/conversations/{_segment(sender_id)}/handoff", body)


async def order(number: str, sender_id: Optional[str] = None, email: Optional[str] = None) -> dict:
    """An order's status for the chat ``sender_id`` (the hub limits its look-ups); without a
    verified identity the hub wants ``email``, the address the order was placed with
    (403 ``verification_required`` without it, 404 when it does not match)."""
    params = {"session_id": sender_id} if sender_id else {}
    if email:
        params["email"] = email
    return await call("GET", f"/internal/orders/{_segment(number)}", params=params or None)


async def file_complaint(body: dict) -> dict:
    return await call("POST", "/internal/complaints", {k: v for k, v in body.items() if v})


async def ticket(number: str, sender_id: str) -> dict:
    return await call(
        "GET", f"/internal/tickets/{_segment(number)}", params={"session_id": sender_id}
    )


async def rate(sender_id: str, **answers: Any) -> dict:
    return await call("POST", f"/internal/conversations/{_segment(sender_id)}/rating", answers)


async def survey_offered(sender_id: str) -> dict:
    return await call("POST", f"/internal/conversations/{_segment(sender_id)}/survey-offered")


async def attach_customer(sender_id: str, email: str, name: Optional[str] = None) -> dict:
    body = {"email": email, **({"name": name} if name else {})}
    return await call("POST", f"/internal/conversations/{_segment(sender_id)}/customer", body)


async def help_answer(text: str, strict: bool = False) -> dict:
    """The help centre's answer to a question: ``{"decision": "answer"|"choose"|"none",
    "passages": [{"key", "title", "heading", "url", "quote", "score"}, ...]}``."""
    return await call("POST", "/internal/kb/answer", {"text": text[:500], "strict": strict})


async def help_passage(key: str, question: Optional[str] = None) -> dict:
    """One published help-centre section by ``slug#anchor`` (a button the customer chose)."""
    params = {"key": key, **({"q": question[:500]} if question else {})}
    return await call("GET", "/internal/kb/passage", params=params)
