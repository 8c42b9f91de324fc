"""Reading Rasa parse data without Rasa: shared by the NLU components and the actions."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple


def faq_ranking_of(
    selectors: Optional[Dict[str, Any]], intent: str = "faq"
) -> List[Tuple[str, float]]:
    """``[(topic, confidence), ...]`` of a parse's ``response_selector``, best first."""
    selector = (selectors or {}).get(intent) or {}
    ranking = []
    prefix = f"{intent}/"
    for item in selector.get("ranking") or []:
        key = str(item.get("intent_response_key") or "")
        if key.startswith(prefix):
            ranking.append((key[len(prefix) :], float(item.get("confidence") or 0.0)))
    return ranking
