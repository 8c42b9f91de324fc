"""The one masking policy: what personal data a role sees.

Agents see what their tickets need (their teams' tickets, unmasked: they serve the customer);
supervisors see personal data unless ``MASK_PII_FOR_SUPERVISORS=true``; admins always see
everything. Masked: the customer's name, e-mail address and phone number wherever a customer
is described, and inside free text (messages, comments, notes, summaries, descriptions)
e-mail addresses, phone and card numbers (any run of seven or more digits), order numbers,
UK postcodes and street addresses.

:func:`mask_json` applies it to a whole JSON answer; the staff API does so at the
serialisation boundary for every route (``web/middlewares.py``), the CSV exports row by row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..models import User
from ..staff import has_role

EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# seven or more digits, possibly separated by spaces, dots, dashes or brackets
PHONE_IN_TEXT = re.compile(r"(?<!\w)\+?\d(?:[\s().-]*\d){6,}(?!\w)")
ORDER_IN_TEXT = re.compile(r"\bNW[\s\-_#:.]*\d{6}\b", re.IGNORECASE)
POSTCODE_IN_TEXT = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
STREET_IN_TEXT = re.compile(
    r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'-]*\s+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Place|Pl|Court|Ct|Crescent"
    r"|Terrace|Gardens|Square|Grove|Hill|Park|Row|Walk|Mews)\b\.?"
)
ADDRESS_MASK = "[address]"
# "I'm Ann Smith", "my name is Ann": the capitalised words after a self-introduction
INTRODUCTION = re.compile(
    r"(\b(?:[Ii]'?m|I am|[Mm]y name is|[Nn]ame's|[Tt]his is)\s+)"
    r"([A-Z][^\W\d_]+(?:[ -][A-Z][^\W\d_]+)?)"
)
MIN_NAME_WORD = 3  # shorter words of a name ("Jo", "Li") are too common to mask in text
# keys whose string values are free text written by or about the customer
FREE_TEXT_KEYS = frozenset(
    {
        "text",
        "comment",
        "description",
        "summary",
        "subject",
        "snippet",
        "note",
        "notes",
        "verification",
        "root_cause",
        "corrective_action",
        "resolution",
        "evaluation_note",
        "value",
        "last_message",
        "preview",
        "example",
        "message",
    }
)
# keys whose value describes a customer (its name, email and phone are masked)
CUSTOMER_KEYS = frozenset({"customer", "profile"})


def _truthy(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "yes", "on")


def masks_pii(user: User, settings: Any) -> bool:
    """Whether ``user`` gets masked personal data (``settings``: the hub's ``Settings``)."""
    if has_role(user, "admin"):
        return False
    if not has_role(user, "supervisor"):
        return True
    return bool(settings.mask_pii_for_supervisors)


def masked_staff(user: User | None, settings: Any) -> bool:
    """Whether the staff API masks what ``user`` gets: a supervisor (not an admin) while
    ``MASK_PII_FOR_SUPERVISORS`` is on. Agents get their teams' tickets whole."""
    return user is not None and has_role(user, "supervisor") and masks_pii(user, settings)


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


def _digits(match: re.Match) -> str:
    return re.sub(r"\d", "#", match.group(0))


def mask_text(text: str | None, names: Iterable[str] = ()) -> str | None:
    """Contact details, card and order numbers and addresses inside free text, the words of
    the customers' ``names`` (known from the answer: ``known_names``) and a name the customer
    introduced themselves with ("I'm Ann Smith")."""
    if not text:
        return text
    text = EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)) or "", text)
    text = STREET_IN_TEXT.sub(ADDRESS_MASK, text)
    text = POSTCODE_IN_TEXT.sub(lambda m: re.sub(r"\w", "#", m.group(0)), text)
    text = ORDER_IN_TEXT.sub(_digits, text)
    text = PHONE_IN_TEXT.sub(_digits, text)
    text = INTRODUCTION.sub(lambda m: m.group(1) + (mask_name(m.group(2)) or ""), text)
    words = sorted({w for w in names if len(w) >= MIN_NAME_WORD}, key=len, reverse=True)
    if words:
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
        text = pattern.sub(lambda m: _mask_word(m.group(0)), text)
    return text


def known_names(value: Any, customer: bool = False) -> set[str]:
    """The words of every customer name in a JSON answer (to find them in its free text)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            is_name = key == "customer_name" or (customer and key == "name")
            if is_name and isinstance(item, str):
                found.update(word.lower() for word in re.findall(r"[^\W\d_]+", item))
            else:
                found |= known_names(item, key in CUSTOMER_KEYS)
    elif isinstance(value, list):
        for item in value:
            found |= known_names(item, customer)
    return found


def mask_phone(phone: str | None) -> str | None:
    return PHONE_IN_TEXT.sub(_digits, phone) if phone else phone


CONTACT = {"customer_name": mask_name, "customer_email": mask_email}
CUSTOMER_FIELDS = {"name": mask_name, "email": mask_email, "phone": mask_phone}


def mask_json(value: Any, *, customer: bool = False) -> Any:
    """``value`` (a decoded JSON answer) with the personal data masked; ``customer``: the
    answer itself describes a customer (a profile), so its name, email and phone are theirs."""
    names = frozenset(known_names(value, customer))
    return _walk(value, None, customer, names)


def _walk(value: Any, key: str | None, customer: bool, names: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _entry(k, v, customer, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item, key, customer, names) for item in value]
    if isinstance(value, str):
        if key in FREE_TEXT_KEYS:
            return mask_text(value, names)
        if value.lower() in names:  # a name on its own (e.g. among a report's top words)
            return _mask_word(value)
    return value


def _entry(key: str, value: Any, customer: bool, names: frozenset[str]) -> Any:
    if isinstance(value, str):
        if key in CONTACT:
            return CONTACT[key](value)
        if customer and key in CUSTOMER_FIELDS:
            return CUSTOMER_FIELDS[key](value)
    return _walk(value, key, key in CUSTOMER_KEYS, names)


def customer(name: str | None, email: str | None, masked: bool) -> dict[str, str | None]:
    if masked:
        return {"name": mask_name(name), "email": mask_email(email)}
    return {"name": name, "email": email}
