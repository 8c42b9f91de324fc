"""The hub application on a real database: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text

from ticketing.db import create_engine
from ticketing.models import Base
from ticketing.settings import Settings
from ticketing.web.app import init_app
from ticketing.web.keys import HUB

INTERNAL_TOKEN = "integration-test-token"
SEEDED_TABLES = {"teams"}


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/hub.db"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    # Empty every table (and restart ids) so the next test starts from a clean database;
    # the teams the migration seeds stay.
    engine = create_engine(url)
    async with engine.begin() as connection:
        tables = ", ".join(
            f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in SEEDED_TABLES
        )
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
def rasa_url():
    """Where the hub looks for Rasa; by default a port where nothing listens (Rasa down)."""
    return f"http://127.0.0.1:{unused_port()}"


@pytest.fixture
def settings(database_url, rasa_url):
    return Settings(
        database_url=database_url,
        rasa_url=rasa_url,
        internal_token=INTERNAL_TOKEN,
        rasa_timeout=1.0,
    )


@pytest.fixture
async def client(aiohttp_client, settings):
    return await aiohttp_client(init_app(settings))


@pytest.fixture
def hub(client):
    return client.app[HUB]


class Chat:
    """A customer session driven through the public chat API."""

    def __init__(self, client, session_id: str, token: str) -> None:
        self.client = client
        self.session_id = session_id
        self.token = token

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    async def send(self, text=None, *, payload=None, key=None, expect=200) -> dict:
        body = {"text": text} if payload is None else {"payload": payload, "text": text}
        headers = dict(self.auth)
        if key:
            headers["Idempotency-Key"] = key
        response = await self.client.post(
            f"/api/chat/sessions/{self.session_id}/messages", json=body, headers=headers
        )
        assert response.status == expect, await response.text()
        return await response.json()

    async def messages(self, after: int = 0) -> list[dict]:
        response = await self.client.get(
            f"/api/chat/sessions/{self.session_id}/messages?after={after}", headers=self.auth
        )
        assert response.status == 200
        return (await response.json())["messages"]

    async def state(self) -> dict:
        response = await self.client.get(f"/api/chat/sessions/{self.session_id}", headers=self.auth)
        assert response.status == 200
        return await response.json()


@pytest.fixture
async def new_chat(client):
    async def make(**body) -> Chat:
        response = await client.post("/api/chat/sessions", json=body)
        assert response.status == 201, await response.text()
        data = await response.json()
        return Chat(client, data["session_id"], data["token"])

    return make


async def count_rows(hub, table: str) -> int:
    async with hub.engine.connect() as connection:
        return (await connection.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one()
