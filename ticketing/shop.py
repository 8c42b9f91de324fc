"""The shop's facts (shop.yml): business hours, SLA targets, reopen window, demo facts.

One file feeds the assistant's answers, the demo page and the hub's service standards, so
what the bot promises is what the SLA clocks measure. ``SHOP_FILE`` points elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .sla import BusinessCalendar, SlaPolicy

DEFAULT_SHOP_FILE = Path(__file__).resolve().parent.parent / "shop.yml"


@dataclass(frozen=True)
class Shop:
    facts: dict[str, Any]
    calendar: BusinessCalendar
    sla: SlaPolicy

    @property
    def name(self) -> str:
        return self.facts.get("name", "our shop")

    @property
    def reopen_window_days(self) -> int:
        return int(self.facts.get("complaints", {}).get("reopen_window_days", 7))

    @property
    def complaint_priority(self) -> str:
        return self.facts.get("complaints", {}).get("first_response_priority", "P2")

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> Shop:
        return cls(
            facts=facts,
            calendar=BusinessCalendar.from_config(facts["business_hours"]),
            sla=SlaPolicy.from_config(facts["sla"]),
        )


@lru_cache(maxsize=4)
def load_shop(path: str | None = None) -> Shop:
    """The shop's facts from ``path`` (``Settings.shop_file``), else the repository's shop.yml."""
    path = path or str(DEFAULT_SHOP_FILE)
    facts = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Shop.from_facts(facts)
