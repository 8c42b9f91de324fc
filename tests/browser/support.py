"""Plain helpers for the browser tests (tests/browser/ and tests/e2e/test_browser_flow.py).

Functions, not fixtures: each test module keeps its own fixtures and their scopes (the
``browser`` fixtures are module-scoped: Playwright's sync API keeps an event loop running in
this thread while it is started, which would break the asyncio tests that run after).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from scripts.envs import HUB_PYTHON
from scripts.system import MissingPackage, ensure_debian_package
from tests.limits import GENEROUS_LIMITS

if TYPE_CHECKING:  # Playwright is imported by the tests themselves, when they run
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

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
STAFF_TEAMS = "general,billing,delivery,technical,complaints"
INTERNAL_TOKEN = "browser-test-internal-token"
IDENTITY_SECRET = "browser-test-identity-secret"


def verified_customer(name: str, email: str) -> dict[str, str]:
    """A chat's ``customer`` whose e-mail the shop vouches for (ticketing/identity.py)."""
    import hashlib
    import hmac

    digest = hmac.new(IDENTITY_SECRET.encode(), email.strip().lower().encode(), hashlib.sha256)
    return {"name": name, "email": email, "user_hash": digest.hexdigest()}


ACCEPT_PRIVACY = "Accept and start chatting"  # the widget's button under its privacy notice


def accept_privacy(page: Page, name: str = ACCEPT_PRIVACY) -> None:
    """Accepts the privacy notice the widget shows before a new chat's first message."""
    page.get_by_role("button", name=name).click()


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------- Chromium


def ensure_chromium() -> str:
    """Debian's Chromium, installed with apt-get when it is missing; fails the test otherwise."""
    try:
        return ensure_debian_package(CHROMIUM, "chromium")
    except MissingPackage as exc:
        pytest.fail(str(exc))


def launch_chromium(playwright: Playwright, path: str = CHROMIUM) -> Browser:
    """A headless Chromium browser (Playwright's sync API) with the tests' flags."""
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)


class PageOpener:
    """Opens pages, each in a fresh browser context, and records the pages' JavaScript errors.

    A page error or an alert (which would mean injected markup ran) is recorded, never
    blocking; ``close()`` closes the contexts and fails the test when anything was recorded.
    """

    def __init__(
        self, browser: Browser, base_url: str, *, timeout: float = 10_000, **context_options: Any
    ) -> None:
        self.browser = browser
        self.base_url = base_url
        self.timeout = timeout
        self.context_options = {"viewport": {"width": 1440, "height": 900}, **context_options}
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def open(self) -> Page:
        context = self.browser.new_context(base_url=self.base_url, **self.context_options)
        context.set_default_timeout(self.timeout)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        assert not self.errors, f"JavaScript errors on the page: {self.errors}"


# ------------------------------------------------------------------------------------ hub


def wait_for_health(url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    """Waits until ``url``/health answers 200; fails with the log's tail if it never does."""
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


# hub URL -> the URL of its internal API's own (loopback) listener
INTERNAL_URLS: dict[str, str] = {}


def internal_url(hub_url: str, path: str) -> str:
    """The absolute URL of ``path`` on the internal listener of the hub at ``hub_url``."""
    return INTERNAL_URLS[hub_url.rstrip("/")] + path


def start_hub(
    database_url: str,
    log_path: Path,
    *,
    rasa_url: str | None = None,
    rasa_timeout: str = "2",
    unset: Iterable[str] = ("REDIS_URL",),
    timeout: float = 60,
    extra_env: Mapping[str, str] | None = None,
) -> tuple[str, subprocess.Popen]:
    """Starts `python -m ticketing serve` on a free port and waits until it is healthy.

    Without ``rasa_url`` the hub points at a port where nothing listens (Rasa is "down").
    ``unset`` names environment variables the hub must not inherit. Its output goes to
    ``log_path``. Returns the hub's base URL and its process (stop it with ``stop_hub``).
    """
    port = free_port()
    internal_port = free_port()
    env = {
        **os.environ,
        "HUB_INTERNAL_PORT": str(internal_port),
        "DATABASE_URL": database_url,
        "RASA_URL": rasa_url or f"http://127.0.0.1:{free_port()}",
        "RASA_TIMEOUT": rasa_timeout,
        "HUB_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "PYTHONUNBUFFERED": "1",
        "RATE_LIMITS": GENEROUS_LIMITS,
        "IDENTITY_SECRET": IDENTITY_SECRET,
        **(extra_env or {}),
    }
    for name in unset:
        env.pop(name, None)
    with open(log_path, "wb") as log:  # the child keeps its own handle on the file
        process = subprocess.Popen(
            [str(HUB_PYTHON), "-m", "ticketing", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    INTERNAL_URLS[url] = f"http://127.0.0.1:{internal_port}"
    try:
        wait_for_health(url, process, log_path, timeout=timeout)  # the schema exists now
    except BaseException:
        stop_hub(process)
        raise
    return url, process


def stop_hub(process: subprocess.Popen) -> None:
    """Terminates the hub; kills it when it has not exited after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class OwnHub:
    """A test module's own hub: its URL and its SQLite database (file and URL)."""

    url: str
    database: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"


@contextmanager
def staff_hub(
    directory: Path,
    log_path: Path,
    users: Iterable[tuple[str, str, str]],
    password: str,
    **options: Any,
) -> Iterator[OwnHub]:
    """A hub of its own (`python -m ticketing serve`, SQLite in ``directory``, Rasa down unless
    ``rasa_url`` is given) with staff ``users`` (email, name, role); stopped on exit."""
    database = directory / "hub.db"
    url, process = start_hub(f"sqlite:///{database}", log_path, **options)
    try:
        add_users_cli(f"sqlite:///{database}", users, password)
        yield OwnHub(url=url, database=database)
    finally:
        stop_hub(process)


# ---------------------------------------------------------------------------------- staff


def add_users_cli(
    database_url: str,
    users: Iterable[tuple[str, str, str]],
    password: str,
    *,
    teams: str = STAFF_TEAMS,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> None:
    """`python -m ticketing user add EMAIL --role R --name N --teams ...` per (email, name, role).

    The password goes on stdin; ``env`` adds to the environment. The runs go in parallel: each
    pays Python's and argon2's start-up.
    """
    runs: list[subprocess.Popen] = []
    for email, name, role in users:
        run = subprocess.Popen(
            [str(HUB_PYTHON), "-m", "ticketing", "user", "add", email]
            + ["--role", role, "--name", name, "--teams", teams],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env={**os.environ, **(env or {}), "DATABASE_URL": database_url},
        )
        runs.append(run)
    for run in runs:
        out, err = run.communicate(password + "\n", timeout=timeout)
        assert run.returncode == 0, f"{out}\n{err}"
