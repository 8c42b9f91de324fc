"""Live events on one socket's queue: a content-free notice waits once, everything else in
order; a full queue drops (and logs) instead of blocking the publisher."""

from __future__ import annotations

from ticketing import bus
from ticketing.bus import LocalBus, SubscriberQueue

NOTICE = {"type": "queue_changed"}


def drain(queue) -> list[dict]:
    return [queue.get_nowait() for _ in range(queue.qsize())]


async def test_a_waiting_notice_is_not_queued_twice_and_events_keep_their_order():
    hub_bus = LocalBus()
    async with hub_bus.subscribe("queue", "ticket") as queue:
        for channel, event in [
            ("queue", NOTICE),
            ("queue", NOTICE),
            ("ticket", {"type": "message", "id": 1}),
            ("queue", NOTICE),
            ("ticket", {"type": "message", "id": 2}),
        ]:
            await hub_bus.publish(channel, event)
        assert drain(queue) == [NOTICE, {"type": "message", "id": 1}, {"type": "message", "id": 2}]
        # once sent, the next change is a new notice
        await hub_bus.publish("queue", NOTICE)
        assert await queue.get() == NOTICE


async def test_events_with_content_are_never_merged():
    hub_bus = LocalBus()
    async with hub_bus.subscribe("ticket") as queue:
        for _ in range(3):
            await hub_bus.publish("ticket", {"type": "ticket_changed", "ticket": "T-000001"})
        assert len(drain(queue)) == 3


def test_a_full_queue_drops_the_event_and_the_notice_is_not_left_waiting(caplog):
    queue = SubscriberQueue(maxsize=1)
    hub_bus = LocalBus()
    hub_bus.add("queue", queue)
    queue.put_nowait({"type": "message", "id": 1})
    hub_bus._deliver("queue", NOTICE)  # full: dropped, logged
    assert "slow subscriber" in caplog.text
    assert drain(queue) == [{"type": "message", "id": 1}]
    hub_bus._deliver("queue", NOTICE)  # room again: delivered, not mistaken for a duplicate
    assert drain(queue) == [NOTICE]
    assert bus.QUEUE_LIMIT == SubscriberQueue()._maxsize
