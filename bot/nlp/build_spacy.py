"""The helpdesk's spaCy pipeline: `spacy.blank("en")` + an entity ruler, no downloaded model.

Entities (spaCy labels, which Rasa's SpacyEntityExtractor reports as entity names; they are
the lower-case entity names of domain.yml):
- order_number  "NW-104233"; also "nw-104233", "NW 104233", "NW - 104233", "nw104233",
  "NW_104233"
  (`normalise_order_number` turns every variant into "NW-104233")
- ticket_number "T-000123" (any case; also "T - 000123", "T000123"; `normalise_ticket_number`)
- email         anything spaCy's `like_email` accepts
- phone         UK national numbers (10–11 digits starting with 0, grouped as people write
  them: "020 7946 0000", "07700 900123", "(0161) 496 0000", "020-7946-0000",
  "07700900123") and international ones ("+44 20 7946 0000", "+44 (0)20 7946 0000",
  "+1 (415) 555-0100", "+447700900123")

spaCy's English tokenizer keeps "NW-104233" and "T-000123" as one token (its hyphen infix
rule only splits before a letter) and splits phone numbers at spaces and hyphens, so the
patterns are token patterns over those pieces; no tokenizer change is needed.

`python -m bot.nlp.build_spacy` writes the pipeline to bot/nlp/build/spacy_en (for
`SpacyNLP` with `model: bot/nlp/build/spacy_en`); it rewrites it only when the patterns
changed. `load()` returns the pipeline for other code (built in memory if the directory is
missing or stale); `redact()` masks e-mail addresses and phone numbers in a text.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple

if TYPE_CHECKING:  # spaCy is imported lazily: normalise_order_number() needs none of it
    from spacy.language import Language

OUTPUT_DIR = Path(__file__).resolve().parent / "build" / "spacy_en"
PIPELINE_NAME = "helpdesk_en"
LABELS = ("order_number", "ticket_number", "email", "phone")
REDACTED_LABELS = {"email": "[email]", "phone": "[phone]"}

Pattern = List[Dict[str, Any]]

_DASHES = ["-", "\u2013", "\u2014"]
_SIX_DIGITS: Dict[str, Any] = {"TEXT": {"REGEX": r"^\d{6}$"}}


def _regex(expression: str, attr: str = "TEXT") -> Dict[str, Any]:
    return {attr: {"REGEX": expression}}


def _order_patterns() -> List[Pattern]:
    return [
        [_regex(r"^nw[-_\u2013\u2014]?\d{6}$", "LOWER")],  # NW-104233, nw104233, NW_104233
        [{"LOWER": "nw"}, _SIX_DIGITS],  # NW 104233
        [{"LOWER": "nw"}, {"ORTH": {"IN": _DASHES}}, _SIX_DIGITS],  # NW - 104233
    ]


def _ticket_patterns() -> List[Pattern]:
    return [
        [_regex(r"^t[-\u2013\u2014]?\d{6}$", "LOWER")],  # T-000123, t000123
        [{"LOWER": "t"}, {"ORTH": {"IN": _DASHES}}, _SIX_DIGITS],  # T - 000123
    ]


def _compositions(total: int, min_part: int, max_parts: int) -> Iterator[Tuple[int, ...]]:
    """Ordered ways to write `total` as 1..max_parts parts of at least `min_part`."""
    for parts in range(1, max_parts + 1):
        for combo in itertools.product(range(min_part, total + 1), repeat=parts):
            if sum(combo) == total:
                yield combo


_SEPARATOR: Dict[str, Any] = {"ORTH": {"IN": ["-", "."]}, "OP": "?"}


def _uk_national_patterns() -> List[Pattern]:
    """0 + 9 or 10 digits: area/mobile prefix of 3-5 digits, then 1-2 groups of 3+ digits."""
    patterns: List[Pattern] = [[_regex(r"^0\d{9,10}$")]]  # 07700900123
    for total in (10, 11):
        for first in (3, 4, 5):
            for rest in _compositions(total - first, 3, 2):
                groups: Pattern = []
                for size in rest:
                    groups += [_SEPARATOR, _regex(rf"^\d{{{size}}}$")]
                prefix = _regex(rf"^0\d{{{first - 1}}}$")
                patterns.append([prefix, *groups])  # 020 7946 0000
                patterns.append([{"ORTH": "("}, prefix, {"ORTH": ")"}, *groups])  # (020) ...
    return patterns


def _international_patterns() -> List[Pattern]:
    """+CC then 2-5 digit groups, or one group of 6+ digits; '(0)20' and '(415)' allowed."""
    country = _regex(r"^\+\d{1,3}$")
    group = _regex(r"^(?:\d{1,5}|0\)\d{1,5})$")  # "0)20" is how spaCy splits "(0)20"
    open_paren: Dict[str, Any] = {"ORTH": "(", "OP": "?"}
    close_paren: Dict[str, Any] = {"ORTH": ")", "OP": "?"}
    separator: Dict[str, Any] = {"ORTH": {"IN": ["-", "."]}, "OP": "?"}
    patterns: List[Pattern] = [
        [_regex(r"^\+\d{8,15}$")],  # +447700900123
        [country, _regex(r"^\d{6,12}$")],  # +44 7700900123
    ]
    for count in range(2, 6):
        pattern: Pattern = [country, open_paren, group, close_paren]
        for _ in range(count - 1):
            pattern += [separator, group]
        patterns.append(pattern)
    return patterns


def entity_patterns() -> List[Dict[str, Any]]:
    """The entity ruler's patterns (label + token pattern)."""
    by_label = {
        "order_number": _order_patterns(),
        "ticket_number": _ticket_patterns(),
        "email": [[{"LIKE_EMAIL": True}]],
        "phone": _uk_national_patterns() + _international_patterns(),
    }
    return [
        {"label": label, "pattern": pattern}
        for label, patterns in by_label.items()
        for pattern in patterns
    ]


def patterns_fingerprint() -> str:
    """Short hash of the patterns and spaCy version: the saved pipeline is stale if it differs."""
    import spacy

    payload = json.dumps([spacy.__version__, entity_patterns()], sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def build() -> Language:
    """A new in-memory pipeline: blank English tokenizer + entity ruler."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True, "overwrite_ents": True})
    ruler.add_patterns(entity_patterns())  # type: ignore[attr-defined]
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "Helpdesk entity ruler: order/ticket numbers, e-mails, phones"
    nlp.meta["helpdesk_patterns"] = patterns_fingerprint()
    return nlp


def _is_current(output_dir: Path) -> bool:
    meta_path = output_dir / "meta.json"
    if not meta_path.is_file():
        return False
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("helpdesk_patterns") == patterns_fingerprint()


def save(output_dir: Path = OUTPUT_DIR, force: bool = False) -> Path:
    """Writes the pipeline to `output_dir` unless an identical one is already there."""
    if force or not _is_current(output_dir):
        output_dir.parent.mkdir(parents=True, exist_ok=True)
        build().to_disk(output_dir)
    return output_dir


@functools.lru_cache(maxsize=1)
def load() -> Language:
    """The pipeline, from bot/nlp/build/spacy_en when current, else built in memory."""
    import spacy

    if _is_current(OUTPUT_DIR):
        return spacy.load(OUTPUT_DIR)
    return build()


def normalise_order_number(value: str) -> Optional[str]:
    """'nw 104233', 'NW-104233', 'nw104233' -> 'NW-104233'; None if it isn't one."""
    match = re.fullmatch(r"\s*nw\s*[-_\u2013\u2014]?\s*(\d{6})\s*", value, flags=re.IGNORECASE)
    return f"NW-{match.group(1)}" if match else None


def normalise_ticket_number(value: str) -> Optional[str]:
    """'t-000123', 'T 000123', 'T000123' -> 'T-000123'; None if it isn't one."""
    match = re.fullmatch(r"\s*t\s*[-\u2013\u2014]?\s*(\d{6})\s*", value, flags=re.IGNORECASE)
    return f"T-{match.group(1)}" if match else None


def redact(text: str, nlp: Optional[Language] = None) -> str:
    """`text` with e-mail addresses and phone numbers replaced by [email] / [phone].

    Order and ticket numbers are kept: they are what an agent needs to help.
    """
    doc = (nlp or load())(text)
    parts: List[str] = []
    position = 0
    for ent in doc.ents:
        replacement = REDACTED_LABELS.get(ent.label_)
        if replacement is None:
            continue
        parts.append(text[position : ent.start_char])
        parts.append(replacement)
        position = ent.end_char
    parts.append(text[position:])
    return "".join(parts)


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m bot.nlp.build_spacy [--force] [OUTPUT_DIR]`: writes the pipeline."""
    args = list(sys.argv[1:] if argv is None else argv)
    force = "--force" in args
    rest = [a for a in args if a != "--force"]
    output_dir = Path(rest[0]) if rest else OUTPUT_DIR
    print(save(output_dir, force=force))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
