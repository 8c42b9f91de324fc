"""One audit entry per access to personal data (``ticketing/privacy/audit.py``), written in
its own short transaction so that read-only services can leave one too."""

from __future__ import annotations

from typing import Any

from ..context import Hub
from ..models import User
from ..privacy import audit
from .uow import unit_of_work


async def audited(hub: Hub, actor: User | str, action: str, target: str, **detail: Any) -> None:
    """Write one audit entry."""
    async with unit_of_work(hub) as uow:
        audit.record(uow.db, actor, action, target, **detail)
