"""Rasa's SQL tracker store, made to survive a database restart.

Rasa 3.6 builds the store's engine without ``pool_pre_ping``: after PostgreSQL restarts, every
pooled connection is dead and the next turn of each Rasa server fails with an error before
SQLAlchemy notices. This store is Rasa's own with the engine rebuilt with ``pool_pre_ping``
(a cheap check when a connection is taken from the pool, and a new connection when the
server went away). Use it in ``endpoints.yml`` as ``type: bot.stores.SQLTrackerStore`` with
the same settings as Rasa's ``type: SQL`` (the scaled topology does: scripts/scaled.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core import tracker_store
from sqlalchemy.orm import sessionmaker


class SQLTrackerStore(tracker_store.SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, pool_pre_ping=True, **tracker_store.create_engine_kwargs(url)
        )
        self.sessionmaker = sessionmaker(bind=self.engine)
