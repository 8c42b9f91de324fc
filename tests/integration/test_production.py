"""Production refuses to start with development defaults, naming each unsafe setting
(issue 11, point 2); demo data is for development only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ticketing import production
from ticketing.demo.seed import DEMO_PASSWORD, DEMO_STAFF
from ticketing.privacy.crypto import DEV_DATA_KEY, DEV_LOOKUP_KEY
from ticketing.settings import DEV_INTERNAL_TOKEN, Settings
from ticketing.staff import create_user

from .conftest import unused_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 40
DATA_KEY = Fernet.generate_key().decode()
LOOKUP_KEY = "l" * 40
DEMO_EMAILS = [email for email, *_ in DEMO_STAFF]


def _safe(settings: Settings) -> Settings:
    """Settings a production hub may start with."""
    return replace(
        settings,
        environment="production",
        internal_token=SECRET,
        rasa_token="r" * 40,
        cookie_secure=True,
        data_keys=(DATA_KEY,),
        data_lookup_key=LOOKUP_KEY,
    )


@pytest.fixture
def safe():
    return _safe(Settings(database_url="sqlite:///unused.db"))


def test_safe_production_settings_have_no_problems(safe):
    assert production.setting_problems(safe) == []


@pytest.mark.parametrize(
    "change, named",
    [
        ({"internal_token": DEV_INTERNAL_TOKEN}, "HUB_INTERNAL_TOKEN is the development value"),
        ({"internal_token": "short"}, "HUB_INTERNAL_TOKEN is shorter"),
        ({"rasa_token": None}, "RASA_TOKEN is not set"),
        ({"rasa_token": "short"}, "RASA_TOKEN is shorter"),
        ({"cookie_secure": False}, "COOKIE_SECURE is off"),
        ({"data_keys": ()}, "DATA_KEYS is not set"),
        ({"data_keys": (DEV_DATA_KEY.decode(),)}, "DATA_KEYS holds the development key"),
        ({"data_keys": ("not-a-fernet-key",)}, "DATA_KEYS must be Fernet keys"),
        ({"data_lookup_key": None}, "DATA_LOOKUP_KEY is not set"),
        ({"data_lookup_key": DEV_LOOKUP_KEY}, "DATA_LOOKUP_KEY is the development value"),
    ],
)
def test_each_unsafe_setting_is_named(safe, change, named):
    problems = production.setting_problems(replace(safe, **change))
    assert len(problems) == 1 and problems[0].startswith(named), problems


def test_development_has_no_refusals(safe):
    unsafe = replace(safe, rasa_token=None, cookie_secure=False, internal_token="x")
    assert len(production.setting_problems(unsafe)) == 3
    assert production.setting_problems(replace(unsafe, environment="development")) == []


async def test_demo_accounts_with_the_demo_password_refuse_the_start(client, hub, settings):
    safe = _safe(settings)
    await production.check(safe, DEMO_EMAILS, DEMO_PASSWORD)  # no demo accounts yet
    async with hub.sessions() as db, db.begin():
        await create_user(db, "admin@northwind.example", DEMO_PASSWORD, role="admin")
        await create_user(db, "dana@northwind.example", "a-real-password-now", role="agent")
    with pytest.raises(production.UnsafeForProduction) as refused:
        await production.check(safe, DEMO_EMAILS, DEMO_PASSWORD)
    assert len(refused.value.problems) == 1
    assert "admin@northwind.example" in refused.value.problems[0]


def _env(tmp_path, **extra) -> dict[str, str]:
    secrets = ("HUB_INTERNAL_TOKEN", "RASA_TOKEN", "DATA_KEYS", "DATA_LOOKUP_KEY")
    env = {k: v for k, v in os.environ.items() if k not in secrets}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{tmp_path}/prod.db",
        HUB_INTERNAL_PORT=str(unused_port()),
        **extra,
    )
    return env


def test_serve_on_a_public_address_with_defaults_refuses(tmp_path):
    """Binding 0.0.0.0 implies production: the hub exits before it opens a port."""
    done = subprocess.run(
        [sys.executable, "-m", "ticketing", "serve", "--host", "0.0.0.0", "--port", "1"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    for setting in ("HUB_INTERNAL_TOKEN", "RASA_TOKEN", "COOKIE_SECURE", "DATA_KEYS"):
        assert setting in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_demo_data_refuses_in_production(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ticketing", "demo-data"],
        env=_env(tmp_path, HELPDESK_ENV="production"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "development only" in done.stderr, done.stderr
    assert not (tmp_path / "prod.db").exists()  # refused before touching the database


def test_a_safe_production_hub_starts(tmp_path):
    port = unused_port()
    env = _env(
        tmp_path,
        HELPDESK_ENV="production",
        HUB_INTERNAL_TOKEN=SECRET,
        RASA_TOKEN="r" * 40,
        COOKIE_SECURE="true",
        DATA_KEYS=DATA_KEY,
        DATA_LOOKUP_KEY=LOOKUP_KEY,
    )
    hub = subprocess.Popen(
        [sys.executable, "-m", "ticketing", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert hub.poll() is None, hub.stderr.read()
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the hub did not start"
                time.sleep(0.3)
        assert response.status == 200
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        hub.terminate()
        hub.wait(timeout=30)
