"""Fixtures for the browser tests: a real hub process and a headless Chromium (Playwright).

The hub runs with RASA_URL pointing at a port where nothing listens, so the assistant is
unreachable: the hub then apologises with a system message offering "Talk to a person", and
that button hands the chat off to the agent queue. That is a real condition the widget must
handle, and it lets these tests run without a trained Rasa model.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, installed with apt-get when it is missing."""
    if not Path(CHROMIUM).exists():
        apt = shutil.which("apt-get")
        if apt is None:
            pytest.fail(f"{CHROMIUM} is missing and apt-get is not available to install it")
        result = subprocess.run(
            [apt, "install", "-y", "chromium"],
            capture_output=True,
            text=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        if result.returncode != 0 or not Path(CHROMIUM).exists():
            pytest.fail(
                f"{CHROMIUM} is missing and `apt-get install -y chromium` failed "
                f"(exit {result.returncode}); install Chromium by hand.\n{result.stderr[-2000:]}"
            )
    return CHROMIUM


def _wait_for_health(url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the hub exited with code {process.returncode} during start-up; "
                f"log ({log_path}):\n{log_path.read_text(errors='replace')[-4000:]}"
            )
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"the hub did not answer {url}/health within {timeout:.0f} s; "
        f"log ({log_path}):\n{log_path.read_text(errors='replace')[-4000:]}"
    )


@pytest.fixture(scope="session")
def hub_url(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[str]:
    """Base URL of a hub started as `python -m ticketing serve` on a fresh SQLite database.

    Its output goes to tests/artifacts/browser-hub.log, for reading after a failure.
    """
    tmp = tmp_path_factory.mktemp("hub")
    port = free_port()
    rasa_port = free_port()  # nothing listens there: Rasa is "down"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'hub.db'}",
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_TIMEOUT": "2",
        "HUB_INTERNAL_TOKEN": "browser-test-internal-token",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    log_path = artifacts / "browser-hub.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ticketing", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for_health(url, process, log_path, timeout=60)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it is started, which would break the asyncio tests that run after the browser tests.
@pytest.fixture(scope="module")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
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
