"""Answer, clarify or decline: the yes/no rules, the surface checks, the out-of-domain gate's
decisions on known vectors, the channel's decision per turn, and the answering actions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import answers, common
from bot.channels import decision_of
from bot.components import surface
from bot.components.ood_gate import OutOfDomainGate
from bot.components.polarity import opening, polarity
from bot.components.yes_no import YesNoGuard

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


# --- yes and no ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("absolutely not", "deny"), ("nope, never", "deny"), ("not at all", "deny"),
     ("no thanks", "deny"), ("of course not", "deny"), ("definitely not!", "deny"),
     ("NO", "deny"), ("nooo", "deny"), ("yes please", "affirm"), ("why not", "affirm"),
     ("no problem, go ahead", "affirm"), ("absolutely", "affirm"), ("yesss", "affirm"),
     ("sure thing", "affirm"), ("I don't mind", "affirm"), ("👍", "affirm"),
     ("not sure", None), ("maybe", None), ("no my parcel never came", None),
     ("where is my order", None), ("", None), ("/affirm", None)],
)  # fmt: skip
def test_polarity_of_plain_answers(text, expected):
    assert polarity(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("no, different order", "deny"), ("yes, that one", "affirm"), ("it's fixed, yes", "affirm"),
     ("no, my parcel still hasn't arrived", None), ("no, where is my refund?", None),
     ("hello", None)],
)  # fmt: skip
def test_short_answers_opening_or_closing_with_yes_or_no(text, expected):
    assert opening(text) == expected


def test_polarity_with_other_words_decides_only_the_sign():
    assert polarity("yes, that is my order", strict=False) == "affirm"
    assert polarity("no, that's not the one I meant", strict=False) == "deny"
    assert polarity("yes, that is my order") is None  # strict: other words
    assert polarity("that won't be necessary", strict=False) == "deny"
    assert polarity("I wouldn't mind", strict=False) == "affirm"
    assert polarity("maybe later, no", strict=False) == "deny"


def test_actions_read_yes_and_no_like_the_nlu():
    assert common.parse_yes_no("absolutely not") is False
    assert common.parse_yes_no("no problem") is True
    assert common.parse_yes_no("yes it was") is True
    assert common.parse_yes_no("not sure") is None


def _message(text: str, intent: str, confidence: float = 0.99, **data) -> Message:
    message = Message(data={"text": text, **data})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    return message


def test_yes_no_guard_overrides_the_classifier():
    guard = YesNoGuard(YesNoGuard.get_default_config())
    wrong = _message("absolutely not", "affirm")
    kept = _message("where is my parcel", "check_order_status")
    opening = _message("no, that is somebody else's order I think", "affirm", 0.7)
    guard.process([wrong, kept, opening])
    assert wrong.get("intent") == {"name": "deny", "confidence": 1.0}
    assert wrong.get("yes_no_rule") is True
    assert wrong.get("intent_ranking")[0]["name"] == "deny"
    assert kept.get("intent")["name"] == "check_order_status" and not kept.get("yes_no_rule")
    assert opening.get("intent")["name"] == "deny"


# --- the surface of a message --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("   ", "empty"), ("😀😀🎉", "no_words"), ("??? !!!", "no_words"),
     ("<script>alert(1)</script>", "markup"), ("<img src=x onerror=alert(1)>", "markup"),
     ("SELECT * FROM users WHERE 1=1", "markup"), ("{{7*7}}", "markup"),
     ("我想退货", "language"), ("где мой заказ", "language"), ("注文はどこですか", "language"),
     ("où est ma commande ?", "language"), ("quiero devolver un producto", "language"),
     ("wo ist mein Paket bitte", "language"), ("gracias", "language"),
     ("where is my order", None), ("I ordered the Blåhaj plush, merci", None),
     ("can I return a café table", None), ("NW-104233", None)],
)  # fmt: skip
def test_surface_reasons(text, reason):
    assert surface.surface_reason(text) == reason


# --- the gate, on vectors whose geometry is known -------------------------------------------


def _unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def _featurised(text: str, vector: np.ndarray, intent: str | None = None) -> Message:
    message = Message(data={"text": text, **({"intent": intent} if intent else {})})
    message.add_features(Features(vector.reshape(1, -1), "sentence", "text", "test"))
    return message


@pytest.fixture
def gate(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("gate")
    config = {
        **OutOfDomainGate.get_default_config(),
        "k": 1,
        "threshold": 0.3,
        "disagree_threshold": -0.5,
    }
    context = ExecutionContext(graph_schema=None, model_id="m")
    component = OutOfDomainGate.create(config, storage, resource, context)
    data = TrainingData(
        [
            _featurised("where is my order", _unit(1, 0, 0, 0), "check_order_status"),
            _featurised("how do I return it", _unit(0.9, 0.4, 0, 0), "faq"),
            _featurised("will it rain", _unit(0, 0, 1, 0), "out_of_scope"),
            _featurised("tell me a joke", _unit(0, 0, 0.8, 0.6), "out_of_scope"),
        ]
    )
    component.train(data)
    return OutOfDomainGate.load(config, storage, resource, context)


def _parsed(text: str, vector, intent="faq", confidence=0.99, **data) -> Message:
    message = _featurised(text, vector)
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    for key, value in data.items():
        message.set(key, value, add_to_output=True)
    return message


def _selector(*ranking: tuple[str, float]) -> dict:
    items = [{"intent_response_key": f"faq/{k}", "confidence": c} for k, c in ranking]
    return {"faq": {"ranking": items, "response": items[0] if items else {}}}


def test_gate_declines_text_nearer_to_off_topic_examples(gate):
    weather = _parsed("is it sunny", _unit(0.1, 0, 1, 0), selector=None)
    (weather,) = gate.process([weather])
    assert weather.get("intent")["name"] == "out_of_scope"
    verdict = weather.get("ood")
    assert verdict["out_of_domain"] and verdict["reason"] == "closer_to_off_topic"
    assert verdict["score"] > verdict["threshold"]
    assert verdict["intent_before"]["name"] == "faq"
    assert verdict["classifier"]["name"] == "faq"


def test_gate_keeps_in_domain_text_and_faq_answers(gate):
    question = _parsed(
        "how can I send it back",
        _unit(0.95, 0.3, 0.05, 0),
        response_selector=_selector(("return_policy", 0.9), ("refund_time", 0.05)),
    )
    (question,) = gate.process([question])
    assert question.get("intent")["name"] == "faq"
    assert question.get("ood")["out_of_domain"] is False and question.get("ood")["reason"] is None
    assert question.get("faq_clarify") is None


def test_gate_asks_to_choose_between_close_topics_and_declines_weak_ones(gate):
    close = _parsed(
        "refund or return",
        _unit(0.95, 0.3, 0.05, 0),
        response_selector=_selector(("return_policy", 0.45), ("refund_time", 0.4), ("x", 0.1)),
    )
    weak = _parsed(
        "hmm about the thing",
        _unit(0.95, 0.3, 0.05, 0),
        response_selector=_selector(("return_policy", 0.2), ("refund_time", 0.19)),
    )
    gate.process([close, weak])
    assert close.get("faq_clarify") == ["return_policy", "refund_time"]
    assert weak.get("intent")["name"] == "out_of_scope"
    assert weak.get("ood")["reason"] == "weak_faq_match"


def test_gate_is_stricter_when_no_neighbour_shares_the_label(gate):
    # the same vector, the same score: agreeing with its neighbours it is kept, not agreeing
    # (the classifier says "greet" where the neighbours are order and FAQ questions) declined
    vector = _unit(0.5, 0.2, 0.6, 0.2)
    agreeing = _parsed("hmm", vector, "check_order_status")
    disagreeing = _parsed("hmm", vector, "greet")
    gate.process([agreeing, disagreeing])
    a, b = agreeing.get("ood"), disagreeing.get("ood")
    assert a["score"] == b["score"] and a["agreement"] > 0 and b["agreement"] == 0
    assert a["threshold"] > b["threshold"]
    assert a["out_of_domain"] is False and b["out_of_domain"] is True


def test_gate_declines_questions_about_other_shops(gate, tmp_path):
    names = tmp_path / "companies.yml"
    names.write_text("names: [asos, john lewis, sainsbury's]\n")
    config = {**gate.config, "other_companies": str(names)}
    storage, resource = gate.model_storage, Resource("gate2")
    context = ExecutionContext(graph_schema=None, model_id="m")
    other = OutOfDomainGate.create(config, storage, resource, context)
    other.train(TrainingData([_featurised("where is my order", _unit(1, 0, 0, 0), "inform")]))
    other = OutOfDomainGate.load(config, storage, resource, context)
    near = _unit(1, 0, 0, 0)
    asos = _parsed("where is my ASOS order", near, "check_order_status")
    lewis = _parsed("what's the returns policy at John Lewis?", near)
    ours = _parsed("is Northwind cheaper than ASOS", near, "inform")
    sainsburys = _parsed("I bought it at Sainsburys", near, "inform")
    plain = _parsed("where is my order", near, "check_order_status")
    other.process([asos, lewis, ours, sainsburys, plain])
    assert [m.get("ood")["reason"] for m in (asos, lewis, ours, sainsburys, plain)] == [
        "other_company",
        "other_company",
        None,
        "other_company",
        None,
    ]


def test_gate_never_gates_entities_payloads_or_yes_no(gate):
    far = _unit(0, 0, 1, 0)
    with_entity = _parsed("NW-104233", far, "inform", entities=[{"entity": "order_number"}])
    payload = _parsed("/check_order_status", far, "check_order_status")
    yes = _parsed("nope", far, "deny", yes_no_rule=True)
    gate.process([with_entity, payload, yes])
    assert [m.get("intent")["name"] for m in (with_entity, payload, yes)] == [
        "inform",
        "check_order_status",
        "deny",
    ]


def test_gate_reports_surface_reasons_and_the_language(gate):
    chinese = _parsed("我的订单在哪里", _unit(1, 0, 0, 0), "check_order_status")
    html = _parsed("<b>hi</b>", _unit(1, 0, 0, 0), "greet")
    person = _parsed("转人工", _unit(1, 0, 0, 0), "request_human", 0.97)
    gate.process([chinese, html, person])
    assert chinese.get("intent")["name"] == "out_of_scope"
    assert chinese.get("ood")["reason"] == "language" and chinese.get("ood")["language"] == "zh"
    assert html.get("ood")["reason"] == "markup"
    # a confident request for a person is kept: a person is what a decline would offer
    assert person.get("intent")["name"] == "request_human"


def test_gate_without_features_refuses_to_train(tmp_path):
    from rasa.shared.exceptions import InvalidConfigException

    storage, resource = LocalModelStorage(tmp_path), Resource("gate")
    context = ExecutionContext(graph_schema=None, model_id="m")
    component = OutOfDomainGate.create({}, storage, resource, context)
    with pytest.raises(InvalidConfigException):
        component.train(TrainingData([Message(data={"text": "hi", "intent": "greet"})]))


# --- the decision of a turn ----------------------------------------------------------------


def test_decision_of_a_turn_from_its_events():
    turn = UserUttered("is it sunny", {"name": "out_of_scope"})
    declined = [turn, ActionExecuted("action_out_of_scope"), SlotSet("turn_decision", "declined")]
    assert decision_of(declined, turn) == "declined"
    answered = [UserUttered("hi", {"name": "greet"}), ActionExecuted("utter_greet")]
    assert decision_of(answered, answered[0]) == "answered"
    later = UserUttered("talk to a person", {"name": "request_human"})
    handed = [
        turn,
        SlotSet("turn_decision", "declined"),
        later,
        ActionExecuted("handoff_form"),
        ActionExecuted("action_handoff"),
    ]
    assert decision_of(handed, turn) == "declined"  # the next turn's events are not its own
    assert decision_of(handed, later) == "handed_off"
    fallback = [turn, ActionExecuted("action_default_ask_affirmation")]
    assert decision_of(fallback, turn) == "clarified"


# --- the actions ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def hub_down(monkeypatch):
    """The help-centre look-up of a declined question fails fast (nothing listens there): the
    decline is the one the customer gets (the look-up itself: tests/bot/test_actions.py)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HUB_INTERNAL_URL", f"http://127.0.0.1:{port}")


def tracker(parse: dict, events: list | None = None) -> Tracker:
    slots = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}
    latest = {"event": "user", "text": parse.get("text"), "parse_data": parse}
    return Tracker("s1", slots, parse, [*(events or []), latest], False, None, {}, "action_listen")


def oos_turn(text: str = "will it rain", reason: str = "closer_to_off_topic") -> dict:
    return {
        "text": text,
        "intent": {"name": "out_of_scope", "confidence": 0.9},
        "entities": [],
        "ood": {"out_of_domain": True, "reason": reason},
    }


def _slots(events: list) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_first_decline_says_what_the_bot_can_do_the_second_offers_a_person():
    dispatcher = CollectingDispatcher()
    events = await answers.ActionOutOfScope().run(dispatcher, tracker(oos_turn()), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert _slots(events) == {"turn_decision": "declined"}

    earlier = {"event": "user", "text": "a joke", "parse_data": oos_turn("a joke")}
    dispatcher = CollectingDispatcher()
    events = await answers.ActionOutOfScope().run(
        dispatcher, tracker(oos_turn(), [earlier]), DOMAIN
    )
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope_again"
    assert _slots(events) == {
        "turn_decision": "declined",
        "human_offered": True,
        "handoff_reason": "fallback",
    }
    buttons = DOMAIN["responses"]["utter_out_of_scope_again"][0]["buttons"]
    assert '"handoff_reason":"fallback"' in buttons[0]["payload"]


async def test_a_message_in_another_language_is_told_english_only_and_offered_a_person():
    dispatcher = CollectingDispatcher()
    events = await answers.ActionOutOfScope().run(
        dispatcher, tracker(oos_turn("我想退货", "language")), DOMAIN
    )
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope_language"
    assert "only chat in English" in DOMAIN["responses"]["utter_out_of_scope_language"][0]["text"]
    assert _slots(events)["human_offered"] is True


def faq_turn(*ranking: tuple[str, float], clarify=None, entities=None) -> dict:
    items = [{"intent_response_key": f"faq/{k}", "confidence": c} for k, c in ranking]
    parse = {
        "text": "refunds",
        "intent": {"name": "faq", "confidence": 0.99},
        "entities": entities or [],
        "response_selector": {"faq": {"ranking": items, "response": items[0] if items else {}}},
    }
    if clarify:
        parse["faq_clarify"] = clarify
    return parse


FAQ_DOMAIN = {**DOMAIN, "responses": {**DOMAIN["responses"], "utter_faq/return_policy": [{}],
              "utter_faq/refund_time": [{}]}}  # fmt: skip


async def test_faq_answer_clarification_and_a_chosen_topic():
    dispatcher = CollectingDispatcher()
    events = await answers.ActionAnswerFaq().run(
        dispatcher, tracker(faq_turn(("return_policy", 0.9))), FAQ_DOMAIN
    )
    assert dispatcher.messages[0]["response"] == "utter_faq/return_policy"
    assert _slots(events) == {"turn_decision": "answered"}

    dispatcher = CollectingDispatcher()
    turn = faq_turn(("return_policy", 0.5), ("refund_time", 0.45),
                    clarify=["return_policy", "refund_time"])  # fmt: skip
    events = await answers.ActionAnswerFaq().run(dispatcher, tracker(turn), FAQ_DOMAIN)
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [
        '/faq{"faq_topic":"return_policy"}',
        '/faq{"faq_topic":"refund_time"}',
        "/something_else",
    ]
    assert all(b["title"].endswith("?") for b in buttons[:2])
    assert _slots(events) == {"turn_decision": "clarified"}

    dispatcher = CollectingDispatcher()
    chosen = faq_turn(entities=[{"entity": "faq_topic", "value": "refund_time"}])
    await answers.ActionAnswerFaq().run(dispatcher, tracker(chosen), FAQ_DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_faq/refund_time"


async def test_an_unknown_topic_is_declined_not_answered():
    dispatcher = CollectingDispatcher()
    events = await answers.ActionAnswerFaq().run(
        dispatcher, tracker(faq_turn(("no_such_topic", 0.9))), FAQ_DOMAIN
    )
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert _slots(events) == {"turn_decision": "declined"}


async def test_thumbs_down_offers_the_next_best_topics_and_a_person():
    asked = {
        "event": "user",
        "text": "refunds",
        "message_id": "41",
        "parse_data": faq_turn(("return_policy", 0.7), ("refund_time", 0.2), ("exchange", 0.05)),
    }
    external = {
        "text": "EXTERNAL: EXTERNAL_answer_unhelpful",
        "intent": {"name": "EXTERNAL_answer_unhelpful", "confidence": 1.0},
        "entities": [{"entity": "feedback_message_id", "value": "41"}],
    }
    dispatcher = CollectingDispatcher()
    events = await answers.ActionAnswerUnhelpful().run(
        dispatcher, tracker(external, [asked]), DOMAIN
    )
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == [
        '/faq{"faq_topic":"refund_time"}',
        '/faq{"faq_topic":"exchange"}',
        '/request_human{"handoff_reason":"fallback"}',
    ]
    assert _slots(events)["human_offered"] is True


def test_off_topic_questions_interrupt_forms_other_text_is_an_attempt():
    assert common.interrupts("order_status_form", "out_of_scope", "what's the weather like")
    assert common.interrupts("order_status_form", "out_of_scope", "weather?")
    assert not common.interrupts("order_status_form", "out_of_scope", "no idea sorry")
    assert not common.interrupts("order_status_form", "out_of_scope", "banana")
    assert common.off_topic_question({"intent": {"name": "out_of_scope"}}, "is it sunny?")
    assert not common.off_topic_question({"intent": {"name": "out_of_scope"}}, "it broke")


# --- the FAQ ranker ------------------------------------------------------------------------


def test_faq_ranker_blends_the_selector_with_the_embedding_classifier(tmp_path):
    from bot.components.faq_ranker import FaqTopicRanker

    storage, resource = LocalModelStorage(tmp_path), Resource("ranker")
    context = ExecutionContext(graph_schema=None, model_id="m")
    config = {**FaqTopicRanker.get_default_config(), "weight": 0.7}
    ranker = FaqTopicRanker.create(config, storage, resource, context)

    def example(text, vector, topic):
        message = _featurised(text, vector, "faq")
        message.set("intent_response_key", f"faq/{topic}")
        return message

    data = TrainingData(
        [
            example("how long do refunds take", _unit(1, 0.1, 0, 0), "refund_time"),
            example("when is my money back", _unit(0.9, 0.2, 0, 0), "refund_time"),
            example("can I return it", _unit(0, 1, 0.1, 0), "return_policy"),
            example("returns policy", _unit(0.1, 0.9, 0, 0), "return_policy"),
        ],
        responses={
            "utter_faq/refund_time": [{"text": "5-10 days"}],
            "utter_faq/return_policy": [{"text": "30 days"}],
        },
    )
    ranker.train(data)
    ranker = FaqTopicRanker.load(config, storage, resource, context)
    # the selector prefers return_policy a little, the embedding is clearly a refund question
    message = _parsed(
        "money back when",
        _unit(1, 0.05, 0, 0),
        response_selector=_selector(("return_policy", 0.55), ("refund_time", 0.45)),
    )
    (message,) = ranker.process([message])
    selector = message.get("response_selector")["faq"]
    assert [r["intent_response_key"] for r in selector["ranking"]] == [
        "faq/refund_time",
        "faq/return_policy",
    ]
    assert selector["response"]["intent_response_key"] == "faq/refund_time"
    assert selector["response"]["utter_action"] == "utter_faq/refund_time"
    assert selector["response"]["responses"] == [{"text": "5-10 days"}]
    assert selector["selector_ranking"][0]["intent_response_key"] == "faq/return_policy"
    assert abs(sum(r["confidence"] for r in selector["ranking"]) - 1.0) < 1e-4
    untouched = _parsed("hello", _unit(1, 0, 0, 0), "greet")
    ranker.process([untouched])
    assert untouched.get("response_selector") is None
