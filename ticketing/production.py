"""A hub that faces the internet refuses to start with development defaults.

Production is ``HELPDESK_ENV=production``, or a public listener on an address other than
loopback (``Settings.from_env``). Then ``python -m ticketing serve`` checks the settings and
the staff accounts before it opens a port, and names every unsafe one: the internal API token
(unset, the development value, or short), Rasa's token, cookies without ``Secure``, and demo
staff accounts that still have the published demo password. The hub has no cookie-signing
secret: staff sessions are random tokens stored hashed, so there is none to check.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from . import db
from .models import User
from .privacy.crypto import DEV_DATA_KEY, DEV_LOOKUP_KEY, Vault
from .settings import DEV_INTERNAL_TOKEN, Settings
from .staff import verify_password

MIN_SECRET_LENGTH = 32


class UnsafeForProduction(SystemExit):
    """Raised instead of starting; the message names each setting to fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"refusing to start in production (HELPDESK_ENV=production):\n{lines}")


def _secret_problem(name: str, value: str | None, development: str | None = None) -> str | None:
    if not value:
        return f"{name} is not set (use a random value: openssl rand -hex 32)"
    if development is not None and value == development:
        return f"{name} is the development value"
    if len(value) < MIN_SECRET_LENGTH:
        return f"{name} is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def setting_problems(settings: Settings) -> list[str]:
    """What in ``settings`` is unsafe for a hub on the internet (nothing in development)."""
    if not settings.production:
        return []
    problems = [
        _secret_problem("HUB_INTERNAL_TOKEN", settings.internal_token, DEV_INTERNAL_TOKEN),
        _secret_problem("RASA_TOKEN", settings.rasa_token),
    ]
    if not settings.cookie_secure:
        problems.append("COOKIE_SECURE is off: staff cookies would travel without HTTPS")
    problems.append(_data_key_problem(settings))
    problems.append(_secret_problem("DATA_LOOKUP_KEY", settings.data_lookup_key, DEV_LOOKUP_KEY))
    return [problem for problem in problems if problem]


def _data_key_problem(settings: Settings) -> str | None:
    """Customers' contact data is encrypted with DATA_KEYS: real Fernet keys, not the
    development one (``python -m ticketing keys new`` prints one)."""
    if not settings.data_keys:
        return "DATA_KEYS is not set (python -m ticketing keys new prints a key)"
    if DEV_DATA_KEY.decode() in settings.data_keys:
        return "DATA_KEYS holds the development key"
    try:
        Vault(settings.data_keys, settings.data_lookup_key or "x")
    except ValueError as exc:
        return str(exc)
    return None


async def demo_accounts(settings: Settings, emails: list[str], password: str) -> list[str]:
    """The active accounts among ``emails`` (the demo staff) still having ``password``."""
    engine = db.create_engine(settings.database_url)
    try:
        async with db.session_factory(engine)() as session:
            rows = (
                await session.execute(
                    select(User.email, User.password_hash).where(
                        User.email.in_(emails), User.active.is_(True)
                    )
                )
            ).all()
    except (OperationalError, ProgrammingError, DBAPIError):
        return []  # no schema yet: no accounts at all
    finally:
        await engine.dispose()
    found = []
    for email, password_hash in rows:
        if await asyncio.to_thread(verify_password, password_hash, password):
            found.append(email)
    return found


async def check(settings: Settings, demo_emails: list[str], demo_password: str) -> None:
    """Raise ``UnsafeForProduction`` when a production hub must not start (``demo_emails``
    with ``demo_password``: the accounts ``demo-data`` creates, see ticketing.demo)."""
    if not settings.production:
        return
    problems = setting_problems(settings)
    for email in await demo_accounts(settings, demo_emails, demo_password):
        problems.append(
            f"the demo account {email} still has the demo password "
            "(python -m ticketing user disable, or set a new password)"
        )
    if problems:
        raise UnsafeForProduction(problems)


def refuse_demo_data(settings: Settings) -> None:
    """Demo orders and demo staff are for ``make run``'s development mode only."""
    if settings.production:
        raise UnsafeForProduction(
            ["demo-data seeds published passwords and sample orders: development only"]
        )
