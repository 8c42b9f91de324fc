"""Start the whole helpdesk: action server, Rasa server and hub (``make run``; e2e tests).

Each process logs to ``<log_dir>/<name>.log``. ``run`` waits until each answers its health
check, prints the URLs, stops all three on Ctrl-C, and when one dies reports it with the tail
of its log and stops the others.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.envs import HUB_PYTHON, RASA

ROOT = Path(__file__).resolve().parent.parent


class StackError(RuntimeError):
    pass


# make run-scaled: the machine's PostgreSQL and Redis unless DATABASE_URL / REDIS_URL say otherwise
DEFAULT_SCALED_DATABASE = "postgresql://postgres@127.0.0.1:5432/helpdesk_scaled"
DEFAULT_SCALED_REDIS = "redis://127.0.0.1:6379/1"

SECRET_OPTIONS = {"--auth-token"}  # Rasa's API token: never written into a log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def shown(command: list[str]) -> str:
    """The command line for a log, with the value of every secret option left out."""
    words = list(command)
    for i, word in enumerate(words[:-1]):
        if word in SECRET_OPTIONS:
            words[i + 1] = "***"
    return " ".join(words)


def tail(path: Path, lines: int = 25) -> str:
    if not path.exists():
        return "(no log)"
    return "".join(path.read_text(errors="replace").splitlines(True)[-lines:])


@dataclass
class Process:
    name: str
    command: list[str]
    health_url: str
    log_path: Path
    env: dict[str, str]
    popen: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("a")
        log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {shown(self.command)}\n")
        log.flush()
        self.popen = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches only the supervisor
        )
        log.close()

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def stop(self, timeout: float = 15) -> None:
        if not self.alive:
            return
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def died_message(self) -> str:
        code = self.popen.returncode if self.popen else None
        return (
            f"{self.name} exited (code {code}); last lines of {self.log_path}:\n"
            f"{tail(self.log_path)}"
        )


# healthy once loaded and warmed up: the hub channel answers 503 until its first turn is done
RASA_HEALTH = "{base}/webhooks/hub/"


def rasa_command(model: Path, token: str, host: str, port: int, endpoints: Path) -> list[str]:
    """The Rasa server: its HTTP API behind ``token``, the hub channel, these endpoints."""
    return [
        str(RASA), "run", "--enable-api", "--auth-token", token, "--model", str(model),
        "--interface", host, "--port", str(port),
        "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(endpoints),
    ]  # fmt: skip


def actions_command(port: int) -> list[str]:
    """The action server (rasa-sdk) with the bot's actions."""
    return [str(RASA), "run", "actions", "--actions", "bot.actions", "--port", str(port)]


class ProcessGroup:
    """Processes started together, each waited for until its health check answers."""

    processes: dict[str, Process]

    def start(self, names: list[str] | None = None, timeout: float = 300) -> None:
        names = names or list(self.processes)
        for name in names:
            self.processes[name].start()
        self.wait_healthy(names, timeout)

    def ensure_running(self, timeout: float = 600) -> None:
        """Start again every process that stopped (a test killed one)."""
        stopped = [name for name, process in self.processes.items() if not process.alive]
        if stopped:
            self.start(stopped, timeout=timeout)

    def wait_healthy(self, names: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(names)
        while pending:
            for name in list(pending):
                process = self.processes[name]
                if not process.alive:
                    self.stop()
                    raise StackError(process.died_message())
                if process.healthy():
                    pending.remove(name)
            if pending and time.monotonic() > deadline:
                self.stop()
                raise StackError(
                    f"{', '.join(pending)} did not answer within {timeout:.0f} s; "
                    + "; ".join(self.processes[n].died_message() for n in pending)
                )
            if pending:
                time.sleep(0.5)

    def stop(self, names: list[str] | None = None) -> None:
        for name in reversed(names or list(self.processes)):
            self.processes[name].stop()

    def dead(self) -> list[Process]:
        return [p for p in self.processes.values() if p.popen is not None and not p.alive]

    def kill(self, name: str) -> None:
        """``kill -9`` of one process and its children, as a crash would."""
        process = self.processes[name]
        assert process.popen is not None
        os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait(10)


class Stack(ProcessGroup):
    """The three processes, on the given ports, logging under ``log_dir``."""

    def __init__(
        self,
        model: Path,
        *,
        hub_port: int = 8080,
        rasa_port: int = 5005,
        actions_port: int = 5055,
        internal_port: int | None = None,
        database_url: str = "sqlite:///var/helpdesk.db",
        log_dir: Path = ROOT / "var" / "log",
        run_dir: Path = ROOT / "var" / "run",
        host: str = "127.0.0.1",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.hub_url = f"http://{host}:{hub_port}"
        # the internal API listens on loopback only, on a port of its own
        self.internal_port = internal_port or free_port()
        self.hub_internal_url = f"http://127.0.0.1:{self.internal_port}"
        self.rasa_url = f"http://{host}:{rasa_port}"
        self.actions_url = f"http://{host}:{actions_port}"
        self.database_url = database_url
        self.internal_token = secrets.token_urlsafe(24)
        # Rasa's --auth-token, which the hub sends (and the hub channel checks)
        self.rasa_token = secrets.token_urlsafe(24)
        base_env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "HUB_URL": self.hub_url,
            "HUB_INTERNAL_URL": self.hub_internal_url,
            "HUB_INTERNAL_PORT": str(self.internal_port),
            "RASA_URL": self.rasa_url,
            "HUB_INTERNAL_TOKEN": self.internal_token,
            "RASA_TOKEN": self.rasa_token,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        endpoints = self._write_endpoints(run_dir)
        self.processes = {
            "actions": Process(
                "actions",
                actions_command(actions_port),
                f"{self.actions_url}/health",
                log_dir / "actions.log",
                # rasa-sdk listens on every interface unless told: only Rasa calls it
                {**base_env, "SANIC_HOST": host},
            ),
            "rasa": Process(
                "rasa",
                rasa_command(model, self.rasa_token, host, rasa_port, endpoints),
                RASA_HEALTH.format(base=self.rasa_url),
                log_dir / "rasa.log",
                base_env,
            ),
            "hub": Process(
                "hub",
                [
                    str(HUB_PYTHON),
                    "-m",
                    "ticketing",
                    "serve",
                    "--host",
                    host,
                    "--port",
                    str(hub_port),
                ],
                f"{self.hub_url}/health",
                log_dir / "hub.log",
                base_env,
            ),
        }

    def _write_endpoints(self, run_dir: Path) -> Path:
        config = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
        config["action_endpoint"] = {"url": f"{self.actions_url}/webhook"}
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / f"endpoints-{os.getpid()}-{id(self)}.yml"
        path.write_text(yaml.safe_dump(config))
        return path


def prepare_database(database_url: str) -> bool:
    """Apply the migrations and (unless ``DEMO_DATA=0``) load the demo data; False on error."""
    env = {**os.environ, "DATABASE_URL": database_url}
    print("applying database migrations ...", flush=True)
    steps = [["db", "upgrade"]]
    if os.environ.get("DEMO_DATA", "1") != "0":
        steps.append(["demo-data"])
    for step in steps:
        done = subprocess.run(
            [str(HUB_PYTHON), "-m", "ticketing", *step],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            print(done.stdout + done.stderr, file=sys.stderr)
            return False
        if step == ["demo-data"]:
            print(done.stdout.strip(), "(set DEMO_DATA=0 to skip)", flush=True)
    return True


def supervise(group: ProcessGroup, starting: str, running: str) -> int:
    """Start the processes, print ``running``, stop them all on Ctrl-C or when one dies."""
    print(starting, flush=True)
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        group.start()
    except StackError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    print(f"\n{running}\nPress Ctrl-C to stop.", flush=True)
    code = 0
    while not stopping:
        dead = group.dead()
        if dead:
            for process in dead:
                print(f"\n{process.died_message()}", file=sys.stderr)
            code = 1
            break
        time.sleep(1)
    print("\nstopping ...", flush=True)
    group.stop()
    print("stopped.")
    return code


def consoles(hub_url: str) -> str:
    return (
        f"  demo shop and chat widget  {hub_url}/\n"
        f"  agent console              {hub_url}/agent   (demo: dana@northwind.example)\n"
        f"  supervisor console         {hub_url}/supervisor\n"
        f"  hub health                 {hub_url}/health\n"
    )


def run(args: argparse.Namespace) -> int:
    from scripts.train import ensure_model

    ports = {
        "hub": args.hub_port,
        "hub internal API": args.internal_port,
        "Rasa": args.rasa_port,
        "action server": args.actions_port,
    }
    if args.command == "run-scaled":
        ports["HAProxy stats"] = args.stats_port
    busy = [f"{name} port {port}" for name, port in ports.items() if port_in_use(port)]
    if busy:
        print(
            f"Cannot start: {', '.join(busy)} already in use (set HUB_PORT, "
            "HUB_INTERNAL_PORT, RASA_PORT, ACTIONS_PORT, STATS_PORT to use others, or stop "
            "what is running there).",
            file=sys.stderr,
        )
        return 1
    if args.command == "run-scaled":
        return run_scaled(args, ensure_model())
    model = ensure_model()
    database_url = os.environ.get("DATABASE_URL") or "sqlite:///var/helpdesk.db"
    if not prepare_database(database_url):
        return 1
    stack = Stack(
        model,
        hub_port=args.hub_port,
        internal_port=args.internal_port,
        rasa_port=args.rasa_port,
        actions_port=args.actions_port,
        database_url=database_url,
        host=args.host,
    )
    return supervise(
        stack,
        "starting the action server, Rasa (about a minute to load the model) and the hub; "
        "logs in var/log/ ...",
        "The helpdesk is running:\n"
        + consoles(stack.hub_url)
        + f"  hub internal API           {stack.hub_internal_url}/internal (loopback only)\n"
        f"  Rasa server                {stack.rasa_url}\n"
        f"  action server              {stack.actions_url}",
    )


def run_scaled(args: argparse.Namespace, model: Path) -> int:
    from scripts.scaled import ScaledStack, ensure_postgres_database

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_SCALED_DATABASE
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_SCALED_REDIS
    if not database_url.startswith("postgresql"):
        print("make run-scaled needs PostgreSQL (DATABASE_URL=postgresql://...)", file=sys.stderr)
        return 1
    try:
        ensure_postgres_database(database_url)
    except StackError as exc:
        print(exc, file=sys.stderr)
        return 1
    if not prepare_database(database_url):
        return 1
    stack = ScaledStack(
        model,
        database_url=database_url,
        redis_url=redis_url,
        public_port=args.hub_port,
        internal_port=args.internal_port,
        rasa_port=args.rasa_port,
        actions_port=args.actions_port,
        stats_port=args.stats_port,
    )
    return supervise(
        stack,
        "starting HAProxy, two action servers, two Rasa servers (a minute or two to load the "
        "model) and two hubs; configuration and logs in var/scaled/ ...",
        "The helpdesk is running, two of everything behind HAProxy:\n"
        + consoles(stack.hub_url)
        + f"  HAProxy stats              {stack.stats_url}/stats\n"
        f"  PostgreSQL                 {database_url}\n"
        f"  Redis                      {redis_url}\n"
        + "".join(
            f"  {kind + ' instances':<26} {', '.join(urls)}\n"
            for kind, urls in stack.instance_urls.items()
        ).rstrip(),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "run-scaled"])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--hub-port", type=int, default=int(os.environ.get("HUB_PORT", 8080)))
    parser.add_argument(
        "--internal-port", type=int, default=int(os.environ.get("HUB_INTERNAL_PORT", 8081))
    )
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument(
        "--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055))
    )
    parser.add_argument("--stats-port", type=int, default=int(os.environ.get("STATS_PORT", 8404)))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
