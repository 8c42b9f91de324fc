"""Render the out-of-scope data: training negatives, a development set and the held-out test set.

Sources (``bot/oos/``):
- HWU64 (Liu et al. 2019, CC BY 4.0; ``$HWU64_DIR``, default ``../shared/datasets/hwu64``):
  varied real wording of a home assistant's users, almost all of it off-topic for a shop.
  Intents that overlap the assistant's own (yes, no, stop, praise, "say that again",
  takeaway order status ...) are left out as a whole (``EXCLUDED_INTENTS``); rows that use
  the shop's own vocabulary are dropped from the others (``SHOP_WORDS``). Training and
  development rows come from HWU64's train.csv, test rows only from its test.csv.
- ``bot/oos/handwritten.yml``: shop-adjacent messages written for this project (products we
  don't sell, other shops, world knowledge, chit-chat, abuse, requests the bot can't do,
  other languages, gibberish and markup). Each is assigned to train / dev / test by a hash of
  its text, so the split is stable when messages are added.

Outputs (committed; re-run with ``python scripts/build_oos.py`` after changing a source):
- ``bot/oos/train.yml``: the out-of-domain gate's negatives (``negatives`` in config.yml):
  the hand-written training share and HWU64 training rows;
- ``bot/data/nlu/out_of_scope.yml``: the few clear off-topic examples the intent classifier
  (DIET) trains on: HWU64 rows only (``CLASSIFIER_PER_INTENT`` per intent), never the
  shop-adjacent hand-written ones (they teach DIET that real shop questions are off-topic);
- ``bench/data/dev_oos.yml``: development set (threshold calibration, never trained on);
- ``tests/nlu/oos_heldout.yml``: held-out test set (never trained on, never tuned on).

``--check`` fails when the committed files differ from what the sources render.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HANDWRITTEN = ROOT / "bot" / "oos" / "handwritten.yml"
GATE_OUT = ROOT / "bot" / "oos" / "train.yml"
CLASSIFIER_OUT = ROOT / "bot" / "data" / "nlu" / "out_of_scope.yml"
DEV_OUT = ROOT / "bench" / "data" / "dev_oos.yml"
TEST_OUT = ROOT / "tests" / "nlu" / "oos_heldout.yml"

# HWU64 intents that are (or may be) in scope for a shop's helpdesk, or that are answers to the
# bot's own questions: left out entirely, from every split.
EXCLUDED_INTENTS = {
    "general_affirm",  # yes
    "general_negate",  # no / "you got it wrong"
    "general_commandstop",  # stop, cancel, goodbye
    "general_confirm",  # "can you check that"
    "general_dontcare",  # an answer to a choice
    "general_explain",  # "I don't understand, explain"
    "general_praise",  # thanks
    "general_repeat",  # "say that again"
    "takeaway_query",  # "when will I get my delivery", "status of my order"
    "social_post",  # "send a complaint to ...", "contact details of a service centre"
}
# Rows of the other intents that use the shop's own vocabulary are ambiguous: dropped.
SHOP_WORDS = re.compile(
    r"\b(orders?|ordered|deliver\w*|parcels?|packages?|shipping|shipped|refunds?|returns?|"
    r"complain\w*|complaints?|invoices?|receipts?|payments?|pay|paid|warranty|guarantee|"
    r"accounts?|passwords?|log ?in|sign ?in|tracking|track|customer service|support|help|"
    r"agent|human|person|staff|contact|email address|phone number|what can you do|"
    r"who are you|are you a (?:bot|robot|human)|hello|hi|hey|thanks?|thank you|bye|goodbye)\b",
    re.IGNORECASE,
)
TRAIN_PER_INTENT = 20
CLASSIFIER_PER_INTENT = 4  # the first of the TRAIN_PER_INTENT rows
DEV_PER_INTENT = 4
TEST_PER_INTENT = 8
# share of the hand-written messages per split (by a hash of the text)
HANDWRITTEN_SPLIT = (("train", 0.6), ("dev", 0.15), ("test", 0.25))

ATTRIBUTION = (
    "# Contains data derived from HWU64 (NLU Evaluation Data; Liu, Eshghi, Swietojanski and\n"
    '# Rieser, "Benchmarking Natural Language Understanding Services for building Conversational\n'
    '# Agents", IWSDS 2019), licensed CC BY 4.0: https://creativecommons.org/licenses/by/4.0/.\n'
    "# Rows were selected and lower-cased by scripts/build_oos.py; no other change.\n"
)


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16)


# Rasa reads "[text](entity)" and "[text]{...}" in an example as an entity annotation.
_ANNOTATION = re.compile(r"\[[^\]]*\](?:\(|\{)")


def clean(text: str) -> str:
    """One line of plain text, or "" for what can't be a training example as it stands."""
    text = re.sub(r"\s+", " ", text).strip().strip('"').strip()
    if text.startswith("/") or _ANNOTATION.search(text):
        return ""
    return text


def hwu64_dir() -> Path:
    return Path(os.environ.get("HWU64_DIR") or ROOT.parent / "shared" / "datasets" / "hwu64")


def in_domain_texts() -> set[str]:
    """Lower-cased examples of every in-domain intent in bot/data: never also off-topic."""
    texts: set[str] = set()
    for path in sorted((ROOT / "bot" / "data").rglob("*.yml")):
        if path == CLASSIFIER_OUT:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if block.get("intent") in (None, "out_of_scope"):
                continue
            for line in str(block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    texts.add(_ANNOTATION_TEXT.sub(r"\1", line.strip()[2:]).strip().lower())
    return texts


_ANNOTATION_TEXT = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def hwu64_rows(path: Path) -> dict[str, list[str]]:
    """``{intent: [text, ...]}`` of one HWU64 file, after the exclusions, in hash order."""
    by_intent: dict[str, set[str]] = defaultdict(set)
    taken = in_domain_texts()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            intent, text = row.get("intent") or "", clean(row.get("text") or "")
            if not text or intent in EXCLUDED_INTENTS or SHOP_WORDS.search(text):
                continue
            if len(text.split()) < 2:  # single words ("horoscope", "jane") carry no sense
                continue
            if text.lower() in taken:  # "see you" is also a goodbye of ours
                continue
            by_intent[intent].add(text.lower())
    return {i: sorted(texts, key=_digest) for i, texts in sorted(by_intent.items())}


def handwritten() -> dict[str, list[tuple[str, str]]]:
    """``{split: [(category, text), ...]}`` of bot/oos/handwritten.yml."""
    data = yaml.safe_load(HANDWRITTEN.read_text(encoding="utf-8")) or {}
    splits: dict[str, list[tuple[str, str]]] = defaultdict(list)
    seen: set[str] = in_domain_texts()
    for category, texts in (data.get("categories") or {}).items():
        for raw in texts or []:
            text = clean(str(raw))
            if not text or text.lower() in seen:
                continue
            seen.add(text.lower())
            point = (_digest(text) % 10_000) / 10_000
            edge = 0.0
            for split, share in HANDWRITTEN_SPLIT:
                edge += share
                if point < edge:
                    splits[split].append((category, text))
                    break
    return splits


def render(header: str, groups: list[tuple[str, list[str]]]) -> str:
    """Rasa NLU YAML with one ``out_of_scope`` block per source group (comments say which)."""
    lines = [header.rstrip("\n"), 'version: "3.1"', "", "nlu:"]
    for comment, examples in groups:
        if not examples:
            continue
        lines.append(f"  # {comment}")
        lines.append("  - intent: out_of_scope")
        lines.append("    examples: |")
        lines.extend(f"      - {text}" for text in examples)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def build() -> dict[Path, str]:
    source = hwu64_dir()
    train_rows = hwu64_rows(source / "train.csv")
    test_rows = hwu64_rows(source / "test.csv")
    hand = handwritten()

    def hand_groups(split: str) -> list[tuple[str, list[str]]]:
        by_category: dict[str, list[str]] = defaultdict(list)
        for category, text in hand.get(split, []):
            by_category[category].append(text)
        return [(f"hand-written: {c}", t) for c, t in sorted(by_category.items())]

    def hwu_groups(rows: dict[str, list[str]], start: int, count: int):
        return [(f"HWU64 {i}", texts[start : start + count]) for i, texts in rows.items()]

    gate = render(
        "# Off-topic messages for the out-of-domain gate (config.yml: negatives), generated by\n"
        "# scripts/build_oos.py: do not edit.\n" + ATTRIBUTION,
        hand_groups("train") + hwu_groups(train_rows, 0, TRAIN_PER_INTENT),
    )
    classifier = render(
        "# Clear off-topic messages (intent out_of_scope) for the intent classifier, generated by\n"
        "# scripts/build_oos.py: do not edit. The gate's own negatives are bot/oos/train.yml.\n"
        + ATTRIBUTION,
        hwu_groups(train_rows, 0, CLASSIFIER_PER_INTENT),
    )
    dev = render(
        "# Development set of off-topic messages, generated by scripts/build_oos.py: used to\n"
        "# calibrate and compare thresholds, never for training, never the test.\n" + ATTRIBUTION,
        hand_groups("dev") + hwu_groups(train_rows, TRAIN_PER_INTENT, DEV_PER_INTENT),
    )
    test = render(
        "# Held-out off-topic messages, generated by scripts/build_oos.py: never used in\n"
        "# training nor to tune anything (tests/e2e/test_nlu_quality.py, bench/oos.py).\n"
        "# HWU64 rows come from its test split only.\n" + ATTRIBUTION,
        hand_groups("test") + hwu_groups(test_rows, 0, TEST_PER_INTENT),
    )
    return {GATE_OUT: gate, CLASSIFIER_OUT: classifier, DEV_OUT: dev, TEST_OUT: test}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the outputs are stale")
    args = parser.parse_args(argv)
    if not (hwu64_dir() / "train.csv").exists():
        where = f"HWU64 not found in {hwu64_dir()} (set HWU64_DIR)"
        if args.check:
            print(f"{where}: the off-topic data was not re-checked", file=sys.stderr)
            return 0
        print(where, file=sys.stderr)
        return 1
    outputs = build()
    if args.check:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text() != text]
        if stale:
            print("stale:", ", ".join(str(p.relative_to(ROOT)) for p in stale), file=sys.stderr)
            return 1
        return 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        count = sum(1 for line in text.splitlines() if line.startswith("      - "))
        print(f"{path.relative_to(ROOT)}: {count} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
