"""Forget, in Rasa's tracker store, the chats the hub anonymised (retention, erasure).

The hub asks Rasa over HTTP to replace an anonymised chat's tracker with an empty one
(``PUT /conversations/{id}/tracker/events``). That clears the in-memory and Redis stores,
but Rasa's SQL tracker store only ever appends events, so the old rows stay. This job runs
in Rasa's environment (it uses Rasa's own tracker store classes, configured by the same
endpoints.yml as the Rasa server), pages through the hub's list of anonymised chats
(``GET /internal/privacy/forgotten``) and deletes their events::

    python -m bot.privacy --endpoints endpoints.yml      # e.g. daily, after the hub's run

Idempotent: a chat already forgotten has nothing left to delete. ``HUB_INTERNAL_URL`` and
``HUB_INTERNAL_TOKEN`` are read like the action server reads them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import List, Optional

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.actions import hub_client

log = logging.getLogger(__name__)
PAGE = 500


def forget_sql(store: SQLTrackerStore, sender_ids: List[str]) -> int:
    """Delete every event of these senders; how many rows went."""
    with store.session_scope() as session:
        deleted = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id.in_(sender_ids))
            .delete(synchronize_session=False)
        )
        session.commit()
    return int(deleted or 0)


async def forget(store: TrackerStore, sender_ids: List[str]) -> int:
    if isinstance(store, SQLTrackerStore):
        return forget_sql(store, sender_ids)
    for sender_id in sender_ids:  # other stores keep a tracker whole: replace it, empty
        await store.save(DialogueStateTracker(sender_id, slots=[]))
    return len(sender_ids)


async def run(store: TrackerStore) -> int:
    """Every anonymised chat the hub lists, forgotten; the number of rows (or trackers)."""
    after: Optional[int] = 0
    total = 0
    while after is not None:
        page = await hub_client.call(
            "GET", "/internal/privacy/forgotten", params={"after": after, "limit": PAGE}
        )
        if page["sender_ids"]:
            total += await forget(store, page["sender_ids"])
        after = page["next"]
    return total


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(prog="python -m bot.privacy", description=__doc__)
    parser.add_argument("--endpoints", default="endpoints.yml", help="Rasa's endpoints file")
    args = parser.parse_args(argv)
    config = read_endpoint_config(args.endpoints, "tracker_store")
    if config is None:  # Rasa's in-memory store: the hub's PUT already emptied it
        print("no tracker_store in the endpoints: Rasa keeps trackers in memory, nothing to do")
        return 0
    store = TrackerStore.create(config)
    removed = asyncio.run(run(store))
    print(f"forgot the anonymised chats in {type(store).__name__}: {removed} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
