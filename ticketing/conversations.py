"""Conversations by their public id (the chat's ``session_id``), for the services."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .errors import not_found
from .models import Conversation


async def by_public_id(db: AsyncSession, public_id: str, *, lock: bool = False) -> Conversation:
    """The conversation ``public_id`` (``lock``: FOR UPDATE); 404 when there is none."""
    query = select(Conversation).where(Conversation.public_id == public_id)
    if lock:
        query = query.with_for_update()
    found = (await db.execute(query)).scalar_one_or_none()
    if found is None:
        raise not_found("conversation")
    return found
