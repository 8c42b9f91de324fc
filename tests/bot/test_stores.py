"""bot/stores.py: Rasa's SQL tracker store with a pre-pinged pool keeps Rasa's behaviour."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import SQLTrackerStore


async def test_the_store_pings_its_connections_and_keeps_trackers(tmp_path):
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "trackers.db"))
    assert store.engine.pool._pre_ping is True
    tracker = DialogueStateTracker.from_events("someone", [UserUttered("hello")])
    await store.save(tracker)
    again = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "trackers.db"))
    found = await again.retrieve("someone")
    assert [e.text for e in found.events if isinstance(e, UserUttered)] == ["hello"]
