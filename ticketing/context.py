"""The hub's shared dependencies, built once per application."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker

from .bus import LocalBus
from .limits import Limiter
from .rasa_client import RasaClient
from .settings import Settings
from .shop import Shop


@dataclass
class Hub:
    settings: Settings
    engine: AsyncEngine
    sessions: sessionmaker
    bus: LocalBus
    rasa: RasaClient
    shop: Shop
    limiter: Limiter
    # when this process runs its daily jobs next (services/background.py); per process, as
    # each job is safe to run on every instance
    next_runs: dict[str, datetime] = field(default_factory=dict)
    # customer messages (conversation id, Idempotency-Key) this process is storing or answering:
    # a retry of one of them waits for that answer instead of asking Rasa again
    answering: set[tuple[int, str]] = field(default_factory=set)
