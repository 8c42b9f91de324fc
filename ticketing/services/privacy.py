"""Privacy requests and records: consent, the audit log, access and erasure, retention.

The transactions live here; the rules in ``ticketing/privacy/``. A read-only access to
personal data leaves its audit entry through ``services/audit.py`` (its own short transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from .. import customers
from ..context import Hub
from ..errors import Invalid, invalid
from ..i18n import t
from ..models import Conversation, Customer, Message, User, utcnow
from ..privacy import audit, consent, notice, retention, subject
from ..rasa_client import BotTurn
from .audit import audited
from .reports import CsvExport
from .uow import unit_of_work

log = logging.getLogger(__name__)

AUDIT_MAX_DAYS = 3 * 366
UNSUBSCRIBE_PAYLOAD = "/unsubscribe_marketing"
OPT_OUT_TOPIC = "marketing_opt_out"  # the FAQ topic that explains how to stop offers
AUDIT_CSV_HEADER = ("id", "created_at", "actor", "action", "target", "detail")


# ------------------------------------------------------------------ notices and consent


def notices(hub: Hub, locale: str | None) -> dict[str, Any]:
    """What the widget shows before the first message (``GET /api/chat/privacy``)."""
    chat = notice.chat_notice(hub.shop, locale)
    return {
        "locale": chat.locale,
        "chat": chat.as_json(),
        "marketing": notice.marketing_notice(hub.shop, locale).as_json(),
        "url": notice.PRIVACY_URL,
        "required": hub.settings.chat_consent_required,
    }


def parse_consent(body: Any) -> dict[str, Any] | None:
    """``{"chat": true, "version"?, "marketing"?: bool}`` from a session's body, or None."""
    if body is None:
        return None
    if not isinstance(body, dict):
        raise invalid('consent must be an object such as {"chat": true}', field="consent")
    if body.get("chat") is not True:
        raise invalid(
            "consent.chat must be true: the customer accepted the notice", field="consent"
        )
    version = body.get("version")
    if version is not None and not isinstance(version, str):
        raise invalid("consent.version must be the notice's version string", field="consent")
    marketing = body.get("marketing", False)
    if not isinstance(marketing, bool):
        raise invalid("consent.marketing must be true or false", field="consent")
    return {"version": version, "marketing": marketing}


def record_session_consent(
    db,
    hub: Hub,
    conversation: Conversation,
    given: dict[str, Any],
    customer: Customer | None,
    *,
    chat: bool = True,
) -> None:
    """Record what the customer accepted in the widget (inside the caller's transaction):
    the chat notice (unless ``chat`` is False: accepted before) and the marketing opt-in."""
    if chat:
        notice_shown = notice.chat_notice(hub.shop, conversation.locale)
        if given["version"] is not None and given["version"] != notice_shown.version:
            raise Invalid(
                "notice_changed",
                "the privacy notice has changed: show the current one and ask again",
                current=notice_shown.version,
            )
        consent.record(
            db, notice_shown, True, "widget", customer=customer, conversation=conversation
        )
        conversation.consent_version = notice_shown.version
    if given["marketing"]:
        if customer is None:  # an offer needs an address the shop vouched for
            raise invalid(
                "consent.marketing needs a verified customer e-mail", field="consent.marketing"
            )
        marketing = notice.marketing_notice(hub.shop, conversation.locale)
        consent.record(db, marketing, True, "widget", customer=customer, conversation=conversation)


async def give_consent(hub: Hub, conversation: Conversation, body: Any) -> dict[str, Any]:
    """The customer accepted the privacy notice after the session started (idempotent: a
    second acceptance records nothing new, unless it adds the marketing opt-in)."""
    given = parse_consent(body)
    if given is None:
        raise invalid('the body is the consent: {"chat": true, "version": ...}', field="chat")
    async with unit_of_work(hub) as uow:
        current = await uow.db.get(Conversation, conversation.id)
        profile = await uow.db.get(Customer, current.customer_id) if current.customer_id else None
        chat = current.consent_version is None
        if chat or given["marketing"]:
            record_session_consent(uow.db, hub, current, given, profile, chat=chat)
        version = current.consent_version
    return {"consent_version": version}


# ------------------------------------------------------------------ unsubscribing in the chat


async def _profile_of(db, conversation: Conversation) -> Customer | None:
    """The profile behind the chat: the verified one, else the one of the typed address (an
    opt-out is honoured on a claim: withdrawing can only protect the address's owner)."""
    if conversation.customer_id is not None:
        return await db.get(Customer, conversation.customer_id)
    return await customers.by_email(db, conversation.customer_email)


async def unsubscribe_offer(
    db, conversation: Conversation, turn: BotTurn, reply_to: int
) -> Message | None:
    """Under the bot's answer about marketing e-mails, when the chat has an address: a button
    that withdraws the consent right here (shown whether or not the address consented, so the
    offer tells nobody what another person agreed to)."""
    if turn.faq_topic != OPT_OUT_TOPIC or turn.decision not in (None, "answered"):
        return None
    if conversation.customer_id is None and not conversation.customer_email:
        return None
    return Message(
        conversation_id=conversation.id,
        sender="system",
        text=t("marketing_unsubscribe_offer", conversation.locale),
        buttons=[
            {
                "title": t("marketing_unsubscribe_button", conversation.locale),
                "payload": UNSUBSCRIBE_PAYLOAD,
            }
        ],
        reply_to_id=reply_to,
    )


async def unsubscribe_in_chat(
    hub: Hub, conversation: Conversation, customer_message: Message
) -> list[Message]:
    """The customer clicked "Unsubscribe me": withdraw marketing consent (channel ``chat``)."""
    locale = conversation.locale
    async with unit_of_work(hub) as uow:
        current = await uow.db.get(Conversation, conversation.id)
        customer = await _profile_of(uow.db, current)
        if customer is not None and customer.marketing_consent:
            withdrawn = notice.withdrawal_notice("marketing", locale)
            consent.record(
                uow.db, withdrawn, False, "chat", customer=customer, conversation=current
            )
        reply = Message(
            conversation_id=conversation.id,
            sender="system",
            text=t("marketing_unsubscribed", locale),
            reply_to_id=customer_message.id,
        )
        uow.db.add(reply)
    return [reply]


# ------------------------------------------------------------------ the audit log


def _audit_filters(hub: Hub, query: Mapping[str, str]) -> dict[str, Any]:
    """``?from=&to=`` (local dates, default the last 30 days), ``action``, ``actor``."""
    from ..reports.periods import parse_period
    from .reports import shop_timezone

    action = query.get("action") or None
    if action is not None and action not in audit.ACTIONS:
        raise invalid(f"action must be one of {', '.join(audit.ACTIONS)}", field="action")
    period = parse_period(query, shop_timezone(hub), default_days=30, max_days=AUDIT_MAX_DAYS)
    return {
        "since": period.start_utc,
        "until": period.end_utc,
        "action": action,
        "actor": query.get("actor") or None,
    }


async def audit_log(
    hub: Hub, user: User, query: Mapping[str, str], limit: int, before_id: int | None
) -> dict[str, Any]:
    filters = _audit_filters(hub, query)
    async with hub.sessions() as db:
        rows = await audit.entries(db, **filters, limit=limit, before_id=before_id)
    return {"entries": [audit.entry_json(row) for row in rows], "actions": list(audit.ACTIONS)}


async def audit_csv(hub: Hub, user: User, query: Mapping[str, str]) -> CsvExport:
    import json

    filters = _audit_filters(hub, query)
    async with hub.sessions() as db:
        rows = await audit.entries(db, **filters, limit=100_000)
    await audited(hub, user, "audit.exported", "audit_log", rows=len(rows))
    lines = [
        (e.id, e.created_at.isoformat(), e.actor, e.action, e.target, json.dumps(e.detail or {}))
        for e in rows
    ]
    return CsvExport("audit_log.csv", AUDIT_CSV_HEADER, lines)


# ------------------------------------------------------------------ access and erasure


async def export_subject(hub: Hub, actor: User | str, email: Any) -> dict[str, Any]:
    """Everything held about ``email`` (404 ``unknown_subject`` when nothing is); logged."""
    async with unit_of_work(hub) as uow:
        found = await subject.find(uow.db, email)
        bundle = await subject.export_bundle(uow.db, found)
        audit.record(
            uow.db,
            actor,
            "subject.exported",
            found.target,
            conversations=len(found.conversations),
            tickets=len(found.tickets),
        )
    return bundle


async def erase_subject(hub: Hub, actor: User | str, email: Any) -> dict[str, int]:
    """Anonymise everything held about ``email``; a second request finds nothing (404)."""
    async with unit_of_work(hub) as uow:
        found = await subject.find(uow.db, email)
        counts = await subject.erase(uow.db, found)
        audit.record(uow.db, actor, "subject.erased", found.target, **counts)
    log.info("erasure request done: %s", found.target)  # no address in the log
    return counts


async def forgotten(hub: Hub, after: int, limit: int) -> dict[str, Any]:
    """Anonymised chats' sender ids (Rasa's), after the cursor ``after``; ``next`` pages on."""
    async with hub.sessions() as db:
        rows = (
            await db.execute(
                select(Conversation.id, Conversation.public_id)
                .where(Conversation.anonymised_at.is_not(None), Conversation.id > after)
                .order_by(Conversation.id)
                .limit(limit)
            )
        ).all()
    return {
        "sender_ids": [row.public_id for row in rows],
        "next": rows[-1].id if len(rows) == limit else None,
    }


# ------------------------------------------------------------------ retention


async def run_retention(
    hub: Hub,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    batch: int = retention.BATCH,
    actor: User | str = "retention",
) -> dict[str, Any]:
    """One retention run (the worker's daily job, ``python -m ticketing retention``)."""
    now = now or utcnow()
    days = notice.retention_days(hub.shop)
    limits = retention.cutoffs(days, now)
    if dry_run:
        async with hub.sessions() as db:
            counts = await retention.plan(db, limits)
        return {"dry_run": True, "days": days, "would_remove": counts}
    done = {"transcripts": 0, "rating_comments": 0, "audit_log": 0, "outbox": 0}
    if limits["transcripts"]:
        while True:  # one transaction per batch: an interrupted run resumes from here
            async with unit_of_work(hub) as uow:
                n = await retention.transcripts_batch(uow.db, limits["transcripts"], batch)
            done["transcripts"] += n
            if n < batch:
                break
    async with unit_of_work(hub) as uow:
        if limits["rating_comments"]:
            done["rating_comments"] = await retention.comments(uow.db, limits["rating_comments"])
        if limits["outbox"]:
            done["outbox"] = await retention.outbox(uow.db, limits["outbox"])
        if limits["audit_log"]:
            done["audit_log"] = await retention.audit_entries(uow.db, limits["audit_log"])
        if any(done.values()):
            audit.record(uow.db, actor, "retention.run", "retention", **done)
    if any(done.values()):
        log.info("retention run removed: %s", done)
    return {"dry_run": False, "days": days, "removed": done}
