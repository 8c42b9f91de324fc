"""Fixtures for the browser tests: a real hub process and a headless Chromium (Playwright).

The hub runs with RASA_URL pointing at a port where nothing listens, so the assistant is
unreachable: the hub then apologises with a system message offering "Talk to a person", and
that button hands the chat off to the agent queue. That is a real condition the widget must
handle, and it lets these tests run without a trained Rasa model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import ensure_chromium, launch_chromium, start_hub, stop_hub


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, installed with apt-get when it is missing."""
    return ensure_chromium()


@pytest.fixture(scope="session")
def hub_url(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[str]:
    """Base URL of a hub started as `python -m ticketing serve` on a fresh SQLite database.

    Its output goes to tests/artifacts/browser-hub.log, for reading after a failure.
    """
    tmp = tmp_path_factory.mktemp("hub")
    url, process = start_hub(f"sqlite:///{tmp / 'hub.db'}", artifacts / "browser-hub.log")
    try:
        yield url
    finally:
        stop_hub(process)


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it is started, which would break the asyncio tests that run after the browser tests.
@pytest.fixture(scope="module")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium_path)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, hub_url: str):
    """A fresh browser profile (empty localStorage) per test."""
    context = browser.new_context(base_url=hub_url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # An alert would mean injected markup ran (see the XSS test); fail loudly, never block.
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"
