"""The scaled topology's generated configuration (scripts/scaled.py): HAProxy accepts it, every
instance is behind its proxy, and Rasa's endpoints point at the shared stores."""

from __future__ import annotations

import re
import subprocess

import pytest

from scripts.scaled import HAPROXY, haproxy_config, rasa_endpoints
from scripts.system import MissingPackage, ensure_debian_package

PORTS = dict(public=18080, internal=18081, rasa=15005, actions=15055, stats=18404)


def config(**extra) -> str:
    return haproxy_config(
        **PORTS,
        hubs=[(19001, 19101), (19002, 19102)],
        rasas=[15101, 15102],
        action_servers=[15201, 15202],
        **extra,
    )


def backend(text: str, name: str) -> str:
    return re.search(rf"^backend {name}\n(.*?)(?=^\S|\Z)", text, re.M | re.S).group(1)


def test_haproxy_accepts_the_generated_configuration(tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text(config())
    binary = ensure_debian_package(HAPROXY, "haproxy")
    checked = subprocess.run([binary, "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_instance_sits_behind_its_frontend():
    text = config(rasa_maxconn=5)
    assert "bind 127.0.0.1:18080" in text and "bind 127.0.0.1:15005" in text
    hubs = backend(text, "hubs")
    assert re.findall(r"server (\S+) 127.0.0.1:(\d+) check", hubs) == [
        ("hub-1", "19001"),
        ("hub-2", "19002"),
    ]
    assert "option httpchk GET /health" in hubs and "retry-on conn-failure\n" in hubs
    assert re.findall(r"127.0.0.1:(\d+)", backend(text, "hubs_internal")) == ["19101", "19102"]
    rasa = backend(text, "rasa")
    assert "balance leastconn" in rasa and rasa.count("maxconn 5") == 2
    assert "retry-on conn-failure empty-response" in rasa
    assert re.findall(r"127.0.0.1:(\d+)", backend(text, "actions")) == ["15201", "15202"]
    assert "timeout tunnel" in text  # WebSockets stay open through the proxy


def test_rasa_shares_the_tracker_store_and_the_lock_store():
    endpoints = rasa_endpoints(
        "http://127.0.0.1:15055",
        "postgresql://rasa:secret@db.internal:6543/helpdesk",
        "redis://:pw@cache.internal:6380/3",
    )
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:15055/webhook"}
    assert endpoints["tracker_store"] == {
        "type": "bot.stores.SQLTrackerStore",
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 6543,
        "db": "helpdesk",
        "username": "rasa",
        "password": "secret",
    }
    assert endpoints["lock_store"] == {
        "type": "redis",
        "url": "cache.internal",
        "port": 6380,
        "db": 3,
        "key_prefix": "rasa",
        "password": "pw",
    }


def test_a_missing_package_without_apt_get_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingPackage, match="apt-get is not available to install nothing-here"):
        ensure_debian_package(str(tmp_path / "absent"), "nothing-here")
    present = tmp_path / "present"
    present.write_text("")
    assert ensure_debian_package(str(present), "whatever") == str(present)
