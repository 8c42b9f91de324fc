"""The logs of the whole end-to-end run hold no contact data and no credential (issue 12).

This file runs last (pytest takes the files in name order), so it reads what every other
end-to-end test made the three processes write at INFO, as `make run` logs them: customers
typed e-mail addresses, card numbers and passwords into chats, staff signed in, the hub sent
e-mails, tokens authenticated every call.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 13 to 19 digits as a card is written (groups of four, or one run), not inside a file name
CARD = re.compile(r"(?<![\w.-])(?:(?:\d{4}[ -]){3}\d{1,7}|\d{13,19})(?![\w-])")
CREDENTIAL = re.compile(
    r"(?i)(?:bearer\s+|token=|--auth-token\s+|password[\"']?\s*[:=]\s*)(?!\*\*\*)[\w.~-]{12,}"
)


def luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def test_no_log_holds_contact_data_or_credentials(running):
    found = {}
    for name, process in running.processes.items():
        text = process.log_path.read_text(encoding="utf-8", errors="replace")
        assert len(text) > 1000, f"{name}.log is nearly empty: nothing was checked"
        cards = [m for m in CARD.findall(text) if luhn(re.sub(r"\D", "", m))]
        leaks = EMAIL.findall(text) + cards + CREDENTIAL.findall(text)
        if leaks:
            found[name] = sorted(set(leaks))[:10]
    assert found == {}
