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


def test_the_channel_reports_healthy_only_after_its_warm_up_turn():
    import asyncio

    from bot.channels import WARM_UP_TEXT, HubInput

    sent = []

    async def on_new_message(message):
        assert not channel.warm  # still cold while the turn runs
        sent.append(message)

    async def failing(message):
        raise RuntimeError("the action server is not up yet")

    channel = HubInput()
    assert channel.warm is False
    asyncio.run(channel.warm_up(on_new_message))
    assert channel.warm is True
    [message] = sent
    assert message.text == WARM_UP_TEXT and message.sender_id.startswith("warm-up-")
    assert message.input_channel == "hub"
    # a failed warm-up leaves a slower server, not one that never becomes healthy
    other = HubInput()
    asyncio.run(other.warm_up(failing))
    assert other.warm is True
