"""Lexicon-based emotion detection: every message gets ``neutral``, ``frustrated`` or ``angry``.

The guide asks the service to notice the customer's emotional state (識別出客戶的情緒狀態)
and to reassure and defuse; this component only measures, the hub channel (bot/channels.py)
and the actions react. Put it anywhere in the NLU pipeline of config.yml:

    - name: bot.components.emotion.EmotionAnalyzer

It is registered as a non-trainable entity extractor, so it runs at prediction time only and
changes nothing in training. Each parsed message gets ``"emotion": {"label", "score"}`` in its
parse data (``/model/parse`` shows it, the tracker keeps it on the user turn).

How the score is made (``analyse``), all additive:
- words and phrases from a small lexicon, weighted: anger (furious, disgrace, scam ...),
  frustration (annoyed, fed up, still waiting ...), swearing (strong and mild, also spelt
  ``f***``), a few Chinese words (生气, 垃圾, 失望 ...) and emoji; positive words count
  negatively;
- negation within the three words before a lexicon word (not, no, never mind, don't, 不, 没 ...)
  turns it around: "not angry" calms, "not happy" frustrates;
- intensifiers (very, really, so, absolutely ...) multiply the next lexicon word by 1.5;
- shouting: several words in capitals; runs of ``!!`` / ``!!!`` and ``?!``.

A raw score of 1 or more is ``frustrated``, 3 or more ``angry`` (configurable). The reported
``score`` is the raw score scaled to 0..1 (raw / 5, capped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

EMOTION = "emotion"
NEUTRAL, FRUSTRATED, ANGRY = "neutral", "frustrated", "angry"
LABELS = (NEUTRAL, FRUSTRATED, ANGRY)

# Single English words (lower case) and their weight; negative = calming / positive mood.
WORDS: Dict[str, float] = {
    # anger
    "angry": 2.5, "angrier": 2.5, "furious": 3.0, "livid": 3.0, "outraged": 3.0,
    "outrageous": 2.5, "fuming": 3.0, "seething": 3.0, "enraged": 3.0, "raging": 2.5,
    "mad": 1.5, "hate": 2.0, "hated": 2.0, "disgusted": 2.5, "disgusting": 2.5,
    "disgrace": 2.5, "disgraceful": 2.5, "unacceptable": 2.0, "appalling": 2.5,
    "appalled": 2.5, "atrocious": 2.5, "shocking": 1.5, "shameful": 2.0, "ridiculous": 1.5,
    "absurd": 1.5, "pathetic": 2.0, "useless": 1.5, "incompetent": 2.0, "incompetence": 2.0,
    "clueless": 1.5, "scam": 2.5, "scammers": 2.5, "scammed": 2.5, "liars": 2.0, "lying": 1.5,
    "lied": 1.5, "cheated": 2.0, "robbed": 2.0, "worst": 2.0, "terrible": 1.5, "awful": 1.5,
    "horrible": 1.5, "horrendous": 2.0, "dreadful": 1.5, "rubbish": 1.5, "garbage": 1.5,
    "nightmare": 1.5, "sue": 2.0, "lawyer": 1.5, "solicitor": 1.5, "ombudsman": 1.0,
    "chargeback": 1.0, "joke": 0.5, "insulting": 2.0, "rude": 1.0, "unbelievable": 1.5,
    # frustration
    "frustrated": 1.5, "frustrating": 1.5, "frustration": 1.5, "annoyed": 1.2,
    "annoying": 1.2, "irritated": 1.2, "irritating": 1.2, "upset": 1.2, "disappointed": 1.5,
    "disappointing": 1.5, "unhappy": 1.2, "dissatisfied": 1.2, "hopeless": 1.5,
    "ignored": 1.5, "ignoring": 1.5, "waste": 1.0, "wasted": 1.0, "stressed": 1.0,
    "stressful": 1.0, "fed-up": 1.5, "again": 0.5, "ages": 0.5, "forever": 0.5,
    "still": 0.3, "sigh": 0.8, "ugh": 1.0, "argh": 1.2, "seriously": 0.5, "worried": 0.5,
    # swearing: strong
    "fuck": 2.5, "fucking": 2.5, "fucked": 2.5, "fuckin": 2.5, "shit": 2.5, "shitty": 2.5,
    "bullshit": 2.5, "wtf": 2.5, "ffs": 2.5, "bastard": 2.5, "bastards": 2.5, "pissed": 2.5,
    "twat": 2.5, "arsehole": 2.5, "asshole": 2.5,
    # swearing: mild
    "damn": 1.0, "damned": 1.0, "bloody": 1.0, "crap": 1.5, "crappy": 1.5, "hell": 1.0,
    "arse": 1.0, "piss": 1.5, "sucks": 1.5,
    # positive (calming)
    "thanks": -0.8, "thank": -0.8, "great": -1.0, "good": -0.8, "happy": -1.0,
    "love": -1.0, "perfect": -1.0, "brilliant": -1.0, "excellent": -1.0, "wonderful": -1.0,
    "pleased": -1.0, "appreciate": -0.8, "helpful": -1.0, "amazing": -1.0, "awesome": -1.0,
    "lovely": -1.0, "fantastic": -1.0, "satisfied": -1.0, "calm": -0.5, "fine": -0.3,
}  # fmt: skip

# Phrases are matched before single words; their words are not counted again.
PHRASES: Dict[str, float] = {
    "fed up": 1.5, "sick of": 1.5, "sick and tired": 2.0, "tired of": 1.2,
    "had enough": 1.5, "how many times": 1.5, "for the last time": 1.5, "third time": 1.0,
    "fourth time": 1.5, "second time": 0.5, "still waiting": 1.0, "still not": 0.8,
    "still haven't": 0.8, "still hasn't": 0.8, "nobody": 0.6, "no one": 0.6,
    "waste of time": 1.5, "not good enough": 1.5, "rip off": 2.0, "rip-off": 2.0,
    "ripoff": 2.0, "thanks for nothing": 2.5, "what the hell": 2.0, "where the hell": 2.0,
    "what the heck": 1.0, "are you kidding": 1.5, "you're kidding": 1.0, "kidding me": 1.5,
    "piece of crap": 2.5, "never again": 1.5, "no help": 1.0, "trading standards": 1.5,
    "give me my money back": 1.0, "i want my money back": 1.0, "sort it out": 1.0,
    "can't believe": 1.0, "cannot believe": 1.0, "at all": 0.3, "up to here": 1.5,
    "is a joke": 1.5, "what a joke": 1.5, "absolute joke": 2.0, "no problem": -0.8,
    "no worries": -0.8, "never mind": -0.3, "good job": -1.0,
}  # fmt: skip

# Chinese terms (substring match, longest first) and emoji.
CHINESE: Dict[str, float] = {
    "气死": 3.0, "愤怒": 3.0, "生气": 2.0, "火大": 2.5, "垃圾": 2.5, "太差": 2.0, "很差": 1.5,
    "差劲": 2.0, "失望": 1.5, "烦死": 2.5, "烦": 1.0, "受够": 2.0, "无语": 1.5, "骗子": 3.0,
    "骗人": 2.5, "糟糕": 1.5, "不满": 1.5, "太慢": 1.0, "到底": 0.8, "妈的": 3.0, "他妈": 3.0,
    "滚": 2.5, "恶心": 2.0, "坑人": 2.0, "谢谢": -0.8, "满意": -1.0, "很好": -1.0,
}  # fmt: skip
CHINESE_NEGATORS = ("不", "没", "没有", "别", "不要")

EMOJI: Dict[str, float] = {
    "\U0001f621": 2.5, "\U0001f92c": 3.0, "\U0001f620": 2.0, "\U0001f624": 1.5,
    "\U0001f44e": 1.0, "\U0001f612": 1.0, "\U0001f629": 1.0, "\U0001f62b": 1.0,
    "\U0001f644": 1.0, "\U0001f61e": 0.8, "\U0001f620\ufe0f": 2.0, "\U0001f595": 3.0,
    "\U0001f642": -0.5, "\U0001f60a": -0.8, "\U0001f44d": -0.8, "\u2764": -0.8,
    "\U0001f600": -0.8, "\U0001f603": -0.8, "\U0001f604": -0.8,
}  # fmt: skip

NEGATORS = {
    "not", "no", "dont", "don't", "doesnt", "doesn't", "didnt", "didn't", "isnt", "isn't",
    "wasnt", "wasn't", "arent", "aren't", "wont", "won't", "cant", "can't", "cannot",
    "hardly", "without", "nothing",
}  # fmt: skip
INTENSIFIERS = {
    "very": 1.5, "really": 1.5, "so": 1.5, "extremely": 1.8, "absolutely": 1.8,
    "totally": 1.5, "completely": 1.5, "utterly": 1.8, "incredibly": 1.8, "beyond": 1.5,
    "seriously": 1.3, "super": 1.5, "too": 1.3, "bloody": 1.5, "fucking": 1.5,
}  # fmt: skip
# Capitalised words that are not shouting.
ACRONYMS = {
    "NW", "DPD", "DHL", "UPS", "UK", "EU", "OK", "VAT", "FAQ", "ID", "PDF", "USA", "GBP",
    "SMS", "PIN", "TV", "PC", "VIP", "ASAP", "RMA",
}  # fmt: skip

_TOKEN = re.compile(r"[a-z]+(?:['\u2019][a-z]+)?|[\u4e00-\u9fff]+|[!?]+|[.,;:]")
_CENSORED = re.compile(r"\b(?:f[\*#@]+k?|f[\*#@]+ing|s[\*#@]+t|sh[\*#@]+)\b|\bf\*+", re.I)
_UPPER_WORD = re.compile(r"\b[A-Z][A-Z']+\b")
_WORD = re.compile(r"\b[A-Za-z][A-Za-z']*\b")
_BANG_RUN = re.compile(r"!{2,}")
_PHRASE_SPLIT = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class Emotion:
    label: str
    score: float
    raw: float = 0.0

    def as_dict(self) -> Dict[str, Any]:
        return {"label": self.label, "score": self.score}


def _label(raw: float, frustrated_at: float, angry_at: float) -> str:
    if raw >= angry_at:
        return ANGRY
    if raw >= frustrated_at:
        return FRUSTRATED
    return NEUTRAL


def _shouting(text: str) -> float:
    upper = [w for w in _UPPER_WORD.findall(text) if w.strip("'") not in ACRONYMS]
    words = [w for w in _WORD.findall(text) if len(w) >= 2 and w not in ACRONYMS]
    if len(upper) >= 3 and words and len(upper) / len(words) >= 0.6:
        return 1.5
    if len([w for w in upper if len(w) >= 3]) >= 2:
        return 0.75
    return 0.0


def _punctuation(text: str) -> float:
    score = 0.0
    runs = [len(r) for r in _BANG_RUN.findall(text)]
    if runs:
        score += 1.0 if max(runs) >= 3 else 0.5
    if "?!" in text or "!?" in text:
        score += 0.5
    return score


def _chinese(text: str) -> float:
    score = 0.0
    taken = [False] * len(text)
    for term in sorted(CHINESE, key=len, reverse=True):
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                weight = CHINESE[term]
                before = text[max(0, start - 2) : start]
                if any(before.endswith(n) for n in CHINESE_NEGATORS):
                    weight = -0.5 * weight if weight > 0 else -weight
                score += weight
            start = text.find(term, end)
    return score


def _emoji(text: str) -> float:
    return sum(weight * text.count(symbol) for symbol, weight in EMOJI.items())


def _lexicon(tokens: List[str]) -> float:
    score = 0.0
    i = 0
    consumed = [False] * len(tokens)
    # phrases first, longest first
    for phrase in sorted(PHRASES, key=lambda p: len(_PHRASE_SPLIT.split(p)), reverse=True):
        words = _PHRASE_SPLIT.split(phrase)
        n = len(words)
        for start in range(0, len(tokens) - n + 1):
            if tokens[start : start + n] == words and not any(consumed[start : start + n]):
                score += PHRASES[phrase]
                for k in range(start, start + n):
                    consumed[k] = True
    while i < len(tokens):
        token = tokens[i]
        if consumed[i] or token not in WORDS:
            i += 1
            continue
        weight = WORDS[token]
        window = tokens[max(0, i - 3) : i]
        # stop the look-back at punctuation
        for cut in range(len(window) - 1, -1, -1):
            if window[cut][0] in ".,;:!?":
                window = window[cut + 1 :]
                break
        if any(w in NEGATORS for w in window):
            weight = -0.5 * weight if weight > 0 else -weight
        elif i > 0 and tokens[i - 1] in INTENSIFIERS and weight > 0:
            weight *= INTENSIFIERS[tokens[i - 1]]
        score += weight
        i += 1
    return score


def tokenize(text: str) -> List[str]:
    lowered = text.lower().replace("\u2019", "'")
    return _TOKEN.findall(lowered)


def analyse(text: Optional[str], frustrated_at: float = 1.0, angry_at: float = 3.0) -> Emotion:
    """The emotion of one message (never raises; empty or odd input is neutral)."""
    if not text or not isinstance(text, str):
        return Emotion(NEUTRAL, 0.0, 0.0)
    text = text[:5000]
    if text.startswith("/"):  # a button payload, not something the customer typed
        return Emotion(NEUTRAL, 0.0, 0.0)
    raw = _lexicon(tokenize(text))
    raw += len(_CENSORED.findall(text)) * 2.5
    raw += _chinese(text)
    raw += _emoji(text)
    # shouting and "!!!" only count as emotion when something else points that way or they
    # are strong on their own
    raw += _shouting(text) + _punctuation(text)
    raw = round(raw, 3)
    score = round(min(1.0, max(0.0, raw) / 5.0), 2)
    return Emotion(_label(raw, frustrated_at, angry_at), score, raw)


def strongest(labels: List[Optional[str]]) -> str:
    """The strongest of several labels (``angry`` > ``frustrated`` > ``neutral``)."""
    best = NEUTRAL
    for label in labels:
        if label in LABELS and LABELS.index(label) > LABELS.index(best):
            best = label
    return best


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EmotionAnalyzer(GraphComponent):
    """Adds ``emotion: {label, score}`` to every parsed message."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"frustrated_threshold": 1.0, "angry_threshold": 3.0}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.frustrated_at = float(config.get("frustrated_threshold", 1.0))
        self.angry_at = float(config.get("angry_threshold", 3.0))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmotionAnalyzer:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            emotion = analyse(message.get(TEXT), self.frustrated_at, self.angry_at)
            message.set(EMOTION, emotion.as_dict(), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


def label_and_score(parse_data: Optional[Dict[str, Any]]) -> Tuple[str, float]:
    """The emotion stored in a parse result, ``("neutral", 0.0)`` when there is none."""
    value = (parse_data or {}).get(EMOTION) or {}
    label = value.get("label") if isinstance(value, dict) else None
    score = value.get("score") if isinstance(value, dict) else None
    if label not in LABELS:
        return NEUTRAL, 0.0
    try:
        return label, float(score or 0.0)
    except (TypeError, ValueError):
        return label, 0.0
