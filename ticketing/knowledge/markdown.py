"""An article's Markdown: shop facts filled in, split into sections, rendered safely.

An article body is Markdown with Jinja2 expressions over the shop's facts (``{{
shop.returns.days }}``), so a policy changed in shop.yml changes every article that states
it. The expressions run in Jinja2's sandbox with undefined names an error: a typo in a fact
is refused when the article is saved, not shown to customers as an empty gap.

The body is an introduction, then sections, each starting with a level-2 heading
(``## How do I start a return?``). Each section gets an anchor from its heading (``/help/
returns#how-do-i-start-a-return``), a plain-text version (what search indexes and what the
assistant quotes: the article's own words) and its sentences.

Rendering uses markdown-it-py's CommonMark preset with raw HTML off (``<script>`` is shown as
text) and its link validation (``javascript:``, ``vbscript:``, ``file:`` and ``data:`` links
are left as text); links get ``rel="nofollow noopener"``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import jinja2
import jinja2.sandbox
from markdown_it import MarkdownIt

MAX_BODY_CHARS = 100_000
MAX_SECTIONS = 40
HEADING = re.compile(r"^##[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(*])")

_facts = jinja2.sandbox.SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
)
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


class MarkdownError(ValueError):
    """The body cannot be published: a bad fact expression, too long, too many sections."""


@dataclass(frozen=True)
class Section:
    position: int
    anchor: str  # "" for the introduction
    heading: str  # "" for the introduction
    markdown: str
    text: str  # plain text: what is searched and quoted

    def sentences(self) -> list[str]:
        return split_sentences(self.text)


def fill_facts(body: str, facts: dict[str, Any]) -> str:
    """``body`` with its ``{{ shop... }}`` expressions evaluated; MarkdownError on any mistake."""
    if len(body) > MAX_BODY_CHARS:
        raise MarkdownError(f"the body is longer than {MAX_BODY_CHARS} characters")
    try:
        return _facts.from_string(body).render(shop=facts)
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise MarkdownError(f"a shop fact in the body cannot be filled in{where}: {exc}") from exc
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise MarkdownError(f"a shop fact in the body cannot be filled in: {exc}") from exc


def slugify(text: str, limit: int = 80) -> str:
    """``"How do I return an item?"`` → ``"how-do-i-return-an-item"`` (ASCII, lower case)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def split_sections(markdown: str) -> list[Section]:
    """The introduction (when not empty) and one section per ``## heading``, in order."""
    parts: list[tuple[str, str]] = []
    matches = list(HEADING.finditer(markdown))
    intro = markdown[: matches[0].start()] if matches else markdown
    if intro.strip():
        parts.append(("", intro))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(markdown)
        parts.append((match.group(1).strip(), markdown[match.end() : end]))
    if len(parts) > MAX_SECTIONS:
        raise MarkdownError(f"an article may have at most {MAX_SECTIONS} sections")
    sections, seen = [], set()
    for position, (heading, source) in enumerate(parts):
        anchor = slugify(heading) if heading else ""
        if heading and not anchor:
            anchor = f"section-{position}"
        base, n = anchor, 2
        while anchor in seen:
            anchor, n = f"{base}-{n}", n + 1
        seen.add(anchor)
        sections.append(Section(position, anchor, heading, source.strip(), plain_text(source)))
    return sections


def plain_text(markdown: str) -> str:
    """The words of ``markdown`` without its markup: paragraphs and list items joined."""
    blocks: list[str] = []
    for token in _markdown.parse(markdown):
        if token.type != "inline":
            continue
        words = []
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        text = re.sub(r"\s+", " ", "".join(words)).strip()
        if text:
            blocks.append(text if text[-1] in ".!?:" else text + ".")
    return " ".join(blocks)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def render_html(markdown: str) -> str:
    """Safe HTML for ``markdown`` (raw HTML escaped, unsafe links dropped)."""
    html = _markdown.render(markdown)
    return html.replace("<a href=", '<a rel="nofollow noopener" href=')


def render_article(body: str, facts: dict[str, Any]) -> list[dict[str, str]]:
    """``[{"anchor", "heading", "html", "text"}, ...]``: what the article page shows."""
    return [
        {
            "anchor": section.anchor,
            "heading": section.heading,
            "html": render_html(section.markdown),
            "text": section.text,
        }
        for section in split_sections(fill_facts(body, facts))
    ]
