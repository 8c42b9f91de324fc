"""What a message is made of, before any meaning: words, markup, script and language.

Used by the out-of-domain gate (``bot.components.ood_gate``) for the messages no classifier
should be trusted with: empty or emoji-only text, HTML and code, and text in a language the
assistant does not speak (it answers in English only). ``surface_reason`` returns why a
message can't be understood as an English customer question, or ``None``.

The language check is deliberately simple and conservative, so that English with a foreign
word or name in it ("I ordered the Blåhaj", "merci, that helped") stays English:
- a message mostly written in a non-Latin script (CJK, kana, Hangul, Cyrillic, Greek, Arabic,
  Hebrew, Devanagari, Thai ...) is that script's language;
- a Latin-script message is another language when its function words ("le", "el", "der",
  "het", "się" ...) outnumber its English ones clearly (see ``FUNCTION_WORDS``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Dict, Optional, Set

EMPTY = "empty"
NO_WORDS = "no_words"
MARKUP = "markup"
LANGUAGE = "language"

# Function words that are not also common English words (so "a", "me", "die", "or" are out).
FUNCTION_WORDS: Dict[str, Set[str]] = {
    "fr": set(
        "le la les un une des du est sont je tu il elle nous vous ils elles mon ma mes ton "
        "votre vos notre nos qui que quoi où pour avec sans dans sur mais ou et être avoir "
        "ne pas c'est j'ai suis très bonjour merci commande livraison remboursement".split()
    ),
    "es": set(
        "el los las una unos unas es son yo tú él ella nosotros ustedes mi mis tu su sus "
        "qué que cómo dónde donde cuándo por para con sin pero y muy hola gracias está "
        "estoy quiero pedido envío devolver puedo necesito del al".split()
    ),
    "de": set(
        "der die das den dem des ein eine einen ist sind ich du er sie wir ihr mein meine "
        "dein ihre unser wo wie was wann warum für mit ohne und oder aber nicht kein keine "
        "bitte danke hallo meine bestellung lieferung paket ist wo".split()
    ),
    "it": set(
        "il lo la gli le un una è sono io tu lui lei noi voi loro mio mia tuo suo che "
        "come dove quando perché per con senza ma e molto ciao grazie ordine voglio "
        "della del sono".split()
    ),
    "pt": set(
        "o os as um uma é são eu tu ele ela nós vocês meu minha seu sua que como onde "
        "quando porque para com sem mas e muito olá obrigado obrigada pedido quero "
        "está não".split()
    ),
    "nl": set(
        "de het een is zijn ik jij hij zij wij jullie mijn jouw waar hoe wat wanneer "
        "waarom voor met zonder en maar niet geen bedankt hallo bestelling pakket "
        "graag".split()
    ),
    "pl": set(
        "jest są ja ty on ona my wy mój moja moje gdzie jak co kiedy dlaczego dla z bez "
        "ale nie się dziękuję cześć zamówienie paczka chcę proszę".split()
    ),
    "tr": set(
        "bir bu şu ve ile için ama değil ben sen o biz siz benim nerede nasıl ne zaman "
        "neden teşekkürler merhaba sipariş kargo istiyorum mı mi".split()
    ),
    "vi": set(
        "tôi bạn của là và có không được đơn hàng ở đâu khi nào cảm ơn xin chào muốn gì".split()
    ),
}
ENGLISH_WORDS = set(
    "the a an is are was were be been i you he she it we they my your his her our their "
    "what where when why how who which can could do does did will would should please "
    "thanks thank hello hi to of in on for with and or but not no yes this that there "
    "have has had me am order delivery refund return".split()
)

# Unicode scripts (by character name prefix) that mark a language we do not chat in.
_SCRIPTS = (
    ("CJK", "zh"),
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("HANGUL", "ko"),
    ("CYRILLIC", "ru"),
    ("GREEK", "el"),
    ("ARABIC", "ar"),
    ("HEBREW", "he"),
    ("DEVANAGARI", "hi"),
    ("BENGALI", "bn"),
    ("TAMIL", "ta"),
    ("THAI", "th"),
    ("GEORGIAN", "ka"),
    ("ARMENIAN", "hy"),
)
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
_MARKUP = re.compile(
    r"<\s*/?\s*[a-z][a-z0-9]*[^>]*>|javascript:|\{\{.*\}\}|\{%.*%\}|"
    r"^\s*(?:select|insert|update|delete|drop)\b.+\b(?:from|into|set|table|where)\b|"
    r"\b(?:function|def|var|const|let)\s+\w+\s*[=(]|;\s*--|\$\{.*\}",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]*>")


def letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalpha())


def script_language(text: str) -> Optional[str]:
    """The language of a message mostly written in a non-Latin script, else ``None``."""
    found: Dict[str, int] = {}
    alpha = letters(text)
    if not alpha:
        return None
    for ch in alpha:
        name = unicodedata.name(ch, "")
        for prefix, language in _SCRIPTS:
            if name.startswith(prefix):
                found[language] = found.get(language, 0) + 1
                break
    if not found:
        return None
    language, count = max(found.items(), key=lambda item: item[1])
    # kana beside kanji is Japanese
    if found.get("ja") and language == "zh":
        language = "ja"
    return language if sum(found.values()) >= 0.5 * len(alpha) else None


def latin_language(text: str) -> Optional[str]:
    """Another Latin-script language when its function words clearly outnumber English ones."""
    words = [w.lower().replace("\u2019", "'") for w in _WORD.findall(text)]
    if not words:
        return None
    english = sum(w in ENGLISH_WORDS for w in words)
    best, hits = None, 0
    for language, vocabulary in FUNCTION_WORDS.items():
        count = sum(w in vocabulary and w not in ENGLISH_WORDS for w in words)
        if count > hits:
            best, hits = language, count
    if best is None:
        return None
    if hits >= 2 and hits > 2 * english:
        return best
    # a short message with a clearly foreign word and nothing English ("gracias", "merci beaucoup")
    if len(words) <= 3 and hits >= 1 and english == 0:
        return best
    return None


def language_of(text: str) -> Optional[str]:
    """A language code when the message is not English, else ``None``."""
    return script_language(text) or latin_language(text)


def surface_reason(text: Optional[str]) -> Optional[str]:
    """Why a message can't be read as an English customer message (``None``: it can)."""
    if not text or not text.strip():
        return EMPTY
    if _MARKUP.search(text):
        return MARKUP
    if not any(ch.isalpha() for ch in _TAG.sub(" ", text)):
        return NO_WORDS
    if language_of(text):
        return LANGUAGE
    return None
