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
import os
import random
import secrets
import subprocess
import urllib.request

import pytest
from sqlalchemy.engine import make_url

from scripts.envs import RASA_PYTHON
from scripts.stack import ROOT

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
    cvv = f"{random.Random(tag + 'cvv').randrange(100, 1000)}"
    await person.say(f"and the CVV is {cvv}")
    tracker = tracker_text(running, person.session_id)
    assert email in tracker  # Rasa got the address (the order look-up needs it) ...
    for secret in (password, card, card.replace(" ", "")):
        assert secret not in tracker  # ... but never the password or the card
    said = [e.get("text") or "" for e in json.loads(tracker)["events"] if e["event"] == "user"]
    assert any("CVV" in text for text in said) and not any(cvv in text for text in said)
    stored = "\n".join(row[0] for row in query(running, "SELECT text FROM messages"))
    assert email in stored and password not in stored and card not in stored
    assert f"CVV is {cvv}" not in stored and "CVV is [security code removed]" in stored

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


# Rasa's SQL tracker store, written and read by Rasa's own classes (in Rasa's environment)
SEED_TRACKER = """
import asyncio, sys
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

store = TrackerStore.create(read_endpoint_config(sys.argv[1], "tracker_store"))
for sender, text in zip(sys.argv[2::2], sys.argv[3::2]):
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(UserUttered(text))
    asyncio.run(store.save(tracker))
"""
READ_TRACKERS = """
import asyncio, json, sys
from rasa.core.tracker_store import TrackerStore
from rasa.utils.endpoints import read_endpoint_config

store = TrackerStore.create(read_endpoint_config(sys.argv[1], "tracker_store"))
found = {}
for sender in sys.argv[2:]:
    tracker = asyncio.run(store.retrieve(sender))
    found[sender] = [getattr(e, "text", None) for e in tracker.events] if tracker else []
print(json.dumps(found))
"""


def _rasa_python(*args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        [str(RASA_PYTHON), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_the_sql_tracker_store_forgets_erased_chats(
    running, customer_factory, tmp_path, dialect, request
):
    """Rasa's SQL tracker store only appends; bot/privacy.py deletes what the hub erased."""
    tag = secrets.token_hex(4)
    email = f"tracked-{tag}@example.com"
    erased = await customer_factory(customer={"email": email})
    await erased.say(f"my email is {email}")
    kept = await customer_factory()
    await kept.say("hello")
    if dialect == "sqlite":
        store = f'type: SQL\n  dialect: "sqlite"\n  db: "{tmp_path}/trackers.db"\n'
    else:  # the test session's throw-away database (tests/conftest.py), dropped afterwards
        url = make_url(request.getfixturevalue("postgres_url"))
        store = (
            f'type: SQL\n  dialect: "postgresql"\n  url: "{url.host}"\n  port: {url.port or 5432}\n'
            f'  username: "{url.username}"\n  db: "{url.database}"\n'
        )
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  {store}", encoding="utf-8")
    senders = [erased.session_id, f"I am {email}", kept.session_id, "hello"]
    _rasa_python("-c", SEED_TRACKER, str(endpoints), *senders)
    before = json.loads(_rasa_python("-c", READ_TRACKERS, str(endpoints), erased.session_id))
    assert before[erased.session_id] == [f"I am {email}"]

    admin = StaffSession(running.hub_url, *DEMO_ADMIN)
    admin.call("POST", "/api/privacy/erase", {"email": email, "confirm": True})
    env = {
        "HUB_INTERNAL_URL": running.hub_internal_url,
        "HUB_INTERNAL_TOKEN": running.internal_token,
    }
    out = _rasa_python("-m", "bot.privacy", "--endpoints", str(endpoints), env=env)
    assert "SQLTrackerStore" in out

    found = json.loads(
        _rasa_python("-c", READ_TRACKERS, str(endpoints), erased.session_id, kept.session_id)
    )
    assert found[erased.session_id] == []
    assert found[kept.session_id] == ["hello"]  # another customer's chat is untouched
