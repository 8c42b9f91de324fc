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


class Stack:
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
        rasa = str(RASA)
        self.processes = {
            "actions": Process(
                "actions",
                [rasa, "run", "actions", "--actions", "bot.actions", "--port", str(actions_port)],
                f"{self.actions_url}/health",
                log_dir / "actions.log",
                # rasa-sdk listens on every interface unless told: only Rasa calls it
                {**base_env, "SANIC_HOST": host},
            ),
            "rasa": Process(
                "rasa",
                [
                    rasa,
                    "run",
                    "--enable-api",
                    "--auth-token",
                    self.rasa_token,
                    "--model",
                    str(model),
                    "--interface",
                    host,
                    "--port",
                    str(rasa_port),
                    "--credentials",
                    str(ROOT / "credentials.yml"),
                    "--endpoints",
                    str(endpoints),
                ],  # fmt: skip
                f"{self.rasa_url}/status?token={self.rasa_token}",
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

    def start(self, names: list[str] | None = None, timeout: float = 300) -> None:
        names = names or list(self.processes)
        for name in names:
            self.processes[name].start()
        self.wait_healthy(names, timeout)

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


def run(args: argparse.Namespace) -> int:
    from scripts.train import ensure_model

    ports = {
        "hub": args.hub_port,
        "hub internal API": args.internal_port,
        "Rasa": args.rasa_port,
        "action server": args.actions_port,
    }
    busy = [f"{name} port {port}" for name, port in ports.items() if port_in_use(port)]
    if busy:
        print(
            f"Cannot start: {', '.join(busy)} already in use (set HUB_PORT, "
            "HUB_INTERNAL_PORT, RASA_PORT, ACTIONS_PORT to use others, or stop what is running "
            "there).",
            file=sys.stderr,
        )
        return 1
    model = ensure_model()
    database_url = os.environ.get("DATABASE_URL") or "sqlite:///var/helpdesk.db"
    print("applying database migrations ...", flush=True)
    migrate = subprocess.run(
        [str(HUB_PYTHON), "-m", "ticketing", "db", "upgrade"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True, text=True,
    )  # fmt: skip
    if migrate.returncode != 0:
        print(migrate.stdout + migrate.stderr, file=sys.stderr)
        return 1
    if os.environ.get("DEMO_DATA", "1") != "0":
        seeded = subprocess.run(
            [str(HUB_PYTHON), "-m", "ticketing", "demo-data"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url},
            capture_output=True, text=True,
        )  # fmt: skip
        if seeded.returncode != 0:
            print(seeded.stdout + seeded.stderr, file=sys.stderr)
            return 1
        print(seeded.stdout.strip(), "(set DEMO_DATA=0 to skip)", flush=True)
    stack = Stack(
        model,
        hub_port=args.hub_port,
        internal_port=args.internal_port,
        rasa_port=args.rasa_port,
        actions_port=args.actions_port,
        database_url=database_url,
        host=args.host,
    )
    print(
        "starting the action server, Rasa (about a minute to load the model) and the hub; "
        "logs in var/log/ ...",
        flush=True,
    )
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
    except StackError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    print(
        f"\nThe helpdesk is running:\n"
        f"  demo shop and chat widget  {stack.hub_url}/\n"
        f"  agent console              {stack.hub_url}/agent   (demo: dana@northwind.example)\n"
        f"  supervisor console         {stack.hub_url}/supervisor\n"
        f"  hub health                 {stack.hub_url}/health\n"
        f"  hub internal API           {stack.hub_internal_url}/internal (loopback only)\n"
        f"  Rasa server                {stack.rasa_url}\n"
        f"  action server              {stack.actions_url}\n"
        f"Press Ctrl-C to stop.",
        flush=True,
    )
    code = 0
    while not stopping:
        dead = stack.dead()
        if dead:
            for process in dead:
                print(f"\n{process.died_message()}", file=sys.stderr)
            code = 1
            break
        time.sleep(1)
    print("\nstopping ...", flush=True)
    stack.stop()
    print("stopped.")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--hub-port", type=int, default=int(os.environ.get("HUB_PORT", 8080)))
    parser.add_argument(
        "--internal-port", type=int, default=int(os.environ.get("HUB_INTERNAL_PORT", 8081))
    )
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument(
        "--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055))
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
