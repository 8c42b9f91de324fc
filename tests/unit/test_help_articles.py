"""The demo shop's help centre (ticketing/knowledge/articles/): complete, valid, from shop.yml."""

from __future__ import annotations

import re
from collections import Counter

import yaml

from ticketing.knowledge import articles, markdown
from ticketing.knowledge.models import CATEGORIES
from ticketing.knowledge.seed import ARTICLES, read_directory
from ticketing.shop import DEFAULT_SHOP_FILE

FACTS = yaml.safe_load(DEFAULT_SHOP_FILE.read_text(encoding="utf-8"))
SHIPPED = read_directory(ARTICLES)


def test_there_is_a_real_help_centre_in_every_category():
    assert len(SHIPPED) >= 30
    per_category = Counter(meta["category"] for _, meta in SHIPPED)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= 3


def test_every_article_is_valid_and_renders_with_the_shop_facts():
    slugs = {slug for slug, _ in SHIPPED}
    for slug, meta in SHIPPED:
        fields = articles.validate(meta, FACTS)  # raises on a bad fact, a bad field
        assert articles.check_slug(slug) == slug
        filled = markdown.fill_facts(fields["body"], FACTS)
        sections = [s for s in markdown.split_sections(filled) if s.heading]
        assert 2 <= len(sections) <= 8, slug
        assert "{{" not in filled and "{%" not in filled, slug
        html = "".join(markdown.render_html(s.markdown) for s in sections)
        assert "<script" not in html and "javascript:" not in html, slug
        for target in re.findall(r"\]\(/help/([a-z0-9-]+)", fields["body"]):
            assert target in slugs, f"{slug} links to a missing article {target}"


def test_policies_come_from_shop_yml_not_literals():
    """One source: the articles that state a fact shop.yml holds use the fact, so a policy
    change in shop.yml changes them."""
    by_slug = dict(SHIPPED)
    uses = {
        "returns-and-refunds": "shop.returns.days",
        "delivery-times-and-costs": "shop.shipping.standard",
        "our-warranty": "shop.warranty.years",
        "gift-cards": "shop.gift_cards",
        "what-happens-after-a-complaint": "shop.complaints.reopen_window_days",
    }
    for slug, fact in uses.items():
        assert fact in by_slug[slug]["body"], (slug, fact)
    changed = {**FACTS, "returns": {**FACTS["returns"], "days": 45}}
    body = by_slug["returns-and-refunds"]["body"]
    assert "45 days" in markdown.fill_facts(body, changed)
    assert "45 days" not in markdown.fill_facts(body, FACTS)


def test_the_complaint_articles_follow_the_guide():
    by_slug = dict(SHIPPED)
    after = markdown.fill_facts(by_slug["what-happens-after-a-complaint"]["body"], FACTS).lower()
    for step in ("ticket number", "investigat", "satisf", "improve"):
        assert step in after, step
    assert "how-to-make-a-complaint" in by_slug
