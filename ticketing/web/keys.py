"""Typed keys for values stored on the aiohttp application and on requests."""

import weakref

from aiohttp import web

from ..context import Hub
from ..models import AuthSession, User
from ..settings import Settings

HUB = web.AppKey("hub", Hub)
SETTINGS = web.AppKey("settings", Settings)
WEBSOCKETS = web.AppKey("websockets", weakref.WeakSet)

# the signed-in staff member of a request and their session (None when signed out)
USER = web.RequestKey("user", User | None)
AUTH_SESSION = web.RequestKey("auth_session", AuthSession | None)
