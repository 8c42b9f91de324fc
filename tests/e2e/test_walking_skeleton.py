"""The skeleton's path through the real processes and the trained model."""

from __future__ import annotations

import re

import pytest

from .conftest import query

pytestmark = pytest.mark.e2e


def bot_texts(messages: list[dict]) -> list[str]:
    return [m["text"] for m in messages if m["sender"] == "bot"]


async def test_greeting_gets_a_bot_greeting(customer, running):
    messages = await customer.say("hello")
    assert messages[0]["sender"] == "customer"
    texts = bot_texts(messages)
    assert texts and "How can I help" in texts[0]
    rows = query(running, "SELECT intent, confidence FROM messages WHERE id = ?", messages[0]["id"])
    assert rows[0][0] == "greet" and rows[0][1] > 0.5


async def test_bot_admits_it_is_a_bot(customer):
    texts = bot_texts(await customer.say("am I talking to a real person or a bot?"))
    assert any("bot" in t.lower() for t in texts)


async def test_asking_for_a_human_creates_a_ticket_and_queues(customer, running):
    await customer.say("hi")
    messages = await customer.say("I want to talk to a person")
    texts = " ".join(bot_texts(messages))
    number = re.search(r"T-\d{6}", texts)
    assert number, texts
    state = await customer.state()
    assert state["status"] == "queued"
    assert state["ticket"]["number"] == number.group(0)
    assert state["queue_position"] >= 1
    rows = query(
        running,
        "SELECT t.number, t.reason, t.status, c.status FROM tickets t "
        "JOIN conversations c ON c.id = t.conversation_id WHERE c.public_id = ?",
        customer.session_id,
    )
    assert rows == [(number.group(0), "requested", "new", "queued")]

    # From now on the bot stays silent; the message is stored for the agents.
    after = await customer.say("hello? is someone coming?")
    assert [m["sender"] for m in after] == ["customer"]


async def test_button_payload_reaches_the_bot(customer):
    messages = await customer.say("Talk to a person", payload="/request_human")
    assert re.search(r"T-\d{6}", " ".join(bot_texts(messages)))


async def test_gibberish_is_declined_not_guessed_at(customer, running):
    messages = await customer.say("qwrtp zxcvb mnbv lkjhg")
    texts = bot_texts(messages)
    assert texts and "Sorry, I can't help with that" in texts[0]
    rows = query(running, "SELECT intent, decision FROM messages WHERE id = ?", messages[0]["id"])
    assert rows[0] == ("out_of_scope", "declined")


async def test_stopped_rasa_keeps_message_and_apologises(customer, running):
    running.stop(["rasa"])
    messages = await customer.say("is anybody there?")
    assert [m["sender"] for m in messages] == ["customer", "system"]
    assert "not answering" in messages[1]["text"]
    rows = query(
        running,
        "SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.public_id = ? AND m.sender = 'customer'",
        customer.session_id,
    )
    assert rows == [("is anybody there?",)]
