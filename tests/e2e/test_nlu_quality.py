"""NLU quality on held-out examples, through the running Rasa server's ``/model/parse``.

tests/nlu/intents_heldout.yml (at least 5 per intent) and tests/nlu/faq_heldout.yml (FAQ
topics, when present) are never used in training. Bars: intent accuracy >= 90 % over both
files (an FAQ example counts as right when its intent is ``faq``) and FAQ topic accuracy
>= 90 % (``response_selector.faq.response.intent_response_key``). The measured figures are
written to tests/artifacts/nlu-quality.json.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
import yaml

from .conftest import ROOT

pytestmark = pytest.mark.e2e

HELDOUT = ROOT / "tests" / "nlu"
INTENTS_FILE = HELDOUT / "intents_heldout.yml"
FAQ_FILE = HELDOUT / "faq_heldout.yml"
BAR = 0.90
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)|\[([^\]]+)\]\{[^}]+\}")


def plain(example: str) -> str:
    """``"track [NW-1](order_number)"`` → ``"track NW-1"``."""
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), example).strip()


def examples_of(path: Path) -> list[tuple[str, str]]:
    """``(text, intent)`` pairs of a Rasa NLU file (full retrieval intents kept)."""
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((plain(line[2:]), block["intent"]))
    return pairs


def training_texts() -> set[str]:
    texts = set()
    for path in (ROOT / "bot" / "data").rglob("*.yml"):
        texts.update(text.lower() for text, _ in examples_of(path))
    return texts


def test_heldout_examples_are_not_in_training_and_cover_every_intent():
    heldout = examples_of(INTENTS_FILE)
    leaked = [text for text, _ in heldout if text.lower() in training_texts()]
    assert not leaked, f"held-out examples found in bot/data: {leaked}"
    counts = Counter(intent for _, intent in heldout)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    intents = [i for i in domain["intents"] if i != "faq" and not i.startswith("EXTERNAL")]
    assert {intent: counts[intent] for intent in intents if counts[intent] < 5} == {}


async def parse_all(rasa_url: str, texts: list[str]) -> list[dict]:
    results = []
    async with aiohttp.ClientSession() as http:
        for text in texts:
            async with http.post(f"{rasa_url}/model/parse", json={"text": text}) as response:
                assert response.status == 200, await response.text()
                results.append(await response.json())
    return results


async def test_heldout_intent_and_faq_topic_accuracy(running, artifacts):
    intents = examples_of(INTENTS_FILE)
    faqs = examples_of(FAQ_FILE)
    parsed = await parse_all(running.rasa_url, [text for text, _ in intents + faqs])

    intent_errors, topic_errors = [], []
    for (text, expected), result in zip(intents + faqs, parsed, strict=True):
        predicted = (result.get("intent") or {}).get("name")
        if predicted != expected.split("/")[0]:
            intent_errors.append((text, expected, predicted))
    for (text, expected), result in zip(faqs, parsed[len(intents) :], strict=True):
        response = ((result.get("response_selector") or {}).get("faq") or {}).get("response")
        topic = (response or {}).get("intent_response_key")
        if topic != expected:
            topic_errors.append((text, expected, topic))

    intent_accuracy = 1 - len(intent_errors) / len(parsed)
    topic_accuracy = 1 - len(topic_errors) / len(faqs) if faqs else 1.0
    report = {
        "examples": len(parsed),
        "intent_accuracy": round(intent_accuracy, 4),
        "faq_examples": len(faqs),
        "faq_topic_accuracy": round(topic_accuracy, 4),
        "intent_errors": intent_errors,
        "faq_topic_errors": topic_errors,
    }
    (artifacts / "nlu-quality.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    assert intent_accuracy >= BAR, f"intent accuracy {intent_accuracy:.1%}: {intent_errors}"
    assert topic_accuracy >= BAR, f"FAQ topic accuracy {topic_accuracy:.1%}: {topic_errors}"


async def test_parse_reports_entities_and_emotion(running):
    (result,) = await parse_all(running.rasa_url, ["This is a disgrace, where is NW-104233?!!"])
    entities = {(e["entity"], e["value"]) for e in result["entities"]}
    assert ("order_number", "NW-104233") in entities
    assert result["emotion"]["label"] == "angry" and 0 < result["emotion"]["score"] <= 1
