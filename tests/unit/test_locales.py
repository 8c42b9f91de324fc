"""The locale files: every text in every language, the same placeholders, one reader.

``ticketing/locales/<locale>/<domain>.json`` holds the texts of the hub itself (``hub``), the
staff consoles (``console``) and the chat widget (``widget``); English is the reference.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ticketing import i18n

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ticketing"
LOCALES_DIR = PACKAGE / "locales"
PLACEHOLDER = re.compile(r"\{(\w*)\}")
OTHER_LOCALES = [locale for locale in i18n.LOCALES if locale != i18n.DEFAULT_LOCALE]


def read(locale: str, domain: str) -> dict[str, str]:
    """The file itself (not through i18n: a missing file must fail here, not fall back)."""
    path = LOCALES_DIR / locale / f"{domain}.json"
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    table = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(table, dict) and table, f"{path.relative_to(ROOT)} is not a table of texts"
    for key, text in table.items():
        assert isinstance(text, str) and text.strip(), f"{locale}/{domain}.json: {key} is empty"
    return table


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("domain", i18n.DOMAINS)
@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_locale_has_every_file(locale: str, domain: str) -> None:
    read(locale, domain)


def test_no_stray_locale_files() -> None:
    """Every file under locales/ is one the i18n layer knows (no forgotten old catalogue)."""
    expected = {Path(loc, f"{domain}.json") for loc in i18n.LOCALES for domain in i18n.DOMAINS}
    found = {path.relative_to(LOCALES_DIR) for path in LOCALES_DIR.rglob("*") if path.is_file()}
    assert found == expected


@pytest.mark.parametrize("domain", i18n.DOMAINS)
@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_same_keys_in_every_locale(locale: str, domain: str) -> None:
    english = read(i18n.DEFAULT_LOCALE, domain)
    other = read(locale, domain)
    assert sorted(set(english) - set(other)) == [], f"untranslated in {locale}/{domain}.json"
    assert sorted(set(other) - set(english)) == [], f"not in en/{domain}.json"


@pytest.mark.parametrize("domain", i18n.DOMAINS)
@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_same_placeholders_in_every_locale(locale: str, domain: str) -> None:
    english = read(i18n.DEFAULT_LOCALE, domain)
    other = read(locale, domain)
    different = {
        key: (placeholders(english[key]), placeholders(other[key]))
        for key in english.keys() & other.keys()
        if placeholders(english[key]) != placeholders(other[key])
    }
    assert different == {}


def test_fallback_is_key_by_key(monkeypatch: pytest.MonkeyPatch) -> None:
    def messages(locale: str, domain: str = "hub") -> dict[str, str]:
        return {"en": {"a": "A {n}", "b": "B"}, "zh-CN": {"a": "甲 {n}"}}.get(locale, {})

    monkeypatch.setattr(i18n, "messages", messages)
    i18n.catalogue.cache_clear()
    try:
        assert i18n.catalogue("zh-CN", "console") == {"a": "甲 {n}", "b": "B"}
        assert i18n.catalogue("fr", "console") == {"a": "A {n}", "b": "B"}
        assert i18n.t("a", "zh", n=3) == "甲 3"
        assert i18n.t("b", "zh-CN") == "B"
    finally:
        i18n.catalogue.cache_clear()


def test_tables_carry_every_locale() -> None:
    widget = i18n.tables("widget")
    assert set(widget) == set(i18n.LOCALES)
    assert widget["zh-CN"]["feedbackQuestion"] != widget["en"]["feedbackQuestion"]
    with pytest.raises(ValueError):
        i18n.messages("en", "nonsense")


# A string literal naming the folder ("locales", "ticketing/locales/en/hub.json"): code that
# would open the files itself. Comments and docs may mention the path.
LOCALES_LITERAL = re.compile(r"""(["'])[^"'\n]*\blocales\b[^"'\n]*\1""")


def test_only_the_i18n_layer_reads_the_locale_files() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*")
        if path.suffix in (".py", ".js", ".html")
        and path != PACKAGE / "i18n.py"
        and LOCALES_LITERAL.search(path.read_text(encoding="utf-8"))
    ]
    assert readers == []


# Literal keys only: t("sup.tab." + key) and label(group, value) are built at run time.
T_CALL = re.compile(r"""\bt\(\s*(["'])([^"'\s]+)\1\s*[,)]""")


def used_keys(paths: list[Path]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for path in paths:
        for match in T_CALL.finditer(path.read_text(encoding="utf-8")):
            keys.setdefault(match.group(2), str(path.relative_to(ROOT)))
    return keys


def test_every_text_the_hub_asks_for_exists() -> None:
    sources = [path for path in sorted(PACKAGE.rglob("*.py")) if "migrations" not in path.parts]
    sources.append(PACKAGE / "templates" / "survey.html")
    english = read("en", "hub")
    used = used_keys(sources)
    assert {"rasa_unavailable", "survey_title"} <= used.keys()
    assert {key: where for key, where in used.items() if key not in english} == {}


CONSOLE_PAGES = ("_base.html", "login.html", "agent.html", "supervisor.html")


def test_every_text_the_consoles_ask_for_exists() -> None:
    static = PACKAGE / "static"
    sources = [PACKAGE / "templates" / name for name in CONSOLE_PAGES]
    sources += [static / "console-common.js", static / "login.js", static / "transcript.js"]
    for console in ("agent", "supervisor"):
        sources += sorted((static / console).glob("*.js"))
    english = read("en", "console")
    missing = {key: where for key, where in used_keys(sources).items() if key not in english}
    assert missing == {}


def test_every_text_the_widget_asks_for_exists() -> None:
    static = PACKAGE / "static"
    sources = [static / "widget.js", *sorted((static / "widget").glob("*.js"))]
    english = read("en", "widget")
    used = used_keys(sources)
    assert len(used) > 20  # the pattern still finds the widget's t() calls
    assert {key: where for key, where in used.items() if key not in english} == {}
