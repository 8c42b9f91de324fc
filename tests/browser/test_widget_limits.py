"""A rate-limited message is not lost: the widget keeps it and sends it after Retry-After."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from .support import PageOpener, start_hub, stop_hub
from .test_widget import (
    MESSAGES_URL,
    api_messages,
    customer_bubble,
    open_chat,
    send,
    stored_session,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[str]:
    """A hub that takes two customer messages per 4 seconds and chat."""
    database = tmp_path_factory.mktemp("limits-hub") / "hub.db"
    url, process = start_hub(
        f"sqlite:///{database}",
        artifacts / "browser-limits-hub.log",
        extra_env={"RATE_LIMITS": "message_session=2/4", "RATE_LIMIT_LOOPBACK": "1"},
    )
    try:
        yield url
    finally:
        stop_hub(process)


def test_a_limited_message_is_sent_after_retry_after(browser: Browser, hub_url: str) -> None:
    pages = PageOpener(browser, hub_url)
    page = pages.open()
    try:
        statuses: list[int] = []
        page.on(
            "response",
            lambda r: (
                statuses.append(r.status)
                if MESSAGES_URL.search(r.url) and r.request.method == "POST"
                else None
            ),
        )
        open_chat(page)
        # the limit's windows start at multiples of 4 s: begin right after a boundary, so the
        # three messages fall into one window however slowly the machine runs
        time.sleep(4 - time.time() % 4 + 0.05)
        for text in ("first", "second", "third"):
            send(page, text)
            expect(customer_bubble(page, text)).to_be_visible()
        # the third was refused (429) and kept; a few seconds later it is in the chat
        assert 429 in statuses
        expect(
            page.locator("li.hd-msg--customer[data-id] .hd-bubble", has_text="third")
        ).to_be_visible()
        session = stored_session(page)
        texts = [m["text"] for m in api_messages(page, session) if m["sender"] == "customer"]
        assert texts == ["first", "second", "third"]
    finally:
        pages.close()
