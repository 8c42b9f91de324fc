"""The one translation layer: every user-visible text of the hub, the consoles and the widget.

The texts live in ``locales/<locale>/<domain>.json``, one flat ``{key: text}`` table per
locale and domain, and nothing but this module reads them:

- ``hub``: what the hub itself says (system messages in the chat, e-mails, the survey page);
  looked up with ``t(key, locale, **values)``.
- ``console``: the agent and supervisor consoles and the sign-in page; a page embeds its
  table as JSON (``catalogue(locale, "console")``, ticketing/web/console_pages.py).
- ``widget``: the customer chat widget; ``/widget.js`` carries the tables of every locale
  (``tables("widget")``, ticketing/web/pages.py).

English is the reference catalogue; other locales fall back to it key by key. Placeholders are
``{name}``, the same in every locale (tests/unit/test_locales.py checks both).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"
LOCALES = ("en", "zh-CN")
DOMAINS = ("hub", "console", "widget")


@cache
def messages(locale: str, domain: str = "hub") -> dict[str, str]:
    """The texts of one locale file as written (no fallback); empty when there is none."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown text domain {domain!r}")
    path = LOCALES_DIR / locale / f"{domain}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def catalogue(locale: str, domain: str = "hub") -> dict[str, str]:
    """Every text of ``domain`` in ``locale``: its own, else the English one, key by key."""
    return {**messages(DEFAULT_LOCALE, domain), **messages(locale, domain)}


def tables(domain: str) -> dict[str, dict[str, str]]:
    """``{locale: catalogue}`` for every supported locale (what a client picks from itself)."""
    return {locale: catalogue(locale, domain) for locale in LOCALES}


def normalize_locale(locale: str | None) -> str:
    """Best supported locale for a tag such as ``zh``, ``zh-Hans-CN`` or ``en-GB``."""
    if not locale:
        return DEFAULT_LOCALE
    tag = locale.replace("_", "-").lower()
    if tag.startswith("zh"):
        return "zh-CN"
    return DEFAULT_LOCALE


def t(key: str, locale: str | None = None, **values: object) -> str:
    """The hub's text for ``key`` in ``locale``, with ``{placeholders}`` filled in."""
    text = messages(normalize_locale(locale)).get(key) or messages(DEFAULT_LOCALE)[key]
    return text.format(**values) if values else text
