"""The one translation layer for texts the hub itself shows to customers and staff.

English is the reference catalogue; other locales fall back to it key by key.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"


@cache
def catalogue(locale: str) -> dict[str, str]:
    path = LOCALES_DIR / f"{locale}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def normalize_locale(locale: str | None) -> str:
    """Best supported locale for a tag such as ``zh``, ``zh-Hans-CN`` or ``en-GB``."""
    if not locale:
        return DEFAULT_LOCALE
    tag = locale.replace("_", "-").lower()
    if tag.startswith("zh"):
        return "zh-CN"
    return DEFAULT_LOCALE


def t(key: str, locale: str | None = None, **values: object) -> str:
    """The text for ``key`` in ``locale``, with ``{placeholders}`` filled in."""
    text = catalogue(normalize_locale(locale)).get(key) or catalogue(DEFAULT_LOCALE)[key]
    return text.format(**values) if values else text
