"""What the assistant does with the help centre's best sections for a question.

``decide`` turns the ranked hits into one of

- ``answer``: the best section is similar enough to the question (cosine ≥ ``ANSWER_AT``)
  and clearly better than the best section of any other article;
- ``choose``: the two best sections of two articles are both plausible and too close to tell
  apart (the customer picks, like the FAQ's "Did you mean ...?");
- ``none``: nothing is similar enough: the assistant declines honestly and offers a person.

A question the out-of-domain gate judged off-topic (``strict``) needs more (``STRICT_AT``):
the help centre may widen what the shop can answer, but "will it rain tomorrow" must not
find its way into the delivery article. Without the question's vector (the encoder could not
be reached) the decision is always ``none``: BM25 alone cannot say "I am sure".

The thresholds are calibrated on ``bench/data/kb_dev.yml`` (never on the benchmark's held-out
questions) by ``python bench/knowledge.py --calibrate``.

``extract`` picks the section's sentences to show: its own words, never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .markdown import split_sentences
from .search import Hit, words

# calibrated on bench/data/kb_dev.yml and bench/data/dev_oos.yml (2026-12-02, bench/README.md)
ANSWER_AT = 0.48  # similarity of the best section
STRICT_AT = 0.60  # ... when the gate had judged the question off-topic (0.6 % of dev off-topic)
CHOOSE_AT = 0.45  # both candidates of a choice at least this similar
CHOOSE_MARGIN = 0.10  # combined scores of two articles closer than this: ask
MAX_SENTENCES = 2
MAX_QUOTE_CHARS = 420


@dataclass
class Decision:
    decision: str  # answer | choose | none
    hits: list[Hit] = field(default_factory=list)
    reason: str = ""
    candidates: list[Hit] = field(default_factory=list)  # the ranking it was made from

    def json(self, question: str) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "passages": [passage_json(hit, question) for hit in self.hits],
            "candidates": [
                {
                    "key": hit.key,
                    "score": round(hit.score, 4),
                    "semantic": None if hit.semantic is None else round(hit.semantic, 4),
                }
                for hit in self.candidates
            ],
        }


def decide(hits: list[Hit], strict: bool = False) -> Decision:
    decision = _decide(hits, strict)
    decision.candidates = hits
    return decision


def _decide(hits: list[Hit], strict: bool) -> Decision:
    if not hits:
        return Decision("none", reason="no section matches")
    best = hits[0]
    if best.semantic is None:
        return Decision("none", reason="no similarity (encoder unreachable or no vectors yet)")
    threshold = STRICT_AT if strict else ANSWER_AT
    other = next((h for h in hits[1:] if h.article_id != best.article_id), None)
    close = (
        other is not None
        and other.semantic is not None
        and best.score - other.score < CHOOSE_MARGIN
        and other.semantic >= CHOOSE_AT
    )
    if best.semantic < (threshold if not close else max(CHOOSE_AT, threshold - 0.05)):
        return Decision("none", reason=f"best similarity {best.semantic:.2f} is weak")
    if close and not strict:
        return Decision("choose", [best, other], reason="two articles are about as likely")
    if close:
        return Decision("none", reason="off-topic and ambiguous")
    return Decision("answer", [best], reason=f"similarity {best.semantic:.2f}")


def _stems(text: str) -> set[str]:
    return {word[:5] for word in words(text)}


def extract(hit: Hit, question: str) -> str:
    """The one or two sentences of the section that best answer ``question``, in the section's
    order (the first ones when none shares a word with it)."""
    sentences = split_sentences(hit.body)
    if not sentences:
        return ""
    asked = _stems(question) | _stems(hit.heading)
    scored = [
        (len(_stems(sentence) & asked) - 0.01 * index, index)
        for index, sentence in enumerate(sentences)
    ]
    best = max(scored)[1]
    chosen = [best]
    if best + 1 < len(sentences) and len(sentences[best]) < MAX_QUOTE_CHARS // 2:
        chosen.append(best + 1)  # the sentence after it usually completes the answer
    quote = " ".join(sentences[i] for i in chosen[:MAX_SENTENCES])
    if len(quote) > MAX_QUOTE_CHARS:
        quote = sentences[best]
    return re.sub(r"\s+", " ", quote).strip()


def passage_json(hit: Hit, question: str) -> dict[str, Any]:
    return {
        "key": hit.key,
        "slug": hit.slug,
        "anchor": hit.anchor,
        "title": hit.title,
        "heading": hit.heading,
        "url": hit.url,
        "category": hit.category,
        "quote": extract(hit, question),
        "score": round(hit.score, 4),
        "semantic": None if hit.semantic is None else round(hit.semantic, 4),
        "lexical": round(hit.lexical, 4),
    }
