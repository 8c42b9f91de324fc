"""Yes and no are never confused: a lexical rule on short answers overrides the classifier.

The rules are ``bot.components.polarity``. This component runs after the intent classifiers
(and before the out-of-domain gate): a plain yes/no answer gets intent ``affirm``/``deny`` at
confidence 1.0 and ``"yes_no_rule": true`` in its parse data; when the classifier already
reads a short message as a yes or a no, only its polarity is decided by rule; and an
``affirm`` for a message that opens with a negation ("no, that's not my order") becomes
``deny``; a short answer opening with "yes," or "no," ("no, different order") is that yes or
no, unless it asks for a person or to complain (the request does what the yes agrees to).

    - name: bot.components.yes_no.YesNoGuard
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.polarity import AFFIRM, DENY, opening, opens_with_negation, polarity

RULE_KEY = "yes_no_rule"
# "yes, I want to talk to a person": the request itself already does what the yes agrees to
ACTING_ON_IT = {"request_human", "file_complaint"}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class YesNoGuard(GraphComponent):
    """Decides plain yes/no answers by rule; never lets a negation become ``affirm``."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"max_words": 7}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.max_words = int(config.get("max_words", 7))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> YesNoGuard:
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or message.get(ENTITIES):
                continue
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            decided = polarity(text, self.max_words, strict=current not in (AFFIRM, DENY))
            if decided is None and current == AFFIRM and opens_with_negation(text):
                decided = DENY
            if decided is None:
                decided = opening(text)
                if decided == AFFIRM and current in ACTING_ON_IT:
                    decided = None
            if decided is None:
                continue
            top = {INTENT_NAME_KEY: decided, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [
                item
                for item in message.get(INTENT_RANKING_KEY) or []
                if item.get(INTENT_NAME_KEY) != decided
            ]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)
            message.set(RULE_KEY, True, add_to_output=True)
        return messages
