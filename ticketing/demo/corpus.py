"""The demo history's vocabulary: scenario weights, names, texts and the assistant's own wording."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path

import yaml

log = logging.getLogger(__name__)


UTC = timezone.utc


ROOT = Path(__file__).resolve().parents[2]


CHUNK = 2000  # conversations per transaction


BATCH = 5000  # rows per INSERT


# local hour -> relative traffic (quiet nights, peaks 10-12, 14-16 and 19-21)
HOURLY = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 4, 6, 8, 8, 7, 6, 7, 7, 6, 5, 5, 6, 6, 5, 3, 2]


WEEKDAY = [1.0, 1.05, 1.0, 0.95, 0.9, 0.7, 0.55]  # Mon..Sun


SCENARIOS = {
    "faq": 0.45,
    "order": 0.11,
    "smalltalk": 0.07,
    "fallback_recovered": 0.06,
    "abandoned_bot": 0.05,
    "handoff": 0.26,
}


HANDOFF_REASONS = {
    "requested": 0.38,
    "fallback": 0.2,
    "complaint": 0.24,
    "sentiment": 0.1,
    "order_lookup_failed": 0.08,
}


COMPLAINT_CATEGORIES = {
    "quality": 0.35,
    "promise_not_kept": 0.3,
    "need_not_met": 0.15,
    "staff_attitude": 0.1,
    "other": 0.1,
}


CATEGORY_TEAM = {"delivery": "delivery", "billing": "billing", "technical": "technical"}


MEDIAN_FIRST_RESPONSE = {"P1": 10, "P2": 35, "P3": 60, "P4": 120}  # business minutes


AGENT_NAMES = ["Priya", "Tom", "Maria", "Kofi", "Elena", "Jonas", "Aisha", "Wei"]


AGENT_TEAMS = [
    ["general", "delivery"],
    ["general", "billing"],
    ["general", "technical"],
    ["complaints", "general"],
    ["delivery", "billing"],
    ["complaints", "delivery"],
    ["technical", "billing"],
    ["general", "complaints"],
]


FIRST_NAMES = (
    "Ann Ben Chloe Dev Emma Finn Grace Hugo Isla Jack Lena Mo Nina Omar Pia Raj Sara".split()
)


LAST_NAMES = "Smith Jones Taylor Brown Wilson Evans Khan Patel Wright Walker Green Hall Li".split()


PRODUCTS = [
    "oak desk lamp",
    "wool throw",
    "ceramic mug set",
    "garden chair",
    "linen bedding set",
    "LED bulb pack",
    "walnut side table",
    "cotton towels",
    "glass vase",
    "bamboo shelf",
]


# unclear requests: not understood (nlu_fallback); the bot asks again or declines
FALLBACK_TEXTS = [
    "the thing from before",
    "hmm",
    "i need the form thingy",
    "ok but why",
    "is the blue one better",
    "help me with the the the",
    "my order order order",
    "price match amazon?",
    "where is the nearest store to me",
    "my cat ate the charger lol",
]


# off-topic text: the out-of-domain gate turns it into out_of_scope and the bot declines it;
# (text, the gate's reason, whether the reason comes with a similarity score)
OFF_TOPIC_TEXTS = [
    ("can you do my homework", "closer_to_off_topic", True),
    ("is it raining in leeds today", "closer_to_off_topic", True),
    ("what's the meaning of life", "closer_to_off_topic", True),
    ("tell me about crypto", "closer_to_off_topic", True),
    ("who is the prime minister", "closer_to_off_topic", True),
    ("write me a poem about cheese", "closer_to_off_topic", True),
    ("what's the best football team", "classifier", True),
    ("do you sell cars", "classifier", True),
    ("asdfgh", "unlike_training", True),
    ("blorp", "unlike_training", True),
    ("qwerty 123", "unlike_training", True),
    ("???", "no_words", False),
    ("<b>hi</b> <script>", "markup", False),
    ("¿dónde está mi pedido?", "language", True),
    ("wo de dingdan zai nali", "unlike_training", True),
]


DECLINE_ANSWER = (
    "Sorry, that's not something I can help with. I can answer questions about orders, "
    "delivery, returns and payments, or connect you with a person."
)


UNHELPFUL_ANSWER = (
    "Sorry that didn't help. Was it one of these instead, or shall I get you a person?"
)


# the out-of-domain gate's threshold (config.yml): scores above it are off-topic
OOD_THRESHOLD = -0.02


REQUEST_HUMAN_TEXTS = [
    "I want to talk to a person",
    "agent please",
    "can I speak to a human",
    "real person please",
    "connect me to customer service",
]


ORDER_TEXTS = [
    "where is my order {order}",
    "has {order} shipped yet?",
    "order status {order}",
    "when will {order} arrive",
    "track my order {order} please",
]


COMPLAINTS = {
    "quality": [
        "The {product} arrived broken, the box was crushed.",
        "My {product} stopped working after two days.",
        "The {product} is scratched and the colour is wrong.",
    ],
    "promise_not_kept": [
        "I was promised delivery by Friday and nothing came.",
        "You said the refund would take 5 days, it's been three weeks.",
        "Express delivery took a week, I want my shipping back.",
    ],
    "need_not_met": [
        "Nobody could tell me whether the {product} fits my room.",
        "I asked for an invoice with my company name and never got one.",
    ],
    "staff_attitude": [
        "The agent was rude and ended the chat on me.",
        "The courier was rude and threw the parcel over the fence.",
    ],
    "other": [
        "Your website keeps logging me out during checkout.",
        "I keep getting marketing e-mails after unsubscribing.",
    ],
}


AGENT_LINES = [
    "Hi, {agent} here from Northwind Goods. Let me look into this for you.",
    "Thanks for waiting. I can see your order now.",
    "I'm sorry about that. I've arranged a replacement.",
    "I've issued the refund; it shows in 5-10 business days.",
    "Could you confirm the delivery address for me?",
    "Done! Is there anything else I can help with?",
]


CUSTOMER_LINES = [
    "ok thanks",
    "it's the one from last week",
    "yes that's right",
    "how long will that take?",
    "great, thank you",
    "still not working",
    "the address is the same as before",
    "can you email me the details?",
]


NOTES = [
    "Customer called before about this.",
    "Checked with the warehouse: stock arrives Tue.",
    "Refund approved by billing.",
    "Possible repeat complaint, keep an eye on it.",
]


def _weighted(options: dict[str, float]) -> tuple[list[str], list[float]]:
    names = list(options)
    return names, list(itertools.accumulate(options[n] for n in names))


HUMAN_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}


SOMETHING_ELSE_BUTTON = {"title": "Something else", "payload": "/something_else"}


def topic_button(topic: str) -> dict[str, str]:
    """A "Did you mean" button for the FAQ topic ``faq/<name>``."""
    name = topic.removeprefix("faq/")
    payload = f'/faq{{"faq_topic": "faq/{name}"}}'
    return {"title": name.replace("_", " ").capitalize(), "payload": payload}


@dataclass
class Corpus:
    """Customer wording and bot answers, from the assistant's training data when present."""

    faq: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    intents: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path = ROOT) -> Corpus:
        corpus = cls()
        for path in sorted((root / "bot" / "data").glob("**/*.yml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                continue
            for block in data.get("nlu") or []:
                name, examples = block.get("intent"), block.get("examples")
                if not isinstance(name, str) or not isinstance(examples, str):
                    continue
                lines = [line.strip()[1:].strip() for line in examples.splitlines() if line.strip()]
                lines = [line for line in lines if line and "[" not in line]
                target = corpus.faq if name.startswith("faq/") else corpus.intents
                target.setdefault(name, []).extend(lines)
            for key, variants in (data.get("responses") or {}).items():
                if str(key).startswith("utter_faq/") and variants:
                    corpus.answers["faq/" + key.split("/", 1)[1]] = variants[0].get("text", "")
        if not corpus.faq:
            corpus.faq = {
                "faq/shipping_cost": ["how much is delivery", "what does shipping cost"],
                "faq/return_policy": ["how do returns work", "can I send it back"],
                "faq/payment_methods": ["do you take paypal", "which cards do you accept"],
            }
        return corpus

    def intent_examples(self, *names: str, default: list[str]) -> tuple[str, list[str]]:
        for name in names:
            if self.intents.get(name):
                return name, self.intents[name]
        return names[0], default
