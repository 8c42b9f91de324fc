"""The improvement loop: misunderstood customer messages -> supervisor labels -> Rasa NLU data.

``review`` lists customer messages that ended in the fallback intent or scored below a
confidence threshold and are not labelled yet, grouped by similar wording. A supervisor labels
a group with an intent of the domain, a FAQ topic (``faq/<key>``) or ``out_of_scope``;
``export_nlu`` writes every labelled example as a Rasa 3 NLU YAML file to merge into
``bot/data/`` (``python -m ticketing export-nlu`` and ``GET /api/nlu/export``).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..errors import invalid, not_found
from ..models import Conversation, Message, NluLabel, utcnow
from .common import FALLBACK_INTENT, in_period, iso
from .periods import Period
from .text import group_similar, normalise

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT_OF_SCOPE = "out_of_scope"
NOT_LABELS = frozenset({FALLBACK_INTENT, "faq"})
MAX_REVIEW_MESSAGES = 5000
MAX_LABEL_IDS = 1000
EXAMPLES_PER_GROUP = 5
IDS_PER_GROUP = 500
MAX_EXAMPLE_LENGTH = 500
RETRIEVAL_RESPONSE = re.compile(r"^utter_(faq)/(\w+)$")
PLAIN_NAME = re.compile(r"^[A-Za-z0-9_./-]+$")
# YAML's printable characters (C0/C1 controls, DEL, surrogates and non-characters are not)
NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
LINE_BREAKS = re.compile("[\r\n\t\x85\u2028\u2029]+")
SPACES = re.compile(r"\s+")

HOW = {
    "review": (
        "Customer messages in the period whose intent was nlu_fallback, whose confidence was "
        "below the threshold, that the assistant declined (off-topic or too unsure), or whose "
        "answer the customer marked unhelpful, not yet labelled (button clicks left out; the "
        "newest 5,000 at most); each group counts them by why it is listed. Grouped by "
        "normalised text (lowercase, order numbers, digits and punctuation "
        "removed); wordings whose word sets overlap by 80 % or more (Jaccard) are merged into "
        "the most frequent one."
    ),
}


# ------------------------------------------------------------------ the domain's labels


_cache: dict[str, tuple[tuple[tuple[str, float], ...], Any]] = {}


def _yaml_files(root: Path, patterns: Iterable[str]) -> list[Path]:
    files: set[Path] = set()
    for pattern in patterns:
        files.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(files)


def _cached(name: str, files: list[Path], build):
    stamp = tuple((str(p), p.stat().st_mtime) for p in files)
    hit = _cache.get(name)
    if hit is None or hit[0] != stamp:
        hit = (stamp, build(files))
        _cache[name] = hit
    return hit[1]


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}


def _vocabulary(files: list[Path]) -> frozenset[str]:
    labels = {OUT_OF_SCOPE}
    for path in files:
        data = _load(path)
        if not isinstance(data, dict):
            continue
        for intent in data.get("intents") or []:
            name = next(iter(intent), None) if isinstance(intent, dict) else intent
            if isinstance(name, str):
                labels.add(name)
        for response in data.get("responses") or {}:
            match = RETRIEVAL_RESPONSE.match(str(response))
            if match:
                labels.add(f"{match.group(1)}/{match.group(2)}")
    return frozenset(labels - NOT_LABELS)


def label_vocabulary(root: Path = REPO_ROOT) -> frozenset[str]:
    """Valid labels: intents of domain.yml (or domain/), ``faq/<key>`` for every
    ``utter_faq/<key>`` response in bot/data, and ``out_of_scope``."""
    files = _yaml_files(root, ("domain.yml", "domain/**/*.yml", "bot/data/**/*.yml"))
    return _cached(f"labels:{root}", files, _vocabulary)


def _examples(files: list[Path]) -> frozenset[str]:
    found: set[str] = set()
    for path in files:
        data = _load(path)
        if not isinstance(data, dict):
            continue
        for item in data.get("nlu") or []:
            examples = item.get("examples") if isinstance(item, dict) else None
            if isinstance(examples, str):
                for line in examples.splitlines():
                    if line.strip().startswith("-"):
                        found.add(_fold(line.strip()[1:]))
    return frozenset(found)


def existing_examples(root: Path = REPO_ROOT) -> frozenset[str]:
    """Case-folded examples already in bot/data (an export leaves them out)."""
    return _cached(f"examples:{root}", _yaml_files(root, ("bot/data/**/*.yml",)), _examples)


def _fold(text: str) -> str:
    return SPACES.sub(" ", text).strip().casefold()


# ------------------------------------------------------------------ review list


async def review(
    db: AsyncSession, period: Period, threshold: float, limit: int = 50
) -> dict[str, Any]:
    labelled = select(NluLabel.id).where(NluLabel.message_id == Message.id).exists()
    answer = aliased(Message)
    unhelpful = (
        select(answer.id)
        .where(answer.reply_to_id == Message.id, answer.helpful.is_(False))
        .exists()
    )
    rows = (
        await db.execute(
            select(
                Message.id,
                Message.text,
                Message.intent,
                Message.confidence,
                Message.decision,
                Message.created_at,
                Conversation.public_id,
                unhelpful.label("unhelpful"),
            )
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.sender == "customer",
                in_period(Message.created_at, period),
                or_(
                    Message.intent == FALLBACK_INTENT,
                    Message.confidence < threshold,
                    Message.decision == "declined",
                    unhelpful,
                ),
                Message.payload.is_(None),
                Message.text != "",
                ~labelled,
            )
            .order_by(Message.id.desc())
            .limit(MAX_REVIEW_MESSAGES + 1)
        )
    ).all()
    truncated = len(rows) > MAX_REVIEW_MESSAGES
    rows = rows[:MAX_REVIEW_MESSAGES]
    by_key: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_key[normalise(row.text)].append(row)
    clusters = group_similar(list(by_key), {k: len(v) for k, v in by_key.items()})
    groups = []
    for cluster in clusters:
        members = sorted(
            (row for key in cluster.members for row in by_key[key]),
            key=lambda row: row.id,
            reverse=True,
        )
        examples: list[str] = []
        for row in members:
            if row.text not in examples:
                examples.append(row.text)
            if len(examples) == EXAMPLES_PER_GROUP:
                break
        confidences = [row.confidence for row in members if row.confidence is not None]
        groups.append(
            {
                "key": cluster.key,
                "count": len(members),
                "examples": examples,
                "message_ids": [row.id for row in members[:IDS_PER_GROUP]],
                "session_ids": sorted({row.public_id for row in members})[:EXAMPLES_PER_GROUP],
                "intents": dict(Counter(row.intent or "none" for row in members).most_common()),
                "why": dict(Counter(_why(row, threshold) for row in members).most_common()),
                "avg_confidence": (
                    round(sum(confidences) / len(confidences), 4) if confidences else None
                ),
                "last_seen": iso(members[0].created_at),
            }
        )
    groups.sort(key=lambda g: (-g["count"], g["key"]))
    return {
        "period": period.as_json(),
        "threshold": threshold,
        "messages": len(rows),
        "truncated": truncated,
        "groups_total": len(groups),
        "groups": groups[:limit],
        "how": HOW["review"],
    }


def _why(row: Any, threshold: float) -> str:
    """Why a message is on the review list (the first that applies)."""
    if row.unhelpful:
        return "unhelpful"
    if row.decision == "declined":
        return "declined"
    if row.intent == FALLBACK_INTENT:
        return "fallback"
    return "low_confidence"


# ------------------------------------------------------------------ labels


def validate_label_body(body: Any, vocabulary: frozenset[str]) -> tuple[list[int], str]:
    if not isinstance(body, dict):
        raise invalid('send {"message_ids": [...], "label": "..."}')
    ids = body.get("message_ids")
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > MAX_LABEL_IDS
        or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
    ):
        raise invalid(
            f"message_ids must be a list of 1 to {MAX_LABEL_IDS} message ids", field="message_ids"
        )
    label = body.get("label")
    if not isinstance(label, str) or label.strip() not in vocabulary:
        raise invalid(
            "label must be an intent of the domain, faq/<topic> or out_of_scope",
            field="label",
            allowed=sorted(vocabulary),
        )
    return sorted(set(ids)), label.strip()


async def add_labels(
    db: AsyncSession, message_ids: list[int], label: str, user_id: int | None
) -> list[dict[str, Any]]:
    """Label customer messages (a new label replaces an earlier one); 422 if any id is not a
    customer message, and then nothing is stored."""
    found = set(
        (
            await db.execute(
                select(Message.id).where(Message.id.in_(message_ids), Message.sender == "customer")
            )
        ).scalars()
    )
    missing = [i for i in message_ids if i not in found]
    if missing:
        raise invalid("these ids are not customer messages", field="message_ids", ids=missing)
    existing = {
        label_row.message_id: label_row
        for label_row in (
            await db.execute(select(NluLabel).where(NluLabel.message_id.in_(message_ids)))
        ).scalars()
    }
    now = utcnow()
    rows = []
    for message_id in message_ids:
        row = existing.get(message_id)
        if row is None:
            row = NluLabel(message_id=message_id, label=label, labelled_by=user_id, created_at=now)
            db.add(row)
        elif row.label != label:
            row.label, row.labelled_by, row.created_at, row.exported_at = label, user_id, now, None
        rows.append(row)
    await db.flush()
    return [label_json(row) for row in rows]


def label_json(row: NluLabel, text: str | None = None) -> dict[str, Any]:
    data = {
        "id": row.id,
        "message_id": row.message_id,
        "label": row.label,
        "labelled_by": row.labelled_by,
        "created_at": iso(row.created_at),
        "exported_at": iso(row.exported_at),
    }
    if text is not None:
        data["text"] = text
    return data


async def list_labels(db: AsyncSession, page: int, per_page: int) -> dict[str, Any]:
    rows = (
        await db.execute(
            select(NluLabel, Message.text)
            .join(Message, Message.id == NluLabel.message_id)
            .order_by(NluLabel.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    ).all()
    return {"page": page, "labels": [label_json(row, text) for row, text in rows]}


async def delete_label(db: AsyncSession, label_id: int) -> None:
    result = await db.execute(delete(NluLabel).where(NluLabel.id == label_id))
    if result.rowcount == 0:
        raise not_found(f"label {label_id}")


# ------------------------------------------------------------------ export


def sanitize_example(text: str) -> str | None:
    """A customer message as one safe training example, or ``None`` to leave it out.

    Line breaks and tabs become spaces (an example is one line of a YAML block), characters
    YAML cannot hold are dropped, square brackets become parentheses (Rasa would read
    ``[text](entity)`` as entity markup) and spaces are collapsed.
    """
    text = LINE_BREAKS.sub(" ", text or "")
    text = NOT_PRINTABLE.sub("", text).replace("\ufeff", "")
    text = text.replace("[", "(").replace("]", ")")
    text = SPACES.sub(" ", text).strip()
    if not text or len(text) > MAX_EXAMPLE_LENGTH:
        return None
    return text


def _yaml_name(name: str) -> str:
    return name if PLAIN_NAME.match(name) else json.dumps(name, ensure_ascii=False)


def render_nlu_yaml(examples: dict[str, list[str]], comments: Iterable[str] = ()) -> str:
    """Rasa 3.x NLU training data: one ``- intent:`` block per label, examples as a block."""
    lines = [f"# {c}" for c in comments]
    lines.append('version: "3.1"')
    if not any(examples.values()):
        lines.append("nlu: []")
        return "\n".join(lines) + "\n"
    lines.append("nlu:")
    for label in sorted(examples):
        if not examples[label]:
            continue
        lines.append(f"  - intent: {_yaml_name(label)}")
        lines.append("    examples: |")
        lines.extend(f"      - {example}" for example in examples[label])
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


async def export_nlu(
    session: AsyncSession,
    *,
    only_new: bool = False,
    mark: bool = True,
    root: Path = REPO_ROOT,
    now: datetime | None = None,
) -> str:
    """Every labelled example as Rasa NLU YAML (see ``render_nlu_yaml``), de-duplicated and
    without the examples bot/data already has; the exported labels get ``exported_at``.

    ``out_of_scope`` is exported as the domain's ``out_of_scope`` intent. Labels that are no
    longer in the domain are left out and named in a comment.
    """
    query = select(NluLabel.id, NluLabel.label, Message.text).join(
        Message, Message.id == NluLabel.message_id
    )
    if only_new:
        query = query.where(NluLabel.exported_at.is_(None))
    rows = (await session.execute(query.order_by(NluLabel.label, NluLabel.id))).all()
    vocabulary = label_vocabulary(root)
    known = existing_examples(root)
    examples: dict[str, list[str]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    unknown: Counter = Counter()
    skipped = 0
    for row in rows:
        if row.label not in vocabulary:
            unknown[row.label] += 1
            continue
        example = sanitize_example(row.text)
        if example is None or _fold(example) in known:
            skipped += 1
            continue
        if (row.label, _fold(example)) in seen:
            continue
        seen.add((row.label, _fold(example)))
        examples[row.label].append(example)
    now = now or utcnow()
    comments = [
        "Customer messages labelled in the helpdesk's review list (python -m ticketing "
        "export-nlu).",
        "Merge into bot/data/ (for example as bot/data/nlu/reviewed.yml), run `make validate`, "
        "then retrain.",
        f"Exported {iso(now)}: {sum(len(v) for v in examples.values())} examples; "
        f"{skipped} left out (empty, too long or already in bot/data).",
    ]
    if unknown:
        comments.append(
            "Labels no longer in the domain, left out: "
            + ", ".join(f"{name} ({n})" for name, n in sorted(unknown.items()))
        )
    if mark:
        ids = [row.id for row in rows]
        for start in range(0, len(ids), MAX_LABEL_IDS):
            await session.execute(
                update(NluLabel)
                .where(NluLabel.id.in_(ids[start : start + MAX_LABEL_IDS]))
                .values(exported_at=now)
                .execution_options(synchronize_session=False)
            )
    return render_nlu_yaml(dict(examples), comments)
