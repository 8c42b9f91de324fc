"""Masking personal data in reports for roles that should not see it.

Agents never reach the supervisor API. Supervisors see personal data unless the setting
``MASK_PII_FOR_SUPERVISORS=true``; admins always see everything. Masked: the customer's
e-mail address and name, and e-mail addresses and phone numbers inside message texts.
"""

from __future__ import annotations

import re
from typing import Any

from ..models import User
from ..staff import has_role

EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# seven or more digits, possibly separated by spaces, dots, dashes or brackets
PHONE_IN_TEXT = re.compile(r"(?<!\w)\+?\d(?:[\s().-]*\d){6,}(?!\w)")


def _truthy(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "yes", "on")


def masks_pii(user: User, settings: Any) -> bool:
    """Whether ``user`` gets masked personal data (``settings``: the hub's ``Settings``)."""
    if has_role(user, "admin"):
        return False
    if not has_role(user, "supervisor"):
        return True
    return bool(settings.mask_pii_for_supervisors)


def mask_email(email: str | None) -> str | None:
    """``ann@example.com`` -> ``a**@example.com`` (the domain stays: it is rarely personal)."""
    if not email:
        return email
    local, at, domain = email.partition("@")
    if not at:
        return _mask_word(email)
    return f"{local[:1]}{'*' * max(len(local) - 1, 2)}@{domain}"


def _mask_word(word: str) -> str:
    return word[:1] + "*" * (len(word) - 1) if len(word) > 1 else "*"


def mask_name(name: str | None) -> str | None:
    """``Ann Smith`` -> ``A** S****``."""
    if not name:
        return name
    return " ".join(_mask_word(word) for word in name.split())


def mask_text(text: str | None) -> str | None:
    """E-mail addresses and phone numbers inside free text."""
    if not text:
        return text
    text = EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)) or "", text)
    return PHONE_IN_TEXT.sub(lambda m: re.sub(r"\d", "#", m.group(0)), text)


def customer(name: str | None, email: str | None, masked: bool) -> dict[str, str | None]:
    if masked:
        return {"name": mask_name(name), "email": mask_email(email)}
    return {"name": name, "email": email}
