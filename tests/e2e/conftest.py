"""The whole helpdesk, for real: a trained model, Rasa server, action server and hub.

The model is trained once per run, or reused when its inputs are unchanged (scripts/train.py).
The three processes start once per test session on free ports; their logs go to
tests/artifacts/e2e-logs/.
"""

from __future__ import annotations

import sqlite3

import aiohttp
import pytest

from scripts.stack import Stack, free_port
from scripts.train import ensure_model

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def model():
    return ensure_model(quiet=True)


@pytest.fixture(scope="session")
def stack(model, tmp_path_factory, artifacts):
    db_path = tmp_path_factory.mktemp("e2e") / "hub.db"
    stack = Stack(
        model,
        hub_port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        database_url=f"sqlite:///{db_path}",
        log_dir=artifacts / "e2e-logs",
        run_dir=tmp_path_factory.mktemp("run"),
        extra_env={"RASA_TIMEOUT": "20"},
    )
    stack.db_path = db_path
    stack.start(timeout=400)
    yield stack
    stack.stop()


@pytest.fixture
def running(stack):
    """The stack with every process up (restarts one that a test stopped)."""
    stopped = [name for name, p in stack.processes.items() if not p.alive]
    if stopped:
        stack.start(stopped, timeout=400)
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
