"""The outbox consumer: sends queued webhook deliveries and e-mails, with retries and backoff,
and asks Rasa to forget the trackers of anonymised chats (kind ``rasa_erase``).

Producers (``ticketing.outbox``) write :class:`~ticketing.models.OutboxItem` rows in the same
transaction as the change that causes them; :func:`deliver_due` (run by the background worker,
``ticketing.services.background``) picks the due ones and sends them.

Several hub instances may run it at once. Each item is *claimed* with a conditional UPDATE
(``status`` becomes ``sending`` and ``next_attempt_at`` a lease ``LEASE`` ahead) that only one
instance can win; the result is written back only if the claim still holds (the attempt
counter works as a fencing token). An instance that dies while sending leaves the item in
``sending``; once the lease has run out the item is due again. Delivery is therefore *at least
once*: receivers de-duplicate on the ``X-Helpdesk-Delivery`` header (e-mails carry a stable
``Message-ID``). Items are sent concurrently, so receivers should order events by
``occurred_at`` rather than by arrival.

Item statuses: ``pending`` (due at ``next_attempt_at``), ``sending`` (claimed), ``delivered``,
``logged`` (e-mail written to the log because no SMTP server is configured), ``failed`` (gave
up), ``cancelled`` (the webhook was disabled, deleted or unsubscribed from the event).

Webhook requests
----------------
``POST`` to the webhook's URL with the JSON body ``{"event", "occurred_at", "data"}`` and::

    Content-Type: application/json
    X-Helpdesk-Event: ticket.created
    X-Helpdesk-Delivery: 42                    (the outbox id; the same on every retry)
    X-Helpdesk-Timestamp: 1718000000           (unix seconds, when this attempt was signed)
    X-Helpdesk-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>

Any 2xx answer within 10 seconds counts as delivered. Anything else (another status, a
redirect, a timeout, a refused connection) is retried after 30 s, 1 min, 2 min, ... (doubling,
jittered, at most 6 h, longer when the receiver sends ``Retry-After``); after
``MAX_ATTEMPTS`` attempts the delivery is marked ``failed``.

Verifying a delivery in a receiver (aiohttp shown; any framework works the same way, as long
as the *raw* body bytes are checked before parsing them)::

    from ticketing.services.delivery import verify

    async def helpdesk_hook(request):
        body = await request.read()
        if not verify(
            SECRET,
            request.headers.get("X-Helpdesk-Timestamp", ""),
            body,
            request.headers.get("X-Helpdesk-Signature", ""),
        ):
            raise web.HTTPUnauthorized()
        event = json.loads(body)
        ...
        return web.Response(status=204)

E-mails
-------
Payload ``{"to", "subject", "body", ...meta}`` (``meta["ticket"]`` threads every mail about a
ticket together through a ``References`` header). Sent through ``SMTP_HOST``/``SMTP_PORT``
with STARTTLS when ``SMTP_TLS`` is on (implicit TLS on port 465) and a login when
``SMTP_USER`` is set. Without ``SMTP_HOST`` the mail is marked ``logged``: the
``ticketing.mail`` logger names it at INFO (id, masked address, subject: no body, no address,
so no survey link or customer data lands in an ordinary log) and writes it whole at DEBUG, so
a development setup can show what would be sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import aiohttp
from sqlalchemy import select, update

from ..context import Hub
from ..errors import HelpdeskError
from ..models import OutboxItem, Webhook, utcnow
from ..privacy.anonymise import RASA_ERASE
from ..privacy.masking import mask_email, mask_json
from ..rasa_client import RasaUnavailable
from ..settings import Settings
from ..targets import allowed_hosts, check_target

log = logging.getLogger(__name__)
mail_log = logging.getLogger("ticketing.mail")

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
JITTER = 0.2  # each delay is spread over ±20 % so that failed receivers are not hit in waves
# How long a claim holds; longer than any one attempt can take (webhook 10 s, SMTP 30 s/step).
LEASE = timedelta(minutes=5)
WEBHOOK_TIMEOUT = 10.0
SMTP_TIMEOUT = 30.0
CONCURRENCY = 8
ERROR_SNIPPET = 300
USER_AGENT = "helpdesk-hub-webhooks/1"
SIGNATURE_PREFIX = "sha256="
# Sent by POST /api/webhooks/{id}/test; delivered even to a disabled webhook.
TEST_EVENT = "webhook.test"


# ------------------------------------------------------------------ signing


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The ``X-Helpdesk-Signature`` value: ``"sha256=" + hex HMAC-SHA256(secret, "ts.body")``."""
    message = f"{timestamp}.".encode() + _as_bytes(body)
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(
    secret: str,
    timestamp: int | str,
    body: bytes | str,
    signature: str,
    tolerance: int = 300,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``signature`` signs ``body`` at ``timestamp`` with ``secret``.

    False as well when the timestamp is not a plain whole number or is more than ``tolerance``
    seconds away from ``now`` (the current time by default), which stops replays of an old
    request. The comparison takes constant time.
    """
    stamp = str(timestamp).strip()
    if not (stamp.isascii() and stamp.isdigit()):
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        return False
    expected = sign(secret, stamp, body).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


# ------------------------------------------------------------------ scheduling


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones (jittered, capped)."""
    exponent = min(max(attempts - 1, 0), 20)
    base = min(BASE_DELAY.total_seconds() * 2**exponent, MAX_DELAY.total_seconds())
    delay = base * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=min(delay, MAX_DELAY.total_seconds()))


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: a terminal status, or ``"retry"``."""

    status: str
    error: str | None = None
    retry_after: float | None = None


DELIVERED = Outcome("delivered")


def _retry(error: str, retry_after: float | None = None) -> Outcome:
    return Outcome("retry", error[:2000], retry_after)


# ------------------------------------------------------------------ the consumer


async def deliver_due(hub: Hub, now: datetime | None = None, limit: int = 50) -> int:
    """Send up to ``limit`` due outbox items; the number this call claimed and settled.

    Due: ``pending`` with ``next_attempt_at <= now``, or ``sending`` whose lease has run out.
    ``now`` (the current time by default) decides what is due and when retries are scheduled;
    tests pass a later time instead of waiting.
    """
    now = now or utcnow()
    async with hub.sessions() as db:
        ids = (
            (
                await db.execute(
                    select(OutboxItem.id)
                    .where(
                        OutboxItem.status.in_(("pending", "sending")),
                        OutboxItem.next_attempt_at <= now,
                    )
                    .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
    if not ids:
        return 0
    gate = asyncio.Semaphore(CONCURRENCY)
    async with _LazyHttp() as http:

        async def one(item_id: int) -> bool:
            async with gate:
                try:
                    return await _process(hub, http, item_id, now)
                except Exception:
                    log.exception("outbox item %s: delivery crashed", item_id)
                    return False

        done = await asyncio.gather(*(one(i) for i in ids))
    return sum(done)


class _LazyHttp:
    """One HTTP client session per round, opened only if a webhook is due."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT),
            )
        return self._session

    async def __aenter__(self) -> _LazyHttp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()


async def _process(hub: Hub, http: _LazyHttp, item_id: int, now: datetime) -> bool:
    claimed = await _claim(hub, item_id, now)
    if claimed is None:
        return False  # another worker got there first
    item, hook = claimed
    if item.attempts > MAX_ATTEMPTS:
        # it was claimed MAX_ATTEMPTS times already, the last claim never came back
        outcome = Outcome("failed", item.last_error or "the last attempt never finished")
    elif item.kind == "webhook":
        allowed = allowed_hosts(hub.settings.webhook_allowed_hosts)
        outcome = await _send_webhook(http, item, hook, allowed, hub.settings.webhook_mask_pii)
    elif item.kind == "email":
        outcome = await _send_email(hub.settings, item)
    elif item.kind == RASA_ERASE:
        outcome = await _forget_tracker(hub, item)
    else:
        outcome = Outcome("failed", f"unknown outbox kind {item.kind!r}")
    await _settle(hub, item, outcome, now)
    return True


async def _claim(hub: Hub, item_id: int, now: datetime) -> tuple[OutboxItem, Webhook | None] | None:
    """Take the item for one attempt, or ``None`` when it is no longer due (someone else won)."""
    async with hub.sessions() as db, db.begin():
        result = await db.execute(
            update(OutboxItem)
            .where(
                OutboxItem.id == item_id,
                OutboxItem.status.in_(("pending", "sending")),
                OutboxItem.next_attempt_at <= now,
            )
            .values(
                status="sending",
                attempts=OutboxItem.attempts + 1,
                next_attempt_at=now + LEASE,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        item = (await db.execute(select(OutboxItem).where(OutboxItem.id == item_id))).scalar_one()
        hook = None
        if item.kind == "webhook" and item.target_id is not None:
            hook = await db.get(Webhook, item.target_id)
        return item, hook


async def _settle(hub: Hub, item: OutboxItem, outcome: Outcome, now: datetime) -> None:
    """Record the attempt, provided our claim still holds (nobody re-claimed it meanwhile)."""
    status, error = outcome.status, outcome.error
    values: dict[str, Any]
    if status == "retry" and item.attempts >= MAX_ATTEMPTS:
        status = "failed"
    if status == "retry":
        values = {
            "status": "pending",
            "next_attempt_at": now + backoff(item.attempts, outcome.retry_after),
        }
    else:
        values = {"status": status, "done_at": now}
    if error is not None:
        values["last_error"] = error
    async with hub.sessions() as db, db.begin():
        result = await db.execute(
            update(OutboxItem)
            .where(
                OutboxItem.id == item.id,
                OutboxItem.status == "sending",
                OutboxItem.attempts == item.attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:
        log.warning("outbox item %s: the claim ran out before the attempt finished", item.id)
    elif status == "failed":
        log.warning("outbox item %s (%s) failed for good: %s", item.id, item.kind, error)
    elif status == "pending":
        log.info("outbox item %s (%s) will be retried: %s", item.id, item.kind, error)


# ------------------------------------------------------------------ webhooks


async def _forget_tracker(hub: Hub, item: OutboxItem) -> Outcome:
    """Rasa drops the dialogue state of an anonymised chat (``privacy/anonymise.py``)."""
    try:
        await hub.rasa.forget(str(item.payload.get("sender_id", "")))
    except RasaUnavailable as exc:
        return _retry(str(exc))
    return DELIVERED


def _subscribed(hook: Webhook, event: str) -> bool:
    events = hook.events or []
    return not events or "*" in events or event in events


async def _send_webhook(
    http: _LazyHttp, item: OutboxItem, hook: Webhook | None, allowed: set[str], mask: bool
) -> Outcome:
    event = str(item.payload.get("event", ""))
    if hook is None:
        return Outcome("cancelled", "the webhook was deleted")
    try:  # again now: the name may resolve elsewhere than when the webhook was saved
        await check_target(hook.url, allowed)
    except HelpdeskError as exc:
        return Outcome("failed", exc.message)
    if event != TEST_EVENT:
        if not hook.active:
            return Outcome("cancelled", "the webhook is disabled")
        if not _subscribed(hook, event):
            return Outcome("cancelled", f"the webhook no longer subscribes to {event}")
    payload = mask_json(item.payload) if mask else item.payload  # WEBHOOK_MASK_PII
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Helpdesk-Event": event,
        "X-Helpdesk-Delivery": str(item.id),
        "X-Helpdesk-Timestamp": str(timestamp),
        "X-Helpdesk-Signature": sign(hook.secret, timestamp, body),
    }
    try:
        async with http.get().post(
            hook.url, data=body, headers=headers, allow_redirects=False
        ) as response:
            if 200 <= response.status < 300:
                return DELIVERED
            snippet = (await response.content.read(ERROR_SNIPPET)).decode("utf-8", "replace")
            error = f"HTTP {response.status}" + (f": {snippet.strip()}" if snippet.strip() else "")
            return _retry(error, _retry_after(response.headers.get("Retry-After")))
    except asyncio.TimeoutError:
        return _retry(f"no answer within {WEBHOOK_TIMEOUT:g} s")
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return _retry(f"{type(exc).__name__}: {exc}")


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the delay form only; dates are ignored)."""
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


# ------------------------------------------------------------------ e-mail


def _mail_domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def build_email(settings: Settings, item: OutboxItem) -> EmailMessage:
    """The message for an e-mail outbox item; ``ValueError``/``KeyError`` when it is malformed."""
    payload = item.payload
    domain = _mail_domain(settings)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = str(payload["to"])
    message["Subject"] = str(payload["subject"])
    message["Date"] = formatdate(usegmt=True)
    # Stable across retries, so that a mail sent twice (a lost claim) can be recognised.
    created = int(item.created_at.timestamp()) if item.created_at else 0
    message["Message-ID"] = f"<outbox.{item.id}.{created}@{domain}>"
    ticket = payload.get("ticket")
    if ticket:
        message["References"] = f"<ticket.{ticket}@{domain}>"
        message["X-Helpdesk-Ticket"] = str(ticket)
    message.set_content(str(payload["body"]))
    return message


def _smtp_send(settings: Settings, message: EmailMessage) -> None:
    """Blocking; run in a thread."""
    assert settings.smtp_host
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_tls and settings.smtp_port == 465:
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
    with smtp:
        if settings.smtp_tls and settings.smtp_port != 465:
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(message)


async def _send_email(settings: Settings, item: OutboxItem) -> Outcome:
    try:
        message = build_email(settings, item)
    except (KeyError, TypeError, ValueError) as exc:
        return Outcome("failed", f"cannot build the e-mail: {type(exc).__name__}: {exc}")
    if not settings.smtp_host:
        # at INFO only what identifies the mail: no body (survey links, replies) and no address
        mail_log.info(
            "SMTP_HOST is not set; e-mail %s to %s not sent: %r",
            item.id,
            mask_email(str(item.payload.get("to") or "")),
            message["Subject"],
        )
        mail_log.debug("the e-mail %s that was not sent:\n%s", item.id, message.as_string())
        return Outcome("logged")
    try:
        await asyncio.to_thread(_smtp_send, settings, message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        error = f"recipient refused: {exc.recipients}"
        if codes and all(code >= 500 for code in codes):
            return Outcome("failed", error)  # a permanent answer: retrying cannot help
        return _retry(error)
    except (smtplib.SMTPException, OSError) as exc:
        return _retry(f"{type(exc).__name__}: {exc}")
    return DELIVERED
