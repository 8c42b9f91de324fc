"""The assistant knows what it doesn't know, through the chat API with the real stack.

Off-topic questions are declined (intent ``out_of_scope``, decision ``declined`` stored on the
turn) and never answered from the FAQ; two declines in a row offer a person; a question two
FAQ topics answer equally well asks which one is meant, and the chosen button answers it; a
thumbs down is stored and offers the next-best topics; an off-topic message inside a form is
declined and the form asks its question again; yes and no are never confused.
"""

from __future__ import annotations

import re

import aiohttp
import pytest

from .conftest import query
from .test_assistant import bot_messages, bot_text, buttons, click, tickets_of

pytestmark = pytest.mark.e2e

DECLINE = "Sorry, I can't help with that"
FAQ_ANSWER_MARKS = ("business days", "£", "Monday to Friday", "warranty", "refund")


def decision_of(running, message_id: int) -> tuple:
    return query(
        running,
        "SELECT intent, decision, ood_score, ood_reason, faq_topic FROM messages WHERE id = ?",
        message_id,
    )[0]


@pytest.mark.parametrize(
    "question",
    [
        "how much has the dow changed today",
        "will it rain in london tomorrow",
        "give me a recipe for lasagne",
        "do you sell electric bicycles?",
    ],
)
async def test_the_demo_off_topic_questions_are_declined(customer, running, question):
    messages = await customer.say(question)
    text = bot_text(messages)
    assert DECLINE in text, text
    assert not any(mark in text for mark in FAQ_ANSWER_MARKS), text
    assert "goodbye" not in text.lower() and "survey" not in text.lower()
    intent, decision, score, reason, topic = decision_of(running, messages[0]["id"])
    assert (intent, decision, topic) == ("out_of_scope", "declined", None)
    assert reason and score is not None
    assert {"Check an order", "Make a complaint", "Talk to a person"} <= {
        b["title"] for b in buttons(messages)
    }


async def test_two_declines_in_a_row_offer_a_person(customer, running):
    first = await customer.say("who won the rugby world cup in 2019")
    assert DECLINE in bot_text(first)
    second = await customer.say("what's the capital of peru")
    assert "pass you to a person" in bot_text(second)
    messages = await click(customer, second, "Yes, talk to a person")
    assert re.search(r"T-\d{6}", bot_text(messages))
    assert tickets_of(running, customer.session_id)[0][2] == "fallback"


async def test_other_languages_are_told_english_only(customer, running):
    messages = await customer.say("où est ma commande ? je l'attends depuis lundi")
    assert "only chat in English" in bot_text(messages)
    assert decision_of(running, messages[0]["id"])[3] == "language"
    messages = await customer.say("我想退货")
    assert "only chat in English" in bot_text(messages)


@pytest.mark.parametrize("text", ["😀😀😀", "<b>hello</b><script>alert(1)</script>", "???"])
async def test_odd_input_is_declined_politely_never_answered(customer, running, text):
    messages = await customer.say(text)
    assert [m["sender"] for m in messages][:2] == ["customer", "bot"]
    assert decision_of(running, messages[0]["id"])[:2] == ("out_of_scope", "declined")


async def test_a_near_tie_asks_which_topic_and_the_button_answers_it(customer, running):
    messages = await customer.say("how much is delivery and how do I reset my password")
    choices = [b for b in buttons(messages) if b["payload"].startswith('/faq{"faq_topic"')]
    assert len(choices) >= 2, bot_text(messages)
    assert "Did you mean" in bot_text(messages)
    assert buttons(messages)[-1]["title"] == "Something else"
    assert decision_of(running, messages[0]["id"])[1] == "clarified"
    chosen = next(b for b in choices if "password" in b["payload"])
    answer = await customer.say(chosen["title"], payload=chosen["payload"])
    assert "reset" in bot_text(answer).lower()
    assert decision_of(running, answer[0]["id"])[1:] == (
        "answered",
        None,
        None,
        "password_reset",
    )
    other = await click(customer, messages, "Something else")
    assert "Talk to a person" in {b["title"] for b in buttons(other)}


async def test_thumbs_down_is_stored_and_offers_the_next_best_topics(customer, running):
    messages = await customer.say("how long do refunds take to come through")
    answer = next(m for m in bot_messages(messages) if m.get("rateable"))
    assert answer["helpful"] is None
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{running.hub_url}/api/chat/sessions/{customer.session_id}"
            f"/messages/{answer['id']}/feedback",
            json={"helpful": False},
            headers=customer.auth,
        ) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
    assert body["message"]["helpful"] is False
    follow_up = body["messages"]
    assert follow_up and "didn't help" in follow_up[0]["text"]
    payloads = [b["payload"] for b in follow_up[0]["buttons"]]
    assert any(p.startswith('/faq{"faq_topic"') for p in payloads)
    assert payloads[-1] == '/request_human{"handoff_reason":"fallback"}'
    (helpful,) = query(running, "SELECT helpful FROM messages WHERE id = ?", answer["id"])[0]
    assert helpful == 0
    handed = await customer.say("Talk to a person", payload=payloads[-1])
    assert re.search(r"T-\d{6}", bot_text(handed))
    assert tickets_of(running, customer.session_id)[0][2] == "fallback"


async def test_an_off_topic_question_inside_the_complaint_form_resumes_it(customer, running):
    messages = await customer.say("I want to make a complaint")
    assert "What is your complaint mainly about?" in bot_text(messages)
    messages = await customer.say("what's the weather going to be like in paris this weekend?")
    text = bot_text(messages)
    assert DECLINE in text and "What is your complaint mainly about?" in text
    messages = await click(customer, messages, "Quality of a product")
    assert "what happened" in bot_text(messages)


@pytest.mark.parametrize(
    ("answer", "intent"),
    [("absolutely not", "deny"), ("nope, never", "deny"), ("not at all", "deny"),
     ("no thanks", "deny"), ("yes please", "affirm"), ("why not", "affirm")],
)  # fmt: skip
async def test_yes_and_no_are_never_confused(customer, running, answer, intent):
    messages = await customer.say(answer)
    assert decision_of(running, messages[0]["id"])[0] == intent


async def test_no_to_the_offer_of_a_person_is_respected(customer, running):
    await customer.say("who is the prime minister of japan")
    offer = await customer.say("tell me something about black holes")
    assert "pass you to a person" in bot_text(offer)
    messages = await customer.say("absolutely not")
    assert (await customer.state())["status"] == "bot"
    assert tickets_of(running, customer.session_id) == []
    assert bot_messages(messages)
