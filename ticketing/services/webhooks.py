"""Outgoing webhooks, administered: register, change, remove, inspect deliveries, send a test.

Every use case is for admins (the view checks the role). A webhook's secret is shown once, in
the answer to its creation; receivers check each request with it (see ``services.delivery``).
A URL is checked against the hub's own network (``ticketing.targets``) when it is saved, and
again before each delivery.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from ..context import Hub
from ..errors import invalid, not_found
from ..models import OutboxItem, User, Webhook, utcnow
from ..outbox import WEBHOOK_EVENTS
from ..serializers import iso
from ..targets import allowed_hosts, check_target
from .delivery import TEST_EVENT
from .uow import unit_of_work

MAX_URL = 1000
MIN_SECRET, MAX_SECRET = 16, 200
CREATE_FIELDS = {"url", "events", "secret", "active"}
PATCH_FIELDS = {"url", "events", "active"}


# ------------------------------------------------------------------ validation


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid("url must be an http or https URL", field="url")
    url = value.strip()
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        raise invalid(f"url must be one line of at most {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise invalid(f"url is not valid: {exc}", field="url") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise invalid("url must be an http or https URL with a host", field="url")
    return url


def _events(value: Any) -> list[str]:
    allowed = [*WEBHOOK_EVENTS, "*"]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(e, str) for e in value)
        or set(value) - set(allowed)
    ):
        raise invalid(
            'events must be a non-empty list of event names, or ["*"] for all',
            field="events",
            allowed=allowed,
        )
    if "*" in value:
        return ["*"]
    return [e for e in WEBHOOK_EVENTS if e in value]


def _secret(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not MIN_SECRET <= len(value) <= MAX_SECRET
        or not value.isprintable()
        or value != value.strip()
    ):
        raise invalid(
            f"secret must be {MIN_SECRET} to {MAX_SECRET} printable characters", field="secret"
        )
    return value


def _active(value: Any) -> bool:
    if not isinstance(value, bool):
        raise invalid("active must be true or false", field="active")
    return value


def _body(raw: Any, fields: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid("the body must be a JSON object")
    unknown = set(raw) - fields
    if unknown:
        raise invalid(f"unknown fields: {', '.join(sorted(unknown))}", allowed=sorted(fields))
    return raw


async def _check_target(hub: Hub, url: str) -> None:
    await check_target(url, allowed_hosts(hub.settings.webhook_allowed_hosts))


# ------------------------------------------------------------------ JSON shapes


def webhook_json(hook: Webhook) -> dict[str, Any]:
    """A webhook without its secret."""
    return {
        "id": hook.id,
        "url": hook.url,
        "events": list(hook.events or ["*"]),
        "active": hook.active,
        "created_at": iso(hook.created_at),
    }


def delivery_json(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "event": (item.payload or {}).get("event"),
        "status": item.status,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "created_at": iso(item.created_at),
        "next_attempt_at": iso(item.next_attempt_at) if item.status == "pending" else None,
        "done_at": iso(item.done_at),
    }


async def _get(db, webhook_id: int) -> Webhook:
    hook = await db.get(Webhook, webhook_id)
    if hook is None:
        raise not_found("the webhook")
    return hook


# ------------------------------------------------------------------ use cases


async def list_webhooks(hub: Hub, user: User) -> dict[str, Any]:
    async with hub.sessions() as db:
        hooks = (await db.execute(select(Webhook).order_by(Webhook.id))).scalars().all()
    return {"webhooks": [webhook_json(h) for h in hooks], "events": list(WEBHOOK_EVENTS)}


async def create(hub: Hub, user: User, raw: Any) -> dict[str, Any]:
    """Register a webhook; the answer is the only place its secret is ever shown."""
    body = _body(raw, CREATE_FIELDS)
    if "url" not in body or "events" not in body:
        raise invalid("url and events are required", allowed=sorted(CREATE_FIELDS))
    url = _url(body["url"])
    await _check_target(hub, url)
    events = _events(body["events"])
    secret = _secret(body["secret"]) if body.get("secret") is not None else None
    active = _active(body["active"]) if "active" in body else True
    hook = Webhook(
        url=url,
        events=events,
        secret=secret or secrets.token_hex(32),
        active=active,
        created_at=utcnow(),
    )
    async with unit_of_work(hub) as uow:
        uow.db.add(hook)
        await uow.db.flush()
    return {"webhook": {**webhook_json(hook), "secret": hook.secret}}


async def get_webhook(hub: Hub, user: User, webhook_id: int) -> dict[str, Any]:
    async with hub.sessions() as db:
        hook = await _get(db, webhook_id)
    return {"webhook": webhook_json(hook)}


async def update_webhook(hub: Hub, user: User, webhook_id: int, raw: Any) -> dict[str, Any]:
    """Change ``url``, ``events`` or ``active``; queued deliveries follow the new settings."""
    body = _body(raw, PATCH_FIELDS)
    if not body:
        raise invalid("send the fields to change", allowed=sorted(PATCH_FIELDS))
    changes: dict[str, Any] = {}
    if "url" in body:
        changes["url"] = _url(body["url"])
        await _check_target(hub, changes["url"])
    if "events" in body:
        changes["events"] = _events(body["events"])
    if "active" in body:
        changes["active"] = _active(body["active"])
    async with unit_of_work(hub) as uow:
        hook = await _get(uow.db, webhook_id)
        for name, value in changes.items():
            setattr(hook, name, value)
    return {"webhook": webhook_json(hook)}


async def delete_webhook(hub: Hub, user: User, webhook_id: int) -> None:
    """Remove the webhook and cancel its queued deliveries (their history stays)."""
    now = utcnow()
    async with unit_of_work(hub) as uow:
        hook = await _get(uow.db, webhook_id)
        await uow.db.delete(hook)
        # Cancel now rather than when they come due: SQLite may give the next webhook this id.
        await uow.db.execute(
            update(OutboxItem)
            .where(
                OutboxItem.kind == "webhook",
                OutboxItem.target_id == webhook_id,
                OutboxItem.status.in_(("pending", "sending")),
            )
            .values(status="cancelled", done_at=now, last_error="the webhook was deleted")
            .execution_options(synchronize_session=False)
        )


async def list_deliveries(hub: Hub, user: User, webhook_id: int, limit: int) -> dict[str, Any]:
    """The webhook's most recent deliveries, newest first."""
    async with hub.sessions() as db:
        hook = await _get(db, webhook_id)
        items = (
            (
                await db.execute(
                    select(OutboxItem)
                    .where(
                        OutboxItem.kind == "webhook",
                        OutboxItem.target_id == hook.id,
                        # a reused id (SQLite) must not show an earlier webhook's deliveries
                        OutboxItem.created_at >= hook.created_at,
                    )
                    .order_by(OutboxItem.id.desc())
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
    return {"deliveries": [delivery_json(i) for i in items]}


async def send_test(hub: Hub, user: User, webhook_id: int) -> dict[str, Any]:
    """Queue a signed ``webhook.test`` delivery (sent even while the webhook is disabled)."""
    now = utcnow()
    async with unit_of_work(hub) as uow:
        hook = await _get(uow.db, webhook_id)
        item = OutboxItem(
            kind="webhook",
            target_id=hook.id,
            payload={
                "event": TEST_EVENT,
                "occurred_at": iso(now),
                "data": {"webhook": hook.id, "requested_by": user.email},
            },
            next_attempt_at=now,
            created_at=now,
        )
        uow.db.add(item)
        await uow.db.flush()
    return {"delivery": delivery_json(item)}
