"""The hub input channel picks the NLU result of the right user turn."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, UserUttered

from bot.channels import _nlu_of


def test_nlu_of_the_matching_message_id():
    events = [
        UserUttered("hi", {"name": "greet", "confidence": 0.9}, message_id="1"),
        ActionExecuted("utter_greet"),
        UserUttered("bye", {"name": "goodbye", "confidence": 0.8}, message_id="2"),
    ]
    assert _nlu_of(events, "1")["intent"]["name"] == "greet"
    assert _nlu_of(events, "2")["intent"]["confidence"] == 0.8
    assert _nlu_of(events, None)["intent"]["name"] == "goodbye"
    assert _nlu_of([], "1") == {}
