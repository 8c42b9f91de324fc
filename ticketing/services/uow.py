"""The unit of work: one transaction, and the live events it causes sent after it commits.

    async with unit_of_work(hub) as uow:
        ticket = await tickets.claim(uow.db, agent, ticket)
        uow.publish(ticket_channel(ticket.number), {"type": "ticket_changed", ...})
        uow.after_commit(lambda: publish_status(hub, conversation))

Events queued with ``publish`` (and callbacks queued with ``after_commit``, for events that
read the committed state) run in order once the transaction has committed; when the block
raises, the transaction rolls back and none of them runs, so a console never shows what the
database does not hold. This is the one place that rule lives.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..context import Hub

log = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(self, hub: Hub, db: AsyncSession) -> None:
        self.hub = hub
        self.db = db
        self._pending: list[Callable[[], Awaitable[Any]]] = []

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Send ``event`` on ``channel`` once the transaction has committed."""
        self._pending.append(lambda: self.hub.bus.publish(channel, event))

    def after_commit(self, callback: Callable[[], Awaitable[Any]]) -> None:
        """Await ``callback()`` once the transaction has committed (in queue order)."""
        self._pending.append(callback)

    async def _committed(self) -> None:
        for callback in self._pending:
            await callback()


@asynccontextmanager
async def unit_of_work(hub: Hub) -> AsyncIterator[UnitOfWork]:
    async with hub.sessions() as db:
        async with db.begin():
            uow = UnitOfWork(hub, db)
            yield uow
    await uow._committed()
