"""The out-of-domain gate: decides whether a message is a question this shop's assistant can take.

DIET's softmax is saturated on text unlike anything it was trained on ("will it rain in
London tomorrow" → an FAQ topic at 1.00), so no threshold on it can catch off-topic
messages. This component scores each message by where its MiniLM sentence embedding lies:

    score = oos_weight * mean top-k cosine to the off-topic examples
            - mean top-k cosine to the in-domain examples

(the in-domain examples are every training example but ``out_of_scope``; the off-topic ones
are the training data's ``out_of_scope`` examples plus the files listed in ``negatives``,
which only this component reads: a neural intent classifier trained on many off-topic
messages that look like shop questions, "how do I return something to IKEA", learns to call
real shop questions off-topic, so the intent classifier sees only a few clear ones). A
message is out of domain when

- its surface says so (``bot.components.surface``: empty, no words, markup or code, a
  language other than English), or
- it names another shop or service (``other_companies``: "where is my ASOS order"), or
- ``score > threshold`` (closer to off-topic text than to anything the shop is asked), or
  ``score > disagree_threshold`` when none of its five nearest in-domain examples has the
  label the classifiers gave it (an FAQ question's label is its topic): in-domain text is
  classified like its neighbours, off-topic text gets a label its neighbours don't share, or
- its best in-domain similarity is below ``novelty_threshold`` (unlike everything), or
- the intent classifier itself predicted ``out_of_scope``;

and, for the FAQ, when the ResponseSelector's best topic is weak (``faq_min_confidence``).
The thresholds are calibrated on the development sets in ``bench/data/`` (never on the test
sets) with ``python bench/oos.py --calibrate`` and set in config.yml.

Out of domain, the intent becomes ``out_of_scope``; the classifier's own intent is kept in
the parse data. Every parsed message gets

    "ood": {"out_of_domain": bool, "reason": str | null, "score": float,
            "threshold": float, "in_domain_similarity": float,
            "off_topic_similarity": float, "nearest_intent": str | null,
            "agreement": 0..1 (share of the 5 nearest in-domain examples with its label),
            "intent_before": {"name", "confidence"},
            "classifier": {"name", "confidence"}}

(``intent_before``: the intent the gate was given; ``classifier``: the classifier's best
intent, ``nlu_fallback`` left out, which is what a FallbackClassifier would threshold).

and, when two FAQ topics are too close to choose (``faq_clarify_margin``),
``"faq_clarify": ["topic_a", "topic_b", ...]`` (the actions ask "Did you mean ...?").

Messages that carry an entity (an order number, a ticket number, an e-mail ...), button
payloads (``/intent``) and the yes/no rules' decisions are never gated. Put it last among
the intent classifiers, after the ResponseSelector and the FallbackClassifier:

    - name: bot.components.ood_gate.OutOfDomainGate
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.bert_numpy import get_encoder
from bot.components.parse_data import faq_ranking_of
from bot.components.surface import LANGUAGE, language_of, surface_reason
from bot.components.yes_no import RULE_KEY

logger = logging.getLogger(__name__)

OOD = "ood"
FAQ_CLARIFY = "faq_clarify"
OUT_OF_SCOPE = "out_of_scope"
RESPONSE_SELECTOR = "response_selector"
IN_FILE, OUT_FILE, INTENTS_FILE = "in_domain.npy", "off_topic.npy", "intents.npy"
COMPANIES_FILE = "other_companies.json"
NEIGHBOURS = 5

# reasons (stored by the hub with the turn; the supervisor console explains them)
REASON_SURFACE = {"empty", "no_words", "markup", LANGUAGE}
REASON_CLOSER = "closer_to_off_topic"
REASON_COMPANY = "other_company"
REASON_NOVEL = "unlike_training"
REASON_CLASSIFIER = "classifier"
REASON_WEAK_FAQ = "weak_faq_match"


def sentence_vector(message: Message, attribute: str = TEXT) -> Optional[np.ndarray]:
    """The message's dense sentence feature (MiniLM), L2-normalised; ``None`` without one."""
    _, sentence = message.get_dense_features(attribute, [])
    if sentence is None:
        return None
    vector = np.asarray(sentence.features, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


def top_k_mean(vector: np.ndarray, reference: np.ndarray, k: int) -> Tuple[float, int]:
    """Mean cosine of the ``k`` nearest reference rows, and the index of the nearest."""
    if reference.size == 0:
        return 0.0, -1
    sims = reference @ vector
    k = max(1, min(k, sims.shape[0]))
    nearest = np.argpartition(-sims, k - 1)[:k]
    return float(sims[nearest].mean()), int(nearest[np.argmax(sims[nearest])])


def faq_ranking(message: Message) -> List[Tuple[str, float]]:
    """``[(topic, confidence), ...]`` of the ResponseSelector, best first."""
    return faq_ranking_of(message.get(RESPONSE_SELECTOR))


_ANNOTATION = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)|\[([^\]]+)\]\{[^}]+\}")


def negative_examples(paths: Sequence[str]) -> List[str]:
    """The ``out_of_scope`` examples of Rasa NLU YAML files (a missing file is an error)."""
    texts: List[str] = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise InvalidConfigException(f"OutOfDomainGate: negatives file {name} not found.")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if block.get("intent") != OUT_OF_SCOPE:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line[2:]).strip()
                    if text:
                        texts.append(text)
    return texts


def company_names(path: Optional[str]) -> List[str]:
    """The ``names`` of the other-companies file (none when not configured)."""
    if not path:
        return []
    file = Path(path)
    if not file.is_file():
        raise InvalidConfigException(f"OutOfDomainGate: other_companies file {path} not found.")
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    names = {normalise_for_names(str(name)) for name in data.get("names") or []}
    return sorted(name for name in names if name)


def normalise_for_names(text: str) -> str:
    """Lower case, apostrophes dropped ("Sainsbury's" -> "sainsburys"), other punctuation
    but ``& + . -`` turned into spaces."""
    text = re.sub(r"['\u2019`]", "", (text or "").lower())
    return re.sub(r"\s+", " ", re.sub(r"[^\w&+.\- ]", " ", text)).strip()


def company_pattern(names: Sequence[str]) -> Optional[re.Pattern[str]]:
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w&+.-])(?:{alternatives})(?![\w&+-])")


def predicted_label(message: Message) -> Optional[str]:
    """The classifiers' label of a message: its intent, or ``faq/<topic>`` for an FAQ."""
    name = classifier_top(message).get(INTENT_NAME_KEY)
    if name == "faq":
        ranking = faq_ranking(message)
        return f"faq/{ranking[0][0]}" if ranking else "faq"
    return name


def classifier_top(message: Message) -> Dict[str, Any]:
    """The best intent of the classifier's ranking (``nlu_fallback`` left out)."""
    for item in message.get(INTENT_RANKING_KEY) or []:
        if item.get(INTENT_NAME_KEY) not in (None, "nlu_fallback"):
            return {
                INTENT_NAME_KEY: item.get(INTENT_NAME_KEY),
                PREDICTED_CONFIDENCE_KEY: item.get(PREDICTED_CONFIDENCE_KEY),
            }
    return {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: None}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class OutOfDomainGate(GraphComponent):
    """Turns off-topic messages into ``out_of_scope`` with a score and a reason."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # neighbours averaged on each side
            "k": 2,
            # weight of the off-topic similarity in the score
            "oos_weight": 0.75,
            # score above which a message is out of domain
            "threshold": -0.05,
            # ... and when no near in-domain example shares its label
            "disagree_threshold": -0.1,
            # a YAML file with `names:` of other shops and services (relative to the project)
            "other_companies": None,
            # best in-domain similarity below which a message is out of domain
            "novelty_threshold": 0.3,
            # ResponseSelector: best topic below this is too weak to answer
            "faq_min_confidence": 0.3,
            # ResponseSelector: a runner-up within this distance of the best asks to choose
            "faq_clarify_margin": 0.2,
            # topics offered when clarifying
            "faq_clarify_max": 3,
            # Rasa NLU YAML files (relative to the project) of off-topic examples for the gate
            # only; their out_of_scope examples are embedded with MiniLM when training
            "negatives": [],
            # MiniLM weights for embedding the negatives (None: as MiniLMFeaturizer finds them)
            "model_path": None,
            # intents never turned out of domain when the classifier is this sure of them:
            # a request for a person is what a decline would offer anyway
            "keep_intents": ["request_human"],
            "keep_confidence": 0.9,
        }

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        if not isinstance(config.get("k"), int) or config["k"] < 1:
            raise InvalidConfigException("OutOfDomainGate: k must be a positive integer.")
        for key in (
            "oos_weight",
            "threshold",
            "disagree_threshold",
            "novelty_threshold",
            "faq_min_confidence",
            "faq_clarify_margin",
            "keep_confidence",
        ):
            if not isinstance(config.get(key), (int, float)):
                raise InvalidConfigException(f"OutOfDomainGate: {key} must be a number.")

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        in_domain: Optional[np.ndarray] = None,
        off_topic: Optional[np.ndarray] = None,
        intents: Optional[Sequence[str]] = None,
        companies: Optional[Sequence[str]] = None,
    ) -> None:
        self.validate_config(config)
        self.config = config
        self.model_storage = model_storage
        self.resource = resource
        self.in_domain = in_domain if in_domain is not None else np.zeros((0, 0), np.float32)
        self.off_topic = off_topic if off_topic is not None else np.zeros((0, 0), np.float32)
        self.intents = list(intents or [])
        self.companies = list(companies or [])
        self._company_pattern = company_pattern(self.companies)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OutOfDomainGate:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    # --- training -------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        inside: List[np.ndarray] = []
        outside: List[np.ndarray] = []
        intents: List[str] = []
        for example in training_data.intent_examples:
            vector = sentence_vector(example)
            if vector is None:
                continue
            intent = example.get(INTENT)
            if intent == OUT_OF_SCOPE:
                outside.append(vector)
            else:
                inside.append(vector)
                # "faq/return_policy" for FAQ examples: what the classifiers' label is compared to
                intents.append(str(example.get_full_intent() or intent))
        if not inside:
            raise InvalidConfigException(
                "OutOfDomainGate needs dense sentence features (put MiniLMFeaturizer before it) "
                "and in-domain training examples."
            )
        self.in_domain = np.vstack(inside).astype(np.float32)
        dim = self.in_domain.shape[1]
        extra = negative_examples(self.config.get("negatives") or [])
        if extra:
            encoder = get_encoder(self.config.get("model_path"))
            outside.extend(encoder.embed(extra, batch_size=64))
        self.off_topic = (
            np.vstack(outside).astype(np.float32) if outside else np.zeros((0, dim), np.float32)
        )
        if self.off_topic.shape[1] != dim:
            raise InvalidConfigException(
                "OutOfDomainGate: the negatives were embedded with a different model than the "
                "training data's sentence features (MiniLMFeaturizer)."
            )
        self.intents = intents
        self.companies = company_names(self.config.get("other_companies"))
        self._company_pattern = company_pattern(self.companies)
        logger.info(
            "OutOfDomainGate: %d in-domain and %d off-topic examples",
            len(self.in_domain),
            len(self.off_topic),
        )
        with self.model_storage.write_to(self.resource) as directory:
            np.save(directory / IN_FILE, self.in_domain)
            np.save(directory / OUT_FILE, self.off_topic)
            np.save(directory / INTENTS_FILE, np.array(self.intents))
            (directory / COMPANIES_FILE).write_text(json.dumps(self.companies))
        return self.resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> OutOfDomainGate:
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                in_domain = np.load(directory / IN_FILE)
                off_topic = np.load(directory / OUT_FILE)
                intents = [str(i) for i in np.load(directory / INTENTS_FILE)]
                names = directory / COMPANIES_FILE
                companies = json.loads(names.read_text()) if names.exists() else []
        except (ValueError, OSError) as exc:
            raise InvalidConfigException(
                f"OutOfDomainGate: the trained model is missing: {exc}"
            ) from exc
        return cls(config, model_storage, resource, in_domain, off_topic, intents, companies)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # --- prediction -----------------------------------------------------------------------
    def scores(self, vector: np.ndarray, label: Optional[str] = None) -> Dict[str, Any]:
        k = int(self.config["k"])
        inside, nearest = top_k_mean(vector, self.in_domain, k)
        outside, _ = top_k_mean(vector, self.off_topic, k)
        agreement = None
        if label is not None and len(self.intents) == len(self.in_domain):
            sims = self.in_domain @ vector
            count = min(NEIGHBOURS, sims.shape[0])
            neighbours = np.argpartition(-sims, count - 1)[:count]
            agreement = sum(self.intents[i] == label for i in neighbours) / count
        return {
            "score": float(self.config["oos_weight"]) * outside - inside,
            "in_domain_similarity": inside,
            "off_topic_similarity": outside,
            "nearest_intent": self.intents[nearest] if nearest >= 0 else None,
            "agreement": agreement,
        }

    def decide(self, message: Message) -> Dict[str, Any]:
        """The gate's verdict on one message (``reason`` is ``None`` when it is in domain)."""
        text = message.get(TEXT) or ""
        intent = message.get(INTENT) or {}
        verdict: Dict[str, Any] = {
            "out_of_domain": False,
            "reason": None,
            "score": None,
            "threshold": float(self.config["threshold"]),
            "in_domain_similarity": None,
            "off_topic_similarity": None,
            "nearest_intent": None,
            "intent_before": {
                INTENT_NAME_KEY: intent.get(INTENT_NAME_KEY),
                PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY),
            },
            # the intent classifier's own best guess (what a FallbackClassifier thresholds)
            "classifier": classifier_top(message),
        }
        if text.startswith("/") or message.get(ENTITIES) or message.get(RULE_KEY):
            return verdict
        vector = sentence_vector(message)
        if vector is not None and self.in_domain.size:
            scores = self.scores(vector, predicted_label(message))
            verdict.update({k: round(v, 4) if isinstance(v, float) else v
                            for k, v in scores.items()})  # fmt: skip
        kept = intent.get(INTENT_NAME_KEY) in self.config["keep_intents"] and float(
            intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0
        ) >= float(self.config["keep_confidence"])
        reason = surface_reason(text)
        if reason == LANGUAGE:
            verdict["language"] = language_of(text)
        if reason is None and self.mentions_other_company(text):
            reason = REASON_COMPANY
        if reason is None and verdict["score"] is not None:
            disagrees = verdict.get("agreement") == 0
            if disagrees:
                verdict["threshold"] = float(self.config["disagree_threshold"])
            if intent.get(INTENT_NAME_KEY) == OUT_OF_SCOPE:
                reason = REASON_CLASSIFIER
            elif verdict["score"] > verdict["threshold"]:
                reason = REASON_CLOSER
            elif verdict["in_domain_similarity"] < float(self.config["novelty_threshold"]):
                reason = REASON_NOVEL
        if reason is None and intent.get(INTENT_NAME_KEY) == "faq":
            ranking = faq_ranking(message)
            if not ranking or ranking[0][1] < float(self.config["faq_min_confidence"]):
                reason = REASON_WEAK_FAQ
        if reason is not None and not kept:
            verdict["out_of_domain"], verdict["reason"] = True, reason
        return verdict

    def mentions_other_company(self, text: str) -> bool:
        if self._company_pattern is None:
            return False
        folded = normalise_for_names(text)
        return bool(self._company_pattern.search(folded)) and "northwind" not in folded

    def clarification(self, message: Message) -> List[str]:
        """FAQ topics too close to choose between (best first), or ``[]``."""
        ranking = faq_ranking(message)
        if len(ranking) < 2:
            return []
        best = ranking[0][1]
        margin = float(self.config["faq_clarify_margin"])
        close = [topic for topic, confidence in ranking if best - confidence <= margin]
        return close[: int(self.config["faq_clarify_max"])] if len(close) >= 2 else []

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            try:
                verdict = self.decide(message)
            except Exception:
                logger.exception("OutOfDomainGate failed on a message; leaving it as it is")
                continue
            if verdict["out_of_domain"]:
                self._mark_out_of_scope(message, verdict)
            elif (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == "faq":
                topics = self.clarification(message)
                if topics:
                    message.set(FAQ_CLARIFY, topics, add_to_output=True)
            message.set(OOD, verdict, add_to_output=True)
        return messages

    @staticmethod
    def _mark_out_of_scope(message: Message, verdict: Dict[str, Any]) -> None:
        score = verdict.get("score")
        if score is None:
            confidence = 1.0
        else:  # how far past the threshold, squashed to 0.5..1
            confidence = float(1 / (1 + np.exp(-(score - verdict["threshold"]) / 0.05)))
            confidence = round(max(0.5, confidence), 4)
        top = {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: confidence}
        ranking = [
            item
            for item in message.get(INTENT_RANKING_KEY) or []
            if item.get(INTENT_NAME_KEY) != OUT_OF_SCOPE
        ]
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)
