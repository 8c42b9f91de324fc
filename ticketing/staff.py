"""Staff accounts (agents, supervisors, admins): passwords, sign-in sessions, presence."""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .errors import Conflict, Unauthorized, invalid
from .models import PRESENCE, ROLES, AuthSession, Team, User, user_teams, utcnow
from .tokens import hash_token

# a session ends after this long without use (sliding) ...
SESSION_TTL = timedelta(hours=12)
# ... and, used or not, this long after sign-in
SESSION_MAX_AGE = timedelta(days=7)
MIN_PASSWORD_LENGTH = 8
ROLE_RANK = {"agent": 1, "supervisor": 2, "admin": 3}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
# A real hash to verify against when the e-mail is unknown, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def use_fast_hashing_for_tests() -> None:
    """Cheap argon2 parameters: only for test suites that create many accounts."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise invalid("a valid e-mail address is required", field="email")
    return email


def has_role(user: User, minimum: str) -> bool:
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[minimum]


async def create_user(
    db: AsyncSession,
    email: str,
    password: str,
    *,
    role: str = "agent",
    name: str | None = None,
    teams: list[str] | None = None,
    capacity: int = 3,
) -> User:
    email = normalize_email(email)
    if role not in ROLES:
        raise invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if not 1 <= capacity <= 50:
        raise invalid("capacity must be between 1 and 50", field="capacity")
    if await db.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("conflict", f"a user with e-mail {email} already exists")
    team_rows = await teams_by_key(db, teams or ["general"])
    user = User(
        email=email,
        name=(name or email.split("@")[0]).strip()[:200],
        role=role,
        password_hash=hash_password(password),
        capacity=capacity,
    )
    db.add(user)
    await db.flush()
    for team in team_rows:
        await db.execute(user_teams.insert().values(user_id=user.id, team_id=team.id))
    return user


async def teams_by_key(db: AsyncSession, keys: list[str]) -> list[Team]:
    rows = (await db.execute(select(Team).where(Team.key.in_(keys)))).scalars().all()
    missing = set(keys) - {t.key for t in rows}
    if missing:
        raise invalid(f"unknown team(s): {', '.join(sorted(missing))}", field="team")
    return list(rows)


async def team_ids_of(db: AsyncSession, user_id: int) -> set[int]:
    rows = await db.execute(select(user_teams.c.team_id).where(user_teams.c.user_id == user_id))
    return {r[0] for r in rows}


async def sign_in(db: AsyncSession, email: str, password: str) -> tuple[User, str, AuthSession]:
    """Check the password; a new session token (for the cookie) and its session row."""
    email = (email or "").strip().lower()
    user = (await db.execute(select(User).where(User.email == email))).scalar_one_or_none()
    # argon2 takes ~0.2 s of CPU: in a worker thread, so sign-ins don't stall every chat
    stored = user.password_hash if user else _DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, stored, password or "")
    if not ok or user is None or not user.active:
        raise Unauthorized("invalid_credentials", "e-mail or password is not correct")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session = AuthSession(
        token_hash=hash_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + SESSION_TTL,
        last_seen_at=now,
    )
    db.add(session)
    user.last_login_at = now
    if user.presence == "offline":
        user.presence, user.presence_at = "online", now
    return user, token, session


async def session_for(db: AsyncSession, token: str) -> tuple[User, AuthSession] | None:
    """The active user and session of a cookie token, sliding its expiry (the caller's
    transaction commits the new expiry)."""
    row = (
        await db.execute(
            select(AuthSession, User)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    session, user = row
    now = utcnow()
    if session.expires_at <= now or not user.active:
        return None
    if session.created_at + SESSION_MAX_AGE <= now:
        return None
    if now - session.last_seen_at > timedelta(minutes=1):
        session.last_seen_at = now
        session.expires_at = min(now + SESSION_TTL, session.created_at + SESSION_MAX_AGE)
    return user, session


async def change_password(
    db: AsyncSession, user_id: int, current: str, new: str, keep_session_id: int
) -> None:
    """Check the current password, store the new one, end every other session of the user."""
    user = await db.get(User, user_id)
    if user is None or not await asyncio.to_thread(verify_password, user.password_hash, current):
        raise Unauthorized("invalid_credentials", "the current password is not correct")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise invalid(
            f"the new password needs at least {MIN_PASSWORD_LENGTH} characters", field="new"
        )
    if new == current:
        raise invalid("the new password must differ from the current one", field="new")
    user.password_hash = await asyncio.to_thread(hash_password, new)
    await db.execute(
        delete(AuthSession).where(AuthSession.user_id == user_id, AuthSession.id != keep_session_id)
    )


async def sign_out(db: AsyncSession, session_id: int) -> None:
    session = await db.get(AuthSession, session_id)
    if session is not None:
        user = await db.get(User, session.user_id)
        await db.delete(session)
        remaining = await db.scalar(
            select(func.count(AuthSession.id)).where(
                AuthSession.user_id == session.user_id, AuthSession.id != session_id
            )
        )
        if user is not None and not remaining:
            user.presence, user.presence_at = "offline", utcnow()


async def set_presence(db: AsyncSession, user: User, presence: str) -> None:
    if presence not in PRESENCE:
        raise invalid(f"presence must be one of {', '.join(PRESENCE)}", field="presence")
    user.presence, user.presence_at = presence, utcnow()


def user_json(user: User, team_keys: list[str] | None = None) -> dict:
    data = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "presence": user.presence,
        "capacity": user.capacity,
        "active": user.active,
    }
    if team_keys is not None:
        data["teams"] = team_keys
    return data


async def team_keys_of(db: AsyncSession, user_id: int) -> list[str]:
    rows = await db.execute(
        select(Team.key)
        .join(user_teams, user_teams.c.team_id == Team.id)
        .where(user_teams.c.user_id == user_id)
        .order_by(Team.key)
    )
    return [r[0] for r in rows]
