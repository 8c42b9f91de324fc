"""Customer text for analysis: normalising, tokenising, top words and near-duplicate groups.

``normalise`` makes "Where is my order NW-104233??" and "where is my order nw-555123" the same
key: lowercase, order numbers and any token holding a digit removed, punctuation stripped,
whitespace collapsed. ``group_similar`` then merges keys whose token sets are near-duplicates
(Jaccard similarity >= 0.8) with a prefix-filtered index, so a few thousand messages group in
well under a second instead of comparing every pair.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ORDER_NUMBER = re.compile(r"\b[a-z]{1,4}-?\d{3,}\b", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
TOKEN_WITH_DIGIT = re.compile(r"\S*\d\S*")
NON_WORD = re.compile(r"[^\w\s]|_")
SPACES = re.compile(r"\s+")

# A compact English stop-word list (function words and chat filler).
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever every few for from further get got had hadn't
    has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself
    his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself just let's
    like me more most much mustn't my myself no nor not now of off on once one only or other
    ought our ours ourselves out over own please really same shan't she she'd she'll she's
    should shouldn't so some still such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those through to too under
    until up upon us very was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's which while who who's whom why why's will with won't would wouldn't
    yet you you'd you'll you're you've your yours yourself yourselves hi hello thanks thank ok
    okay yes yeah hey im dont cant wont
    """.split()
)


def normalise(text: str) -> str:
    """Lowercase; order numbers, tokens with digits and punctuation removed; spaces collapsed."""
    text = ORDER_NUMBER.sub(" ", text.lower())
    text = TOKEN_WITH_DIGIT.sub(" ", text)
    text = NON_WORD.sub(" ", text)
    return SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Lowercase words of ``text`` without order numbers, digits or stop words (min 3 letters)."""
    text = ORDER_NUMBER.sub(" ", text.lower())
    return [
        word
        for word in (match.group(0).strip("'") for match in WORD.finditer(text))
        if len(word) >= 3 and word not in STOP_WORDS
    ]


def top_words(
    texts: Iterable[str], limit: int = 20, leave_out: Iterable[str] = ()
) -> list[dict[str, object]]:
    """The most frequent words; ties in alphabetical order; ``leave_out``: words never counted
    (the customers' names: a trend of complaints is about what, not who)."""
    skip = {word.lower() for word in leave_out}
    counts = Counter(word for text in texts for word in words(text) if word not in skip)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"word": word, "count": count} for word, count in ranked[:limit]]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass
class Group:
    """Near-duplicate texts: the leading key and every key merged into it."""

    key: str
    tokens: frozenset[str]
    members: list[str] = field(default_factory=list)


def group_similar(
    keys: Sequence[str], weights: dict[str, int] | None = None, threshold: float = 0.8
) -> list[Group]:
    """Greedy leader clustering of normalised ``keys`` by token-set Jaccard >= ``threshold``.

    Keys are visited heaviest first (``weights``: how many messages each key stands for), so
    the most frequent wording leads its group. A key joins the first existing leader it is
    similar enough to, else it leads a new group. Candidate leaders come from an inverted
    index over each leader's *prefix* tokens (rarest first): two sets with Jaccard >= t must
    share a token among the first ``|s| - ceil(t*|s|) + 1`` of either, so other leaders are
    never compared. Leaders never chain: every member is similar to its own leader.
    """
    weights = weights or {}
    token_sets = {key: frozenset(key.split()) for key in keys}
    frequency = Counter(token for tokens in token_sets.values() for token in tokens)

    def ordered(tokens: frozenset[str]) -> list[str]:
        return sorted(tokens, key=lambda token: (frequency[token], token))

    def prefix(tokens: frozenset[str]) -> list[str]:
        size = len(tokens)
        return ordered(tokens)[: size - math.ceil(threshold * size) + 1] if size else []

    groups: list[Group] = []
    index: dict[str, list[int]] = {}
    empty_group: int | None = None
    for key in sorted(token_sets, key=lambda k: (-weights.get(k, 1), k)):
        tokens = token_sets[key]
        if not tokens:
            if empty_group is None:
                empty_group = len(groups)
                groups.append(Group(key, tokens))
            groups[empty_group].members.append(key)
            continue
        candidates: set[int] = set()
        for token in prefix(tokens):
            candidates.update(index.get(token, ()))
        leader = next(
            (
                number
                for number in sorted(candidates)
                if jaccard(tokens, groups[number].tokens) >= threshold
            ),
            None,
        )
        if leader is None:
            leader = len(groups)
            groups.append(Group(key, tokens))
            for token in prefix(tokens):
                index.setdefault(token, []).append(leader)
        groups[leader].members.append(key)
    return groups
