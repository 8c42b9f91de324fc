"""The hub application on a real database: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tests.limits import GENEROUS_LIMITS
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


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    from ticketing import staff

    staff.use_fast_hashing_for_tests()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite database that each test copies (migrating takes longer)."""
    from ticketing.db import upgrade

    path = tmp_path_factory.mktemp("template") / "hub.db"
    # Alembic runs its own event loop: keep it off the test's running loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, f"sqlite:///{path}").result()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request, tmp_path):
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "hub.db")
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
        worker_interval=0,  # tests run the worker's rounds themselves (worker.tick)
        # many chats from one test address: the limits have their own test
        rate_limits=GENEROUS_LIMITS,
        limit_loopback=True,
        # the webhook receivers of the tests listen on loopback
        webhook_allowed_hosts="127.0.0.1,localhost",
        identity_secret=IDENTITY_SECRET,
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


PASSWORD = "correct horse battery"
IDENTITY_SECRET = "the-shops-identity-secret"


def verified(email: str, name: str | None = None) -> dict:
    """``customer`` of a new chat whose e-mail the shop vouches for (ticketing/identity.py)."""
    from ticketing.identity import user_hash

    customer = {"email": email, "user_hash": user_hash(IDENTITY_SECRET, email)}
    return {**customer, "name": name} if name else customer


ALL_TEAMS = ["general", "billing", "delivery", "technical", "complaints"]


class Staff:
    """A signed-in agent/supervisor driving the staff API with their own cookie."""

    def __init__(self, client, user: dict, cookie: str, csrf: str) -> None:
        self.client = client
        self.user = user
        self.cookie = cookie
        self.csrf = csrf

    def headers(self, write: bool = True) -> dict:
        headers = {"Cookie": f"helpdesk_session={self.cookie}"}
        if write:
            headers["X-CSRF-Token"] = self.csrf
        return headers

    async def get(self, path: str, expect: int = 200):
        response = await self.client.get(path, headers=self.headers(write=False))
        assert response.status == expect, await response.text()
        return await response.json()

    async def call(self, method: str, path: str, body=None, expect: int = 200):
        response = await self.client.request(method, path, json=body, headers=self.headers())
        assert response.status == expect, await response.text()
        return await response.json()

    async def post(self, path: str, body=None, expect: int = 200):
        return await self.call("POST", path, body, expect)

    async def patch(self, path: str, body=None, expect: int = 200):
        return await self.call("PATCH", path, body, expect)


@pytest.fixture
def make_staff(client, hub):
    from ticketing.staff import create_user

    async def make(
        email: str, role: str = "agent", name: str | None = None, teams=None, capacity: int = 10
    ):
        async with hub.sessions() as db, db.begin():
            await create_user(
                db,
                email,
                PASSWORD,
                role=role,
                name=name,
                teams=teams or ALL_TEAMS,
                capacity=capacity,
            )
        response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status == 200, await response.text()
        cookie = response.cookies["helpdesk_session"].value
        client.session.cookie_jar.clear()
        body = await response.json()
        return Staff(client, body["user"], cookie, body["csrf_token"])

    return make


async def hand_off(client, chat, reason: str = "requested", **extra) -> dict:
    response = await client.post(
        f"/internal/conversations/{chat.session_id}/handoff",
        json={"reason": reason, **extra},
        headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"},
    )
    assert response.status in (200, 201), await response.text()
    return await response.json()
