"""The whole helpdesk, for real: a trained model, Rasa server, action server and hub.

The model is trained once per run, or reused when its inputs are unchanged (scripts/train.py).
The three processes start once per test session on free ports; their logs go to
tests/artifacts/e2e-logs/. The hub's database gets the demo data (orders NW-104233 ...,
staff) before the hub starts, the shop is open around the clock (so a hand-off does not
depend on the time the tests run) and the demo agent Dana is signed in, i.e. online.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import aiohttp
import pytest
import yaml

from scripts.envs import HUB_PYTHON
from scripts.stack import ROOT, Stack, free_port
from scripts.train import ensure_model
from tests.limits import GENEROUS_LIMITS

DEMO_AGENT = ("dana@northwind.example", "northwind-demo")

pytestmark = pytest.mark.e2e


# the demo shop's key for verified identities (ticketing/identity.py)
IDENTITY_SECRET = "e2e-identity-secret"


@pytest.fixture(scope="session")
def model():
    return ensure_model(quiet=True)


def always_open_shop(directory: Path) -> Path:
    """A copy of shop.yml whose customer service never closes."""
    facts = yaml.safe_load((ROOT / "shop.yml").read_text(encoding="utf-8"))
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    facts["business_hours"]["weekly"] = {day: ["00:00", "24:00"] for day in days}
    facts["business_hours"]["holidays"] = []
    path = directory / "shop-always-open.yml"
    path.write_text(yaml.safe_dump(facts, allow_unicode=True), encoding="utf-8")
    return path


def seed_demo_data(database_url: str, env: dict) -> None:
    result = subprocess.run(
        [str(HUB_PYTHON), "-m", "ticketing", "demo-data"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class StaffSession:
    """A signed-in staff member (cookie + CSRF token), synchronous for session fixtures."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.csrf = ""
        self.csrf = self.call("POST", "/api/auth/login", {"email": email, "password": password})[
            "csrf_token"
        ]

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf},
        )
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def presence(self, value: str) -> None:
        self.call("POST", "/api/presence", {"presence": value})


@pytest.fixture(scope="session")
def stack(model, tmp_path_factory, artifacts):
    db_path = tmp_path_factory.mktemp("e2e") / "hub.db"
    run_dir = tmp_path_factory.mktemp("run")
    database_url = f"sqlite:///{db_path}"
    env = {
        "RASA_TIMEOUT": "20",
        "SHOP_FILE": str(always_open_shop(run_dir)),
        "RATE_LIMITS": GENEROUS_LIMITS,
        "IDENTITY_SECRET": IDENTITY_SECRET,
    }
    seed_demo_data(database_url, env)
    for old_log in (artifacts / "e2e-logs").glob("*.log"):  # this run's logs only (test_zz_logs)
        old_log.unlink()
    stack = Stack(
        model,
        hub_port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        database_url=database_url,
        log_dir=artifacts / "e2e-logs",
        run_dir=run_dir,
        extra_env=env,
    )
    stack.db_path = db_path
    stack.start(timeout=400)
    stack.agent = StaffSession(stack.hub_url, *DEMO_AGENT)  # signing in sets presence online
    yield stack
    stack.stop()


@pytest.fixture
def agents_offline(running):
    """No agent online for the duration of a test (the hand-off goes offline)."""
    running.agent.presence("offline")
    yield running
    running.agent.presence("online")


@pytest.fixture
def running(stack):
    """The stack with every process up (restarts one that a test stopped)."""
    stack.ensure_running(timeout=400)
    return stack


def query(stack, sql: str, *params):
    with sqlite3.connect(stack.db_path) as connection:
        return connection.execute(sql, params).fetchall()


class Customer:
    """A customer chatting through the public API of the running hub."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base
        self.session_id = ""
        self.token = ""

    async def start(self, **body) -> dict:
        async with self.http.post(f"{self.base}/api/chat/sessions", json=body) as response:
            assert response.status == 201
            data = await response.json()
        self.session_id, self.token = data["session_id"], data["token"]
        return data

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    async def say(self, text: str | None = None, payload: str | None = None) -> list[dict]:
        body = {"text": text} if payload is None else {"payload": payload, "text": text}
        async with self.http.post(
            f"{self.base}/api/chat/sessions/{self.session_id}/messages",
            json=body,
            headers=self.auth,
        ) as response:
            assert response.status == 200, await response.text()
            return (await response.json())["messages"]

    async def state(self) -> dict:
        async with self.http.get(
            f"{self.base}/api/chat/sessions/{self.session_id}", headers=self.auth
        ) as response:
            assert response.status == 200
            return await response.json()


@pytest.fixture
async def customer(running):
    async with aiohttp.ClientSession() as http:
        person = Customer(http, running.hub_url)
        await person.start()
        yield person


@pytest.fixture
async def customer_factory(running):
    """Customers started with a body, e.g. ``await customer_factory(customer={"email": ...})``."""
    async with aiohttp.ClientSession() as http:

        async def make(**body) -> Customer:
            person = Customer(http, running.hub_url)
            await person.start(**body)
            return person

        yield make
