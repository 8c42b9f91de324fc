"""Secrets a customer should never type into a chat, taken out before anything keeps them.

Card numbers (13 to 19 digits, spaces or dashes between groups allowed, a card network's first
digit, and a valid Luhn check digit), card security codes ("CVV 123", "security code: 4321")
and passwords ("my password is hunter2", "password: x") are replaced by a marker before the
message is stored, published, sent to Rasa or written to a webhook; the customer is told why
(``services/chat.py`` adds the notice). Order numbers (NW- and 6 digits), phone numbers and
dates are left alone: too short for a card, or failing the check digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CARD = "card_number"
SECURITY_CODE = "security_code"
PASSWORD = "password"

CARD_MARK = "[card number removed]"
CODE_MARK = "[security code removed]"
PASSWORD_MARK = "[password removed]"

# 13-19 digits in groups of 1+ separated by single spaces or dashes, not part of a longer number
_CARD_CANDIDATE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# the networks' first digits: 2 and 5 Mastercard, 3 Amex/Diners/JCB, 4 Visa, 6 Discover/Maestro
_CARD_FIRST = "23456"
_SECURITY_CODE = re.compile(
    r"\b(?P<label>cvv2?|cvc2?|cid|csc|security\s+code|card\s+code|verification\s+code)"
    r"(?P<glue>\s*(?:is|was|=|:|-|#)?\s*)(?P<code>\d{3,4})\b",
    re.IGNORECASE,
)
_PASSWORD = re.compile(
    r"\b(?P<label>password|passcode|passwd|pwd|pin(?:\s+(?:code|number))?)"
    r"(?P<glue>\s*[=:]\s*|\s+(?:is|was)\s+)(?P<secret>[^\s,;]{3,})",
    re.IGNORECASE,
)
# after "is"/"was" a secret looks like one (a digit or a symbol): "my password is not
# working" is a question, "my password is hunter2" a secret; after ":" or "=" anything is
_SECRET_LOOKING = re.compile(r"[\d\W_]")


@dataclass(frozen=True)
class Redacted:
    text: str
    kinds: tuple[str, ...]  # what was taken out, in the order of CARD, SECURITY_CODE, PASSWORD


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _cards(text: str) -> tuple[str, bool]:
    found = False

    def replace(match: re.Match) -> str:
        nonlocal found
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and digits[0] in _CARD_FIRST and luhn_valid(digits):
            found = True
            return CARD_MARK
        return match.group(0)

    return _CARD_CANDIDATE.sub(replace, text), found


def redact(text: str) -> Redacted:
    """``text`` without card numbers, security codes and passwords, and what was removed."""
    kinds = []
    text, card = _cards(text)
    if card:
        kinds.append(CARD)
    text, codes = _SECURITY_CODE.subn(
        lambda m: f"{m.group('label')}{m.group('glue')}{CODE_MARK}", text
    )
    if codes:
        kinds.append(SECURITY_CODE)

    passwords = 0

    def password(match: re.Match) -> str:
        nonlocal passwords
        secret = match.group("secret")
        explicit = match.group("glue").strip() in ("=", ":")
        if secret.startswith("[") or not (explicit or _SECRET_LOOKING.search(secret)):
            return match.group(0)
        passwords += 1
        return f"{match.group('label')}{match.group('glue')}{PASSWORD_MARK}"

    text = _PASSWORD.sub(password, text)
    if passwords:
        kinds.append(PASSWORD)
    return Redacted(text, tuple(kinds))
