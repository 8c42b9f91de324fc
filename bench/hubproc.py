"""A hub of a benchmark's own, alone: what bench/claim.py and bench/fanout.py share.

``start_hub`` runs ``python -m ticketing serve`` (a ``scripts.stack.Process``: its own
process group, its output in a log file started afresh) on free ports with an internal port
and token of its own, and waits until ``/health`` answers (``scripts.stack.ProcessGroup``).
Rasa is not started: ``RASA_URL`` points at a port where nothing listens. Auto-assignment is
off (the benchmark's agents claim the tickets), the rate limits are raised far above what one
address would need (every benchmark client is 127.0.0.1), the hub runs as in development
without the privacy-notice consent, and it inherits no ``REDIS_URL`` or ``HUB_HOST``; ``env``
adds to or overrides all of that (a ``REDIS_URL``, say). ``stop_hub`` stops it,
``cpu_seconds`` reads a process's CPU time from /proc.

Also: agent users added with ``python -m ticketing user add``, a customer chat handed off to
the queue through the internal API, an agent's sign-in, the p50/p95/max summary of timings,
the load average and the URL of a fresh database on a PostgreSQL server (created and dropped
with ``scripts.scaled.ensure_postgres_database`` / ``drop_postgres_database``).

Import it as ``bench.hubproc`` (``from bench import hubproc``) with the repository's root on
``sys.path``, as the benchmark scripts put it there.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from scripts.envs import HUB_PYTHON
from scripts.stack import ROOT, Process, ProcessGroup, StackError, free_port, tail
from ticketing.reports.stats import percentile

TEAMS = "general,billing,delivery,technical,complaints"
MAX_CAPACITY = 50  # the most concurrent chats the hub lets one agent hold (ticketing/staff.py)
RAISED_LIMITS = (
    "session_ip=100000/60,message_session=100000/60,login_ip=100000/60,"
    "lookup_session=100000/600,feedback_session=100000/60"
)
UNSET = ("REDIS_URL", "HUB_HOST")  # not inherited from the benchmark's own environment


@dataclass
class Hub:
    url: str
    internal_url: str
    token: str  # HUB_INTERNAL_TOKEN
    database_url: str
    process: Process

    @property
    def pid(self) -> int:
        assert self.process.popen is not None
        return self.process.popen.pid

    @property
    def internal_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.process.log_path, lines)


def start_hub(
    database_url: str, log_path: Path, env: Mapping[str, str] | None = None, timeout: float = 120
) -> Hub:
    """``python -m ticketing serve`` on free ports, Rasa "down", waited for until healthy.

    The log at ``log_path`` starts afresh. Raises ``StackError`` (with the log's tail) when
    the hub exits or does not answer within ``timeout`` seconds; stop it with ``stop_hub``.
    """
    port, internal_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    token = secrets.token_urlsafe(24)
    hub_env = {name: value for name, value in os.environ.items() if name not in UNSET}
    hub_env.update(
        {
            "DATABASE_URL": database_url,
            "HUB_URL": url,
            "HUB_INTERNAL_PORT": str(internal_port),
            "HUB_INTERNAL_TOKEN": token,
            "RASA_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there: no bot
            "RASA_TIMEOUT": "2",
            "AUTO_ASSIGN": "false",  # only the agents' claims assign tickets
            "RATE_LIMITS": RAISED_LIMITS,
            "HELPDESK_ENV": "development",
            "CHAT_CONSENT_REQUIRED": "0",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
    )
    log_path.unlink(missing_ok=True)
    command = [str(HUB_PYTHON), "-m", "ticketing", "serve", "--port", str(port)]
    process = Process("hub", command, f"{url}/health", log_path, hub_env)
    group = ProcessGroup()
    group.processes = {"hub": process}
    group.start(timeout=timeout)  # stops the hub and raises StackError when it fails
    return Hub(url, f"http://127.0.0.1:{internal_port}", token, database_url, process)


def stop_hub(hub: Hub) -> None:
    """Terminates the hub's process group; kills it when it has not exited after 15 s."""
    hub.process.stop()


def cpu_seconds(pid: int | None = None) -> float | None:
    """User + system CPU time of process ``pid`` so far (this one by default), from /proc;
    ``None`` where there is no /proc entry for it."""
    if pid is None:
        return time.process_time()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_since(pid: int | None, before: float | None) -> float | None:
    """CPU seconds of ``pid`` (this process by default) since ``cpu_seconds`` gave ``before``."""
    after = cpu_seconds(pid)
    return None if before is None or after is None else after - before


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (the machine may be shared)."""
    return [round(x, 2) for x in os.getloadavg()]


def timings(values: list[float], runs: bool = True) -> dict[str, float | int | None]:
    """Nearest-rank p50 and p95, and the max, in ms to 0.1; ``runs``: and how many."""
    summary: dict[str, float | int | None] = {
        "p50": round(percentile(values, 50), 1) if values else None,
        "p95": round(percentile(values, 95), 1) if values else None,
        "max": round(max(values), 1) if values else None,
    }
    if runs:
        summary["runs"] = len(values)
    return summary


# ---------------------------------------------------------------------------------- staff


def add_agents(database_url: str, count: int, capacity: int, password: str) -> list[str]:
    """``python -m ticketing user add`` per agent (every team, ``capacity`` chats at once,
    the password on stdin), a few at a time: each run pays Python's start-up and an argon2
    hash. Returns the e-mail addresses, ``bench-agent-01@example.com`` and on."""
    emails = [f"bench-agent-{i:02d}@example.com" for i in range(1, count + 1)]
    env = {**os.environ, "DATABASE_URL": database_url}
    batch = max(2, os.cpu_count() or 2)
    for start in range(0, len(emails), batch):
        runs = []
        for email in emails[start : start + batch]:
            name = "Agent " + email.split("@")[0].rsplit("-", 1)[1]
            command = [str(HUB_PYTHON), "-m", "ticketing", "user", "add", email]
            command += ["--role", "agent", "--name", name, "--teams", TEAMS]
            command += ["--capacity", str(capacity)]
            run = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                env=env,
            )
            runs.append(run)
        for run in runs:
            out, err = run.communicate(password + "\n", timeout=120)
            if run.returncode != 0:
                raise StackError(f"user add failed:\n{out}\n{err}")
    return emails


# ------------------------------------------------------------------------------- the API


async def answer(response: aiohttp.ClientResponse, *expect: int) -> dict:
    """The JSON body of ``response``; ``StackError`` when its status is not one of ``expect``."""
    if response.status not in expect:
        body = (await response.text())[:500]
        raise StackError(f"{response.method} {response.url.path}: {response.status} {body}")
    return await response.json()


async def sign_in(
    http: aiohttp.ClientSession, hub_url: str, email: str, password: str
) -> tuple[str, dict]:
    """``POST /api/auth/login``: the ``helpdesk_session`` cookie and the answer (``csrf_token``,
    ``user``)."""
    body = {"email": email, "password": password}
    async with http.post(f"{hub_url}/api/auth/login", json=body) as response:
        data = await answer(response, 200)
        return response.cookies["helpdesk_session"].value, data


async def handed_off_chat(
    http: aiohttp.ClientSession, hub: Hub, chat: dict, handoff: dict
) -> tuple[dict, str]:
    """A customer chat (``POST /api/chat/sessions`` with ``chat``) handed off to the queue the
    way the assistant does it (``POST /internal/conversations/{id}/handoff`` with ``handoff``
    on the internal listener): the new session and the ticket's number."""
    async with http.post(f"{hub.url}/api/chat/sessions", json=chat) as response:
        session = await answer(response, 201)
    url = f"{hub.internal_url}/internal/conversations/{session['session_id']}/handoff"
    async with http.post(url, json=handoff, headers=hub.internal_headers) as response:
        return session, (await answer(response, 200, 201))["ticket"]["number"]


# ---------------------------------------------------------------------------- PostgreSQL


def postgres_database_url(server: str, name: str | None = None, prefix: str = "bench") -> str:
    """The URL of database ``name`` (default: a new ``{prefix}_XXXXXXXX``) on the PostgreSQL
    server of the URL ``server`` (whose own database name does not matter)."""
    name = name or f"{prefix}_{uuid.uuid4().hex[:8]}"
    return urlsplit(server)._replace(path=f"/{name}").geturl()


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")
