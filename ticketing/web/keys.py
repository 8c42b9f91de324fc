"""Typed keys for values stored on the aiohttp application."""

import weakref

from aiohttp import web

from ..context import Hub
from ..settings import Settings

HUB = web.AppKey("hub", Hub)
SETTINGS = web.AppKey("settings", Settings)
WEBSOCKETS = web.AppKey("websockets", weakref.WeakSet)
