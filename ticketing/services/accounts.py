"""Staff accounts: who a session cookie belongs to (the sign-in flows use ``staff``)."""

from __future__ import annotations

from .. import staff
from ..context import Hub
from ..models import AuthSession, User
from .uow import unit_of_work


async def signed_in(hub: Hub, token: str) -> tuple[User, AuthSession] | None:
    """The active user and session of a cookie token; a used session's expiry slides."""
    async with unit_of_work(hub) as uow:
        return await staff.session_for(uow.db, token)
