"""Pure helpers shared by the actions: parsing what customers type, formatting what they read.

Nothing here talks to the hub or raises on odd input; the unit tests exercise it directly.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

from bot.components.polarity import AFFIRM, polarity, uncertain

try:
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover - Python < 3.9
    ZoneInfo = None  # type: ignore[assignment]


def _shop_time() -> Tuple[str, str]:
    """The shop's time zone and what customers call it, from shop.yml's ``business_hours``
    (``SHOP_FILE``, as the hub reads it): the same hours the hub's SLA clocks count."""
    path = Path(os.environ.get("SHOP_FILE") or Path(__file__).resolve().parents[2] / "shop.yml")
    try:
        hours = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("business_hours")
        zone = str(hours["timezone"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return "UTC", "UTC"  # no shop file: UTC, said so
    return zone, str(hours.get("timezone_label") or zone)


SHOP_TIMEZONE, TZ_LABEL = _shop_time()
MAX_TEXT = 4000

REQUESTED_SLOT = "requested_slot"
SKIP = "none"

# Intents that leave a form's question unanswered so a rule can handle them (answer an FAQ,
# hand off, stop, say goodbye, switch to another task). Forms only give way to them when the
# message holds nothing that answers the question.
INTERRUPTIONS = {
    "faq",
    "bot_challenge",
    "out_of_scope",
    "something_else",
    "EXTERNAL_answer_unhelpful",
    "request_human",
    "stop",
    "goodbye",
    "file_complaint",
    "check_order_status",
    "check_ticket_status",
    "EXTERNAL_survey",
}

# The intent that starts each form: inside that form it is an (unclear) answer, not a switch.
OWN_INTENT = {
    "order_status_form": "check_order_status",
    "ticket_status_form": "check_ticket_status",
    "complaint_form": "file_complaint",
    "handoff_form": "request_human",
    "survey_form": "EXTERNAL_survey",
}


QUESTION_WORDS = {
    "what", "when", "where", "why", "how", "who", "which", "can", "could", "do", "does",
    "did", "is", "are", "will", "would", "should", "may", "am", "have", "has", "whats",
    "what's", "how's", "where's", "when's",
}  # fmt: skip


def looks_like_question(text: str) -> bool:
    words = (text or "").strip().lower().split()
    return "?" in (text or "") or bool(words and words[0].strip(",.!") in QUESTION_WORDS)


def interrupts(form: str, intent: Optional[str], text: str = "") -> bool:
    """True when ``intent`` inside ``form`` is handled by an interruption rule.

    A question the FAQ answers, "are you a bot?" or an off-topic question interrupts only when
    it is phrased as a question; anything else ("no idea, sorry", "banana") is taken as an
    attempt to answer the form's question, which the form checks and asks again.
    """
    if intent not in INTERRUPTIONS or intent == OWN_INTENT.get(form):
        return False
    if intent in ("faq", "bot_challenge", "out_of_scope"):
        return looks_like_question(text)
    return True


def off_topic_question(message: Optional[Dict[str, Any]], text: str) -> bool:
    """An off-topic question where the form wants free text (a description, a comment)."""
    return intent_name(message) == "out_of_scope" and looks_like_question(text)


_ORDER_CANDIDATE = re.compile(r"\bnw[\s\-_#:.]*\d+\b|(?<![\w-])\d{4,}(?![\w-])", re.I)
_ORDER_STRICT = re.compile(r"^\s*(?:nw)?[\s\-_#:.]*(\d{6})\s*$", re.I)
_TICKET_CANDIDATE = re.compile(r"\bt[\s\-_#:.]*\d+\b|(?<![\w-])\d{1,6}(?![\w-])", re.I)
_TICKET_STRICT = re.compile(r"^\s*(?:t)?[\s\-_#:.]*(\d{1,6})\s*$", re.I)
EMAIL_PATTERN = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}"  # noqa: E501
_EMAIL_FULL = re.compile(rf"^{EMAIL_PATTERN}$")
_EMAIL_FIND = re.compile(EMAIL_PATTERN)
_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^a-z0-9\u4e00-\u9fff' ]")

SKIP_WORDS = {
    "skip", "none", "no", "nope", "no thanks", "no thank you", "n/a", "na", "nothing",
    "not about an order", "no order", "no e-mail", "no email", "nah", "pass", "-", "no comment",
    "nothing to add", "nothing else", "that's all", "thats all", "all good", "no e-mail address",
}  # fmt: skip

COMPLAINT_CATEGORIES = ("quality", "promise_not_kept", "need_not_met", "staff_attitude", "other")
CATEGORY_LABELS = {
    "quality": "quality of a product or service",
    "promise_not_kept": "a promise we didn't keep",
    "need_not_met": "a need we didn't meet",
    "staff_attitude": "how a member of staff treated you",
    "other": "something else",
}
# Keyword cues per category, strongest first; matched on lower-cased words.
_CATEGORY_CUES: List[Tuple[str, Tuple[str, ...]]] = [
    ("staff_attitude", (
        "rude", "impolite", "attitude", "disrespectful", "unprofessional", "arrogant",
        "condescending", "shouted", "yelled", "hung up", "treated me", "manner", "staff",
        "agent was", "driver was", "employee", "member of staff", "the person", "态度",
    )),
    ("promise_not_kept", (
        "promise", "promised", "you said", "was told", "were told", "guarantee", "guaranteed",
        "supposed to", "never arrived", "didn't arrive", "did not arrive", "hasn't arrived",
        "late", "delayed", "still waiting", "not delivered", "never came", "no refund",
        "refund hasn't", "refund has not", "not refunded", "call back", "called back",
        "承诺", "没兑现",
    )),
    ("quality", (
        "quality", "broken", "faulty", "defective", "damaged", "stopped working",
        "doesn't work", "does not work", "not working", "fell apart", "cracked", "smashed",
        "torn", "ripped", "poor service", "bad service", "product", "service was", "质量",
    )),
    ("need_not_met", (
        "need", "needed", "didn't help", "did not help", "couldn't help", "could not help",
        "no option", "not available", "out of stock", "didn't solve", "not suitable",
        "doesn't fit", "wrong size", "didn't meet", "not what i", "需求",
    )),
    ("other", ("other", "something else", "else", "none of these", "不是")),
]  # fmt: skip

_RATING_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "very dissatisfied": 1, "very unsatisfied": 1, "very poor": 1, "terrible": 1, "awful": 1,
    "dissatisfied": 2, "unsatisfied": 2, "not satisfied": 2, "poor": 2, "bad": 2,
    "neither": 3, "neutral": 3, "ok": 3, "okay": 3, "average": 3, "so so": 3, "so-so": 3,
    "satisfied": 4, "good": 4, "very satisfied": 5, "very good": 5, "excellent": 5,
    "great": 5, "perfect": 5, "brilliant": 5,
}  # fmt: skip
_YES = {
    "yes", "y", "yeah", "yep", "yup", "sure", "it was", "it is", "resolved", "solved",
    "true", "of course", "definitely", "absolutely", "是", "是的", "解决了",
}  # fmt: skip
_NO = {
    "no", "n", "nope", "nah", "not really", "it wasn't", "it was not", "not resolved",
    "unresolved", "false", "not at all", "否", "没有", "没解决",
}  # fmt: skip


# --- message access ------------------------------------------------------------------------


def intent_name(message: Optional[Dict[str, Any]]) -> Optional[str]:
    intent = (message or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return str(name) if name else None


def intent_confidence(message: Optional[Dict[str, Any]]) -> float:
    intent = (message or {}).get("intent") or {}
    try:
        return float(intent.get("confidence") or 0.0) if isinstance(intent, dict) else 0.0
    except (TypeError, ValueError):
        return 0.0


def entity_value(message: Optional[Dict[str, Any]], entity: str) -> Optional[str]:
    """The first value of ``entity`` in a parsed message, as text."""
    for item in (message or {}).get("entities") or []:
        if isinstance(item, dict) and item.get("entity") == entity:
            value = item.get("value")
            if value is not None and str(value).strip():
                return str(value).strip()
    return None


def message_text(message: Optional[Dict[str, Any]]) -> str:
    text = (message or {}).get("text")
    return text if isinstance(text, str) else ""


def is_payload(text: str) -> bool:
    return text.startswith("/")


def clean_text(text: Any, limit: int = MAX_TEXT) -> str:
    """Whitespace collapsed and length capped; the hub escapes it wherever it is shown."""
    if not isinstance(text, str):
        return ""
    text = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")
    return _SPACES.sub(" ", text).strip()[:limit]


def fresh_user_turn(events: Iterable[Dict[str, Any]], form: str) -> bool:
    """True when the latest user message has not yet been handled by anything but ``form``.

    After a rule handled an interruption (an FAQ answer, say) the form runs again to re-ask
    its question; that run must not treat the old message as an answer.
    """
    allowed = {form, "action_listen", "action_extract_slots", f"validate_{form}"}
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "action_execution_rejected":
            return False
        if kind == "action" and event.get("name") not in allowed:
            return False
    return True


def latest_user_metadata(events: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    for event in reversed(list(events)):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            if isinstance(metadata, dict) and metadata:
                return metadata
    return {}


def known_email(events: Iterable[Dict[str, Any]], slots: Dict[str, Any]) -> Optional[str]:
    """The customer's e-mail address when an earlier answer in this chat gave it (the hub
    sends Rasa no contact data: ask it, ``hub_client.conversation``, for the rest)."""
    for name in ("customer_email", "complaint_email", "handoff_email"):
        value = slots.get(name)
        if isinstance(value, str) and valid_email(value):
            return normalise_email(value)
    return None


def emotions(events: Iterable[Dict[str, Any]], last: Optional[int] = None) -> List[str]:
    """The emotion labels of the customer's turns, oldest first (``last`` turns only)."""
    labels: List[str] = []
    for event in events:
        if event.get("event") != "user":
            continue
        emotion = (event.get("parse_data") or {}).get("emotion") or {}
        label = emotion.get("label") if isinstance(emotion, dict) else None
        labels.append(label if label in ("neutral", "frustrated", "angry") else "neutral")
    return labels[-last:] if last else labels


def strongest_emotion(labels: Iterable[str]) -> str:
    order = ("neutral", "frustrated", "angry")
    best = "neutral"
    for label in labels:
        if label in order and order.index(label) > order.index(best):
            best = label
    return best


def interrupted_loop(events: Iterable[Dict[str, Any]]) -> Optional[str]:
    """The form that was deactivated in this turn to make room for something else."""
    closed = False
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user" and not closed:
            return None
        if kind == "active_loop":
            name = event.get("name")
            if name is None:
                closed = True
            elif closed:
                return None if name in ("handoff_form", "action_two_stage_fallback") else name
    return None


# --- looking a number up (order, ticket) ---------------------------------------------------


def failed_lookup(slot: str, counter: str, attempts: int, limit: int) -> Dict[str, Any]:
    """The slots after a number that could not be looked up (malformed, unknown, not yours).

    ``slot`` is cleared so the form asks again and ``counter`` counts the failure; once there
    have been ``limit`` failures the form stops asking, and its action offers a person.
    """
    attempts += 1
    result: Dict[str, Any] = {slot: None, counter: attempts}
    if attempts >= limit:
        result[REQUESTED_SLOT] = None
    return result


def retry_payload(intent: str, entities: Optional[Dict[str, str]] = None) -> str:
    """The payload of a "try again" button: ``/intent{"entity":"value"}``."""
    return f"/{intent}{json.dumps(entities, separators=(',', ':')) if entities else ''}"


# --- order and ticket numbers --------------------------------------------------------------


def find_order_candidate(text: str) -> Optional[str]:
    """Something in ``text`` that is meant as an order number (well formed or not)."""
    match = _ORDER_CANDIDATE.search(text or "")
    return match.group(0) if match else None


def normalise_order_number(value: Any) -> Optional[str]:
    """``"nw 104233"``, ``"NW104233"``, ``"104233"`` → ``"NW-104233"``; None when malformed."""
    if not isinstance(value, str):
        return None
    match = _ORDER_STRICT.match(value)
    return f"NW-{match.group(1)}" if match else None


def find_ticket_candidate(text: str, allow_bare: bool = True) -> Optional[str]:
    text = text or ""
    match = re.search(r"\bt[\s\-_#:.]*\d+\b", text, re.I)
    if match:
        return match.group(0)
    if allow_bare:
        match = re.search(r"(?<![\w-])\d{1,7}(?![\w-])", text)
        if match:
            return match.group(0)
    return None


def normalise_ticket_number(value: Any) -> Optional[str]:
    """``"t-123"``, ``"T000123"``, ``"123"`` → ``"T-000123"``; None when malformed."""
    if not isinstance(value, str):
        return None
    match = _TICKET_STRICT.match(value)
    if not match or int(match.group(1)) == 0:
        return None
    return f"T-{int(match.group(1)):06d}"


# --- e-mail, ratings, yes/no, categories ---------------------------------------------------


def find_email(text: str) -> Optional[str]:
    match = _EMAIL_FIND.search(text or "")
    return match.group(0) if match else None


def valid_email(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 254 and bool(_EMAIL_FULL.match(value.strip()))


def normalise_email(value: str) -> str:
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def is_skip(text: str) -> bool:
    words = _SPACES.sub(" ", (text or "").lower()).strip(" .!?,")
    return words in SKIP_WORDS


def parse_rating(value: Any) -> Optional[int]:
    """A 1-5 rating from a button value, a digit, a word or a phrase; None if there is none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if 1 <= value <= 5 and int(value) == value else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    digits = re.findall(r"(?<![\d.])([0-9]{1,2})(?:\s*(?:/|out of)\s*(?:5|five))?(?![\d.])", text)
    if digits:
        number = int(digits[0])
        return number if 1 <= number <= 5 else None
    cleaned = re.sub(r"[^a-z\- ]", " ", text)
    cleaned = _SPACES.sub(" ", cleaned).strip()
    for phrase in sorted(_RATING_WORDS, key=len, reverse=True):
        if re.search(rf"\b{re.escape(phrase)}\b", cleaned):
            return _RATING_WORDS[phrase]
    return None


def parse_yes_no(value: Any) -> Optional[bool]:
    """True / False for a yes / a no (the NLU's rules: bot.components.polarity), else None."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    if uncertain(value):
        return None
    decided = polarity(value)
    if decided is not None:
        return decided == AFFIRM
    text = _SPACES.sub(" ", value.strip().lower()).strip(" .!?,")
    if text in _NO or text.startswith(("no ", "no,", "not ")):
        return False
    if text in _YES or text.startswith(("yes ", "yes,", "yeah ")):
        return True
    return None


def parse_category(value: Any) -> Optional[str]:
    """A complaint category from a button value or the customer's words."""
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", value.strip().lower())
    if text in COMPLAINT_CATEGORIES:
        return text
    for key, label in CATEGORY_LABELS.items():
        if text == label.lower():
            return key
    padded = " " + _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip() + " "
    for category, cues in _CATEGORY_CUES:
        for cue in cues:
            if re.search(r"[\u4e00-\u9fff]", cue):
                if cue in text:
                    return category
            elif f" {cue} " in padded:
                return category
    return None


# --- times ---------------------------------------------------------------------------------


def parse_iso(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _shop_zone(name: str = SHOP_TIMEZONE):
    if ZoneInfo is None:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - no tz database: UTC is still honest
        return timezone.utc


def _round_up(moment: datetime, minutes: int = 5) -> datetime:
    """Round up (never down: a promise must not be earlier than the real target)."""
    moment = moment.replace(second=0, microsecond=0) + (
        timedelta(minutes=1) if moment.second or moment.microsecond else timedelta()
    )
    extra = (-moment.minute) % minutes
    return moment + timedelta(minutes=extra)


def format_due(
    value: Any, now: Optional[datetime] = None, tz_name: str = SHOP_TIMEZONE
) -> Optional[str]:
    """``"today by 15:30 (UK time)"``, ``"tomorrow by 10:00 ..."``, ``"by Monday 11:00 ..."``."""
    due = parse_iso(value) if not isinstance(value, datetime) else value
    if due is None:
        return None
    zone = _shop_zone(tz_name)
    now = (now or datetime.now(timezone.utc)).astimezone(zone)
    local = _round_up(due.astimezone(zone))
    clock = local.strftime("%H:%M")
    days = (local.date() - now.date()).days
    if days <= 0:
        when = f"today by {clock}"
    elif days == 1:
        when = f"tomorrow by {clock}"
    elif days < 7:
        when = f"by {local.strftime('%A')} {clock}"
    else:
        when = f"by {local.strftime('%A')} {local.day} {local.strftime('%B')} {clock}"
    return f"{when} ({TZ_LABEL})"


def format_business_minutes(minutes: Any) -> Optional[str]:
    """``120`` → ``"2 business hours"``, ``30`` → ``"30 business minutes"``."""
    try:
        total = int(minutes)
    except (TypeError, ValueError):
        return None
    if total <= 0:
        return None
    if total < 60:
        return f"{total} business minutes"
    hours, rest = divmod(total, 60)
    text = f"{hours} business hour{'s' if hours != 1 else ''}"
    if rest:
        text += f" {rest} minutes"
    return text


def format_wait(minutes: Any) -> str:
    try:
        total = int(minutes)
    except (TypeError, ValueError):
        return "I can't estimate the wait right now, but you keep your place in the queue"
    if total <= 1:
        return "the expected wait is about a minute"
    if total < 60:
        return f"the expected wait is about {total} minutes"
    hours, rest = divmod(total, 60)
    text = f"about {hours} hour{'s' if hours != 1 else ''}"
    if rest:
        text += f" {rest} minutes"
    return f"the expected wait is {text}"


def format_day(value: Any) -> Optional[str]:
    """``"2026-11-27"`` → ``"Friday 27 November"``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and value:
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return None
    else:
        return None
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"


# --- priorities ----------------------------------------------------------------------------

PRIORITIES = ("P1", "P2", "P3", "P4")


def handoff_priority(reason: str, emotion: str = "neutral", vip: bool = False) -> str:
    """The priority the bot suggests for a hand-off; the hub may raise it (SLA, VIP rules)."""
    level = 3
    if reason in ("complaint", "sentiment") or emotion == "angry":
        level = 2
    elif reason == "order_lookup_failed" or emotion == "frustrated":
        level = 3
    if vip:
        level -= 1
    return PRIORITIES[max(0, min(3, level - 1))]
