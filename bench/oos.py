"""Out-of-scope benchmark: does the assistant decline what it should, and still answer the rest?

Loads a trained model (default: the current one, trained when stale) with Rasa's ``Agent``,
parses every held-out example one at a time and prints one JSON line per pipeline:

- ``gate``: the shipped pipeline (config.yml, out-of-domain gate included): a message is
  declined when its final intent is ``out_of_scope``;
- ``rasa_fallback_<t>``: Rasa's own recipe for the same job, on the same parses: a
  FallbackClassifier with threshold ``t`` on the classifier's best intent (``ood.classifier``)
  declines when that intent is ``out_of_scope`` or its confidence is below ``t``.

Figures (fractions): ``oos_recall`` (off-topic messages declined), ``false_answer_rate``
(off-topic messages answered with an FAQ topic or a task: check an order, a ticket, make a
complaint), ``in_domain_intent_accuracy`` (intents_heldout + faq_heldout; an FAQ question
counts when its intent is ``faq``), ``faq_topic_accuracy`` (right topic, and not declined),
``yes_no_accuracy`` and recall per source of the off-topic set.

Data: tests/nlu/oos_heldout.yml (HWU64 test rows and hand-written shop-adjacent messages),
the ``out_of_scope`` block of tests/nlu/intents_heldout.yml, tests/nlu/faq_heldout.yml,
tests/nlu/yes_no_heldout.yml. None of it is trained on or used to tune anything.

``--calibrate`` instead parses the development sets (bench/data/dev_*.yml, never the test
sets) and prints, for target in-domain rejection rates, the gate thresholds to put in
config.yml and the development recall they give.

    python bench/oos.py                       # the current model
    python bench/oos.py --model bot/models/helpdesk-<hash>.tar.gz
    python bench/oos.py --calibrate
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HELDOUT = ROOT / "tests" / "nlu"
DEV = ROOT / "bench" / "data"
TASKS = {"check_order_status", "check_ticket_status", "file_complaint"}
RASA_THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)|\[([^\]]+)\]\{[^}]+\}")

Example = tuple[str, str, str]  # (text, label, source)


def read_nlu(path: Path, source: Optional[str] = None) -> list[Example]:
    """``(text, intent, source)`` of a Rasa NLU file; the source is the comment above a
    block (``# HWU64 weather_query`` -> ``HWU64``), else ``source`` or the file name."""
    if not path.exists():
        raise SystemExit(f"missing data file: {path}")
    examples: list[Example] = []
    intent, comment = None, None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("# ") and line.startswith("  #"):
            comment = stripped[2:]
        elif stripped.startswith("- intent:"):
            intent = stripped.split(":", 1)[1].strip()
        elif stripped.startswith("- ") and intent and line.startswith("      "):
            text = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), stripped[2:]).strip()
            origin = source or path.stem
            if comment:
                origin = (
                    comment.split(":")[0].split()[0]
                    if comment.startswith("HWU64")
                    else (comment.replace("hand-written: ", "hand-written/"))
                )
            examples.append((text, intent, origin))
    return examples


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def parse_all(model: Path, texts: list[str]) -> tuple[list[dict], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    await agent.parse_message("warm up")
    results, latencies = [], []
    for text in texts:
        begin = time.perf_counter()
        results.append(await agent.parse_message(text))
        latencies.append(time.perf_counter() - begin)
    return results, latencies


def gate_decision(parse: dict) -> str:
    return (parse.get("intent") or {}).get("name") or ""


def rasa_decision(parse: dict, threshold: float) -> str:
    """What a FallbackClassifier at ``threshold`` would leave as the intent."""
    top = (parse.get("ood") or {}).get("classifier") or parse.get("intent") or {}
    name, confidence = top.get("name") or "", float(top.get("confidence") or 0.0)
    return "nlu_fallback" if confidence < threshold else name


def topic_of(parse: dict) -> Optional[str]:
    response = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    return response.get("intent_response_key")


def figures(name: str, decide, data: dict[str, list[Example]], parses: dict) -> dict[str, Any]:
    out = data["oos"]
    declined = [decide(parses[text]) == "out_of_scope" for text, _, _ in out]
    answered = [decide(parses[text]) in TASKS | {"faq"} for text, _, _ in out]
    by_source: dict[str, list[bool]] = defaultdict(list)
    for (_, _, source), hit in zip(out, declined, strict=True):
        by_source[source].append(hit)
    indomain = data["intents"] + data["faq"]
    right = [decide(parses[t]) == label.split("/")[0] for t, label, _ in indomain]
    topics = [
        decide(parses[t]) == "faq" and topic_of(parses[t]) == label for t, label, _ in data["faq"]
    ]
    yes_no = [decide(parses[t]) == label for t, label, _ in data["yes_no"]]
    return {
        "benchmark": "oos",
        "pipeline": name,
        "oos_examples": len(out),
        "oos_recall": round(sum(declined) / len(out), 4),
        "false_answer_rate": round(sum(answered) / len(out), 4),
        "in_domain_examples": len(indomain),
        "in_domain_intent_accuracy": round(sum(right) / len(indomain), 4),
        "faq_topic_accuracy": round(sum(topics) / len(topics), 4),
        "yes_no_accuracy": round(sum(yes_no) / len(yes_no), 4),
        "oos_recall_by_source": {
            source: round(sum(hits) / len(hits), 4) for source, hits in sorted(by_source.items())
        },
    }


def heldout_sets() -> dict[str, list[Example]]:
    intents = read_nlu(HELDOUT / "intents_heldout.yml")
    oos = read_nlu(HELDOUT / "oos_heldout.yml") + [
        (t, label, "intents_heldout") for t, label, _ in intents if label == "out_of_scope"
    ]
    return {
        "oos": oos,
        "intents": [e for e in intents if e[1] != "out_of_scope"],
        "faq": read_nlu(HELDOUT / "faq_heldout.yml"),
        "yes_no": read_nlu(HELDOUT / "yes_no_heldout.yml"),
    }


def dev_sets() -> dict[str, list[Example]]:
    indomain = read_nlu(DEV / "dev_indomain.yml")
    return {
        "oos": read_nlu(DEV / "dev_oos.yml"),
        "intents": [e for e in indomain if not e[1].startswith("faq/")],
        "faq": [e for e in indomain if e[1].startswith("faq/")],
        "yes_no": read_nlu(DEV / "dev_yes_no.yml"),
    }


def calibrate(data: dict[str, list[Example]], parses: dict) -> dict[str, Any]:
    """Gate thresholds for target in-domain rejection rates, on the development sets.

    The gate declines when ``score > threshold`` (some of the five nearest in-domain
    examples share the message's label) or ``score > disagree_threshold`` (none does); for
    each target rate the pair with the best development recall is printed.
    """

    def scored(items):
        return [
            (p["ood"]["score"], (p["ood"].get("agreement") or 0) > 0)
            for p in items
            if (p.get("ood") or {}).get("score") is not None
        ]

    inside = scored(parses[t] for t, _, _ in data["intents"] + data["faq"])
    outside = scored(parses[t] for t, _, _ in data["oos"])

    def rejected(items, agree_at: float, disagree_at: float) -> float:
        hits = sum(s > (agree_at if agrees else disagree_at) for s, agrees in items)
        return hits / max(1, len(items))

    steps = [round(-0.4 + 0.01 * i, 2) for i in range(61)]
    grid = [
        (rejected(inside, a, d), rejected(outside, a, d), a, d)
        for a in steps
        for d in steps
        if d <= a
    ]
    rows = []
    for target in (0.01, 0.02, 0.03, 0.04, 0.05):
        allowed = [g for g in grid if g[0] <= target]
        if not allowed:
            continue
        rate, recall, agree_at, disagree_at = max(allowed, key=lambda g: (g[1], -g[0]))
        rows.append(
            {
                "target_in_domain_rejection": target,
                "threshold": agree_at,
                "disagree_threshold": disagree_at,
                "dev_in_domain_rejected_by_score": round(rate, 4),
                "dev_oos_recall_of_score": round(recall, 4),
            }
        )
    return {"benchmark": "oos_calibration", "scored_in": len(inside), "rows": rows}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="model archive (default: the current one)")
    parser.add_argument("--calibrate", action="store_true", help="thresholds from bench/data/")
    parser.add_argument("--errors", type=Path, help="write the misclassified examples here")
    args = parser.parse_args(argv)
    from nlu_banking77 import quiet_logging  # bench/ is on the path of a bench script

    quiet_logging()
    if args.model is None:
        from scripts.train import ensure_model

        args.model = ensure_model(quiet=True)
    data = dev_sets() if args.calibrate else heldout_sets()
    texts = sorted({text for examples in data.values() for text, _, _ in examples})
    results, latencies = asyncio.run(parse_all(args.model, texts))
    parses = dict(zip(texts, results, strict=True))
    if args.errors:
        errors = {
            "oos_not_declined": [
                (t, s, gate_decision(parses[t]), (parses[t].get("ood") or {}).get("score"))
                for t, _, s in data["oos"]
                if gate_decision(parses[t]) != "out_of_scope"
            ],
            "in_domain_wrong": [
                (t, label, gate_decision(parses[t]), (parses[t].get("ood") or {}).get("reason"))
                for t, label, _ in data["intents"] + data["faq"]
                if gate_decision(parses[t]) != label.split("/")[0]
            ],
            "yes_no_wrong": [
                (t, label, gate_decision(parses[t]))
                for t, label, _ in data["yes_no"]
                if gate_decision(parses[t]) != label
            ],
            "reasons": Counter(
                (parses[t].get("ood") or {}).get("reason") for t, _, _ in data["oos"]
            ),
        }
        args.errors.write_text(json.dumps(errors, indent=1, ensure_ascii=False, default=str))
    if args.calibrate:
        print(json.dumps(calibrate(data, parses)))
        print(json.dumps(figures("gate (dev sets)", gate_decision, data, parses)))
        return 0
    gate = figures("gate", gate_decision, data, parses)
    gate["model"] = args.model.name
    gate["parse_p50_ms"] = round(statistics.median(latencies) * 1000, 1)
    gate["parse_p95_ms"] = round(percentile(latencies, 0.95) * 1000, 1)
    print(json.dumps(gate))
    for threshold in RASA_THRESHOLDS:
        name = f"rasa_fallback_{threshold}"
        print(json.dumps(figures(name, lambda p, t=threshold: rasa_decision(p, t), data, parses)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
