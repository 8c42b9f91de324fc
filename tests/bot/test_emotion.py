"""Emotion detection (bot/components/emotion.py) and how the hub channel reacts to it."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.nlu.training_data.message import Message

from bot.channels import (
    _nlu_of,
    already_empathic,
    offers_human,
    recent_labels,
    should_offer_human,
)
from bot.components.emotion import (
    EmotionAnalyzer,
    analyse,
    label_and_score,
    strongest,
    tokenize,
)


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "where is my order NW-104233?",
        "Could you check T-000123 please",
        "I'm not angry, just curious",
        "no problem, thanks!",
        "thanks, that was great",
        "DPD says it's in the UK already",
        "",
        "<script>alert('x')</script>",
        "🙂",
        "我不生气",
        "/request_human",
    ],
)
def test_calm_messages_are_neutral(text):
    assert analyse(text).label == "neutral"


@pytest.mark.parametrize(
    "text",
    [
        "this is ridiculous, where is my order",
        "I'm very disappointed with the service",
        "I am not happy with this at all",
        "still waiting for my refund, this is a joke",
        "WHERE IS MY ORDER",
        "I'm fed up with waiting",
        "你们太慢了，很失望",
    ],
)
def test_frustration(text):
    assert analyse(text).label == "frustrated"


@pytest.mark.parametrize(
    "text",
    [
        "I'm absolutely furious, this is the third time!!!",
        "this is a fucking joke",
        "This is a f***ing disgrace",
        "you are useless, complete scam, I'm going to sue",
        "😡😡",
        "你们的服务太差了，我很生气",
        "UNACCEPTABLE!!! I WANT MY MONEY BACK",
    ],
)
def test_anger(text):
    assert analyse(text).label == "angry"


def test_negation_intensifiers_caps_and_exclamations_move_the_score():
    assert analyse("I am not angry").raw < 0 < analyse("I am angry").raw
    assert analyse("I am very annoyed").raw > analyse("I am annoyed").raw
    assert analyse("WHERE IS MY ORDER").raw > analyse("where is my order").raw
    assert analyse("where is my order!!!").raw > analyse("where is my order!").raw
    assert analyse("not happy").label == "frustrated"


def test_scores_are_between_zero_and_one():
    for text in ("hi", "I'm furious!!! " * 50, "thanks " * 100, "x" * 10000):
        result = analyse(text)
        assert 0.0 <= result.score <= 1.0
        assert result.as_dict() == {"label": result.label, "score": result.score}


def test_tokenizer_keeps_chinese_and_punctuation():
    assert tokenize("Don’t do that!!") == ["don't", "do", "that", "!!"]
    assert "很生气" in tokenize("我很生气")[0]


def test_component_puts_emotion_in_the_parse_data():
    component = EmotionAnalyzer(EmotionAnalyzer.get_default_config())
    message = Message(data={"text": "this is a disgrace!!!"})
    component.process([message])
    parsed = message.as_dict(only_output_properties=True)
    assert parsed["emotion"]["label"] == "angry"
    assert label_and_score(parsed)[0] == "angry"
    assert label_and_score({}) == ("neutral", 0.0)
    assert strongest(["neutral", "angry", "frustrated"]) == "angry"


def turn(text: str, label: str, intent: str = "inform", message_id: str = "1") -> UserUttered:
    parse = {
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [],
        "emotion": {"label": label, "score": 0.5},
    }
    return UserUttered(text, parse["intent"], [], parse, message_id=message_id)


def test_channel_reports_emotion_and_decides_when_to_offer_a_person():
    calm = turn("hi", "neutral", "greet", "1")
    annoyed = turn("this is annoying", "frustrated", message_id="2")
    again = turn("still nothing?!", "frustrated", message_id="3")
    furious = turn("FFS", "angry", message_id="4")
    assert _nlu_of([calm, annoyed], "2")["emotion"] == {"label": "frustrated", "score": 0.5}
    assert _nlu_of([UserUttered("x", {"name": "greet"}, [], {})], None)["emotion"] == {
        "label": "neutral",
        "score": 0.0,
    }
    assert recent_labels([calm, annoyed, again]) == ["neutral", "frustrated", "frustrated"]
    reply = [{"text": "Order NW-104233 is on its way."}]
    # one frustrated turn: empathy only
    assert not should_offer_human([calm, annoyed], annoyed, reply)
    # frustrated twice in the last three turns, or angry once: offer a person
    assert should_offer_human([calm, annoyed, again], again, reply)
    assert should_offer_human([calm, furious], furious, reply)
    # not when the customer already asked for one, or a hand-off happened, or it's offered
    asking = turn("get me a human now!!!", "angry", "request_human", "5")
    assert not should_offer_human([calm, asking], asking, reply)
    handed = [calm, furious, ActionExecuted("action_handoff"), furious]
    assert not should_offer_human(handed, furious, reply)
    offered = [{"text": "?", "buttons": [{"title": "Person", "payload": "/request_human"}]}]
    assert offers_human(offered)
    assert not should_offer_human([calm, furious], furious, offered)
    assert already_empathic([{"text": "I'm sorry something went wrong"}])
    assert not already_empathic([{"text": "Order NW-104233 is on its way."}])
    assert not already_empathic([])
