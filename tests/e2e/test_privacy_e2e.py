"""Privacy end to end: an erasure reaches Rasa's tracker, and no secret reaches any log.

The customer gives an e-mail address, a password and a card number in the chat of the real
stack. The password and the card are redacted before storage and before Rasa (ticketing/
redaction.py); the e-mail is kept until an admin's erasure request, after which neither the
hub's database nor Rasa's tracker holds it. None of them, nor the chat's token, appears in the
logs of the three processes (INFO level, as `make run` writes them).
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import urllib.request

from .conftest import StaffSession, query

DEMO_ADMIN = ("admin@northwind.example", "northwind-demo")


def luhn_card(rng: random.Random) -> str:
    """A random 16-digit number that passes the Luhn check (what a real card number does)."""
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if i % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


def tracker_text(stack, session_id: str) -> str:
    url = f"{stack.rasa_url}/conversations/{session_id}/tracker?token={stack.rasa_token}"
    with urllib.request.urlopen(url, timeout=20) as response:
        return json.dumps(json.load(response))


async def test_erasure_reaches_rasa_and_no_secret_reaches_a_log(running, customer_factory):
    tag = secrets.token_hex(4)
    email = f"leak-{tag}@example.com"
    password = f"Pw{tag}Secret!"
    card = luhn_card(random.Random(tag))
    person = await customer_factory(customer={"email": email, "name": f"Leaky {tag}"})
    await person.say(f"hi, my email is {email} and my order is late")
    await person.say(f"my password is {password}")
    await person.say(f"my card number is {card}")
    assert email in tracker_text(running, person.session_id)
    stored = "\n".join(row[0] for row in query(running, "SELECT text FROM messages"))
    assert email in stored and password not in stored and card not in stored

    admin = StaffSession(running.hub_url, *DEMO_ADMIN)
    erased = admin.call("POST", "/api/privacy/erase", {"email": email, "confirm": True})
    assert erased["erased"]["conversations"] == 1
    rows = query(
        running,
        "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.public_id = ? AND m.text LIKE ?",
        person.session_id,
        f"%{tag}%",
    )
    assert rows == [(0,)]
    # the hub's worker (every WORKER_INTERVAL = 5 s) asks Rasa to forget the tracker
    for _ in range(60):
        if email not in tracker_text(running, person.session_id):
            break
        await asyncio.sleep(0.5)
    assert email not in tracker_text(running, person.session_id)

    logs = {
        name: process.log_path.read_text(encoding="utf-8", errors="replace")
        for name, process in running.processes.items()
    }
    assert set(logs) == {"hub", "rasa", "actions"}
    digits = card.replace(" ", "")
    for name, text in logs.items():
        for secret in (email, password, card, digits, person.token, f"Leaky {tag}"):
            assert secret not in text, f"{name} holds {secret!r}"
