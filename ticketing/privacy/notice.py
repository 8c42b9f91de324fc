"""What the customer is told: the privacy notice before the first message, the wording of the
marketing opt-in, and how long each kind of data is kept (``shop.yml``, ``privacy``).

A notice's *version* is a digest of its exact wording, so a consent record names precisely
what the customer saw, and any change to the facts or the texts is a new version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..i18n import normalize_locale, t
from ..shop import Shop

# What the retention job removes, by kind of data, when shop.yml does not say (days; 0 keeps).
DEFAULT_RETENTION_DAYS = {
    "transcripts": 730,  # conversations, messages, tickets' free text, Rasa trackers
    "rating_comments": 730,
    "audit_log": 730,
    "outbox": 90,  # settled deliveries and e-mails
}
PRIVACY_URL = "/privacy"


@dataclass(frozen=True)
class Notice:
    kind: str  # "chat" | "marketing"
    locale: str
    text: str

    @property
    def version(self) -> str:
        digest = hashlib.sha256(f"{self.kind}\n{self.locale}\n{self.text}".encode()).hexdigest()
        return f"{self.kind}-{digest[:12]}"

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": self.version, "text": self.text}


def retention_days(shop: Shop) -> dict[str, int]:
    """Days each kind of data is kept: ``privacy.retention_days`` in shop.yml over the defaults."""
    configured = (shop.facts.get("privacy") or {}).get("retention_days") or {}
    days = dict(DEFAULT_RETENTION_DAYS)
    for kind, value in configured.items():
        if kind not in days:
            raise ValueError(f"shop.yml privacy.retention_days: unknown kind {kind!r}")
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"shop.yml privacy.retention_days.{kind} must be days (>= 0)")
        days[kind] = value
    return days


def _years(days: int) -> str:
    return f"{days / 365:.0f}" if days % 365 == 0 else f"{days / 365:.1f}"


def chat_notice(shop: Shop, locale: str | None) -> Notice:
    """The notice the widget shows before the first message."""
    locale = normalize_locale(locale)
    days = retention_days(shop)["transcripts"]
    text = t("privacy_notice", locale, shop=shop.name, years=_years(days))
    return Notice("chat", locale, text)


def marketing_notice(shop: Shop, locale: str | None) -> Notice:
    """The wording of the marketing opt-in (never pre-ticked)."""
    locale = normalize_locale(locale)
    return Notice("marketing", locale, t("marketing_consent_wording", locale, shop=shop.name))


def withdrawal_notice(kind: str, locale: str | None) -> Notice:
    """What a withdrawal record says it withdrew."""
    locale = normalize_locale(locale)
    return Notice(kind, locale, t(f"{kind}_consent_withdrawn", locale))


def privacy_page(shop: Shop) -> dict[str, Any]:
    """The facts the /privacy page shows."""
    facts = shop.facts.get("privacy") or {}
    return {
        "shop": shop.name,
        "data_use": facts.get("data_use"),
        "data_retention": facts.get("data_retention"),
        "delete_request": facts.get("delete_request"),
        "marketing_opt_out": facts.get("marketing_opt_out"),
        "sells_data": bool(facts.get("sells_data", False)),
        "retention_days": retention_days(shop),
    }
