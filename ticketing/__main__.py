"""Command line: ``python -m ticketing serve|db upgrade|...``."""

from __future__ import annotations

import argparse
import logging
import sys

from . import db
from .settings import Settings


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from .web.app import init_app

    settings = Settings.from_env()
    host = args.host or settings.host
    port = args.port or settings.port
    web.run_app(init_app(settings), host=host, port=port, print=lambda _: None)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    url = Settings.from_env().database_url
    db.upgrade(url, args.revision)
    print(f"database at {db.async_url(url).split('@')[-1]} is at revision {args.revision}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ticketing", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the hub (web app and APIs)")
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.set_defaults(func=_serve)

    database = commands.add_parser("db", help="database maintenance")
    db_commands = database.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(func=_db_upgrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
