"""Staff accounts: signing in and out (rate-limited, with the shop's lock-out policy) and who
a session cookie belongs to."""

from __future__ import annotations

from .. import limits, staff
from ..bus import QUEUE_CHANNEL
from ..context import Hub
from ..errors import Unauthorized, invalid
from ..models import AuthSession, User
from .uow import unit_of_work


async def signed_in(hub: Hub, token: str) -> tuple[User, AuthSession] | None:
    """The active user and session of a cookie token; a used session's expiry slides."""
    async with unit_of_work(hub) as uow:
        return await staff.session_for(uow.db, token)


def lockout_policy(hub: Hub) -> tuple[int, int]:
    """``(attempts, minutes)`` of the shop's account lock-out (shop.yml ``account``)."""
    account = hub.shop.facts.get("account") or {}
    return int(account.get("lockout_attempts", 5)), int(account.get("lockout_minutes", 30))


async def sign_in(
    hub: Hub, email: str, password: str, client: str | None
) -> tuple[User, str, AuthSession, list[str]]:
    """Check the password (at most ``login_ip`` tries per address; an account locks after
    the shop's number of wrong passwords in a row); the user, the cookie token, the session
    and the user's team keys."""
    account = staff.normalize_email(email)
    if client is not None:  # None: a loopback client in development
        await limits.hit(hub.limiter, "login_ip", client)
    await limits.check_not_locked(hub.limiter, account)
    try:
        async with unit_of_work(hub) as uow:
            user, token, session = await staff.sign_in(uow.db, email, password)
            teams = await staff.team_keys_of(uow.db, user.id)
            uow.publish(QUEUE_CHANNEL, {"type": "agents_changed"})
    except Unauthorized:
        attempts, minutes = lockout_policy(hub)
        await limits.sign_in_failed(hub.limiter, account, attempts, minutes)
        raise
    await limits.sign_in_succeeded(hub.limiter, account)
    return user, token, session, teams


async def sign_out(hub: Hub, session_id: int) -> None:
    async with unit_of_work(hub) as uow:
        await staff.sign_out(uow.db, session_id)
        uow.publish(QUEUE_CHANNEL, {"type": "agents_changed"})


async def set_presence(hub: Hub, user: User, value: object) -> None:
    async with unit_of_work(hub) as uow:
        row = await uow.db.get(User, user.id)
        await staff.set_presence(uow.db, row, str(value))
        uow.publish(QUEUE_CHANNEL, {"type": "agents_changed"})


async def teams_of(hub: Hub, user: User) -> list[str]:
    async with hub.sessions() as db:
        return await staff.team_keys_of(db, user.id)


async def change_password(hub: Hub, user: User, session: AuthSession, body: object) -> None:
    """A signed-in staff member sets a new password; their other sessions end."""

    if not isinstance(body, dict):
        raise invalid('send {"current": "...", "new": "..."}')
    current, new = body.get("current"), body.get("new")
    if not isinstance(current, str) or not isinstance(new, str):
        raise invalid("current and new are required", field="new")
    await limits.hit(hub.limiter, "login_ip", f"password:{user.id}")
    async with unit_of_work(hub) as uow:
        await staff.change_password(uow.db, user.id, current, new, session.id)
