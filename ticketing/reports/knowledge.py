"""The help centre's report: what customers asked that no article answers well, and how the
articles do (views, votes on the page, 👍/👎 on the assistant's answers from them).

"Questions without a good article" are customer turns in the period that the assistant
declined although the out-of-domain gate found them in (or near) the shop's domain (reasons
``weak_faq_match``, ``unlike_training``, ``classifier``), or answered from the help centre
with a score below ``WEAK_SCORE``, or whose answer from an article the customer marked
unhelpful. They are grouped like the NLU review (``reports/text.py``: normalised text,
near-duplicate word sets merged), most frequent first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..knowledge.models import Article
from ..models import Message
from .common import in_period, iso
from .periods import Period
from .text import group_similar, normalise

IN_DOMAIN_DECLINES = ("weak_faq_match", "unlike_training", "classifier")
WEAK_SCORE = 0.6
MAX_MESSAGES = 5000
EXAMPLES = 3

HOW = {
    "gaps": (
        "Customer messages in the period the assistant declined although they looked like "
        "shop questions (a weak FAQ match, unlike the training data, or classified off-topic), "
        "answered from an article with a score below 0.6, or whose article answer was marked "
        "unhelpful (the newest 5,000); grouped by normalised text, near-duplicates (80 % of "
        "words shared) merged into the most frequent wording."
    ),
    "articles": (
        "Per published article: page views, the page's 'Was this helpful?' votes, and the "
        "assistant's answers quoting it in the period with the customers' 👍 / 👎."
    ),
}


def _why(row: Any) -> str:
    if row.answer_helpful is False:
        return "unhelpful"
    return "weak_answer" if row.kb_section else "declined"


async def gaps(db: AsyncSession, period: Period, limit: int = 50) -> list[dict[str, Any]]:
    answer = aliased(Message)  # the bot's answer to the customer's message, with its 👍/👎
    rows = (
        await db.execute(
            select(
                Message.text,
                Message.created_at,
                Message.kb_section,
                answer.helpful.label("answer_helpful"),
            )
            .outerjoin(answer, and_(answer.reply_to_id == Message.id, answer.rateable.is_(True)))
            .where(
                Message.sender == "customer",
                Message.payload.is_(None),
                in_period(Message.created_at, period),
                or_(
                    and_(
                        Message.decision == "declined",
                        Message.ood_reason.in_(IN_DOMAIN_DECLINES),
                    ),
                    and_(Message.kb_section.is_not(None), Message.kb_score < WEAK_SCORE),
                    and_(Message.kb_section.is_not(None), answer.helpful.is_(False)),
                ),
            )
            .order_by(Message.id.desc())
            .limit(MAX_MESSAGES)
        )
    ).all()
    by_key: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        key = normalise(row.text or "")
        if key:
            by_key[key].append(row)
    weights = {key: len(items) for key, items in by_key.items()}
    groups = []
    for group in group_similar(list(by_key), weights):
        items = [row for key in group.members for row in by_key[key]]
        reasons = Counter(_why(row) for row in items)
        texts = Counter(row.text for row in items)
        ranked = sorted(texts.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
        groups.append(
            {
                "text": ranked[0][0],
                "count": len(items),
                "examples": [text for text, _ in ranked[:EXAMPLES]],
                "reasons": dict(reasons),
                "sections": sorted({row.kb_section for row in items if row.kb_section}),
                "last_at": iso(max(row.created_at for row in items)),
            }
        )
    groups.sort(key=lambda g: (-g["count"], g["text"]))
    return groups[:limit]


async def articles(db: AsyncSession, period: Period) -> list[dict[str, Any]]:
    answer = aliased(Message)
    used = (
        await db.execute(
            select(
                Message.kb_section,
                func.count(Message.id),
                func.count(answer.id).filter(answer.helpful.is_(True)),
                func.count(answer.id).filter(answer.helpful.is_(False)),
            )
            .outerjoin(answer, and_(answer.reply_to_id == Message.id, answer.rateable.is_(True)))
            .where(Message.kb_section.is_not(None), in_period(Message.created_at, period))
            .group_by(Message.kb_section)
        )
    ).all()
    per_slug: dict[str, dict[str, int]] = defaultdict(lambda: {"answers": 0, "up": 0, "down": 0})
    for section, count, up, down in used:
        totals = per_slug[section.partition("#")[0]]
        totals["answers"] += count
        totals["up"] += up
        totals["down"] += down
    rows = (
        await db.execute(
            select(Article).where(Article.status == "published").order_by(Article.title)
        )
    ).scalars()
    result = []
    for article in rows:
        totals = per_slug.get(article.slug, {"answers": 0, "up": 0, "down": 0})
        rated = totals["up"] + totals["down"]
        result.append(
            {
                "slug": article.slug,
                "title": article.title,
                "category": article.category,
                "views": article.views,
                "page_votes": {"yes": article.helpful_yes, "no": article.helpful_no},
                "bot_answers": totals["answers"],
                "bot_helpful": {"up": totals["up"], "down": totals["down"]},
                "bot_helpfulness": round(totals["up"] / rated, 3) if rated else None,
            }
        )
    result.sort(key=lambda a: (-a["bot_answers"], -a["views"], a["title"]))
    return result


async def report(db: AsyncSession, period: Period, limit: int = 50) -> dict[str, Any]:
    return {
        "gaps": await gaps(db, period, limit),
        "articles": await articles(db, period),
        "how": HOW,
    }
