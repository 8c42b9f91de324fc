"""Command line: ``python -m ticketing serve|db upgrade|...``."""

from __future__ import annotations

import argparse
import logging
import sys

from . import db
from .settings import Settings


def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from . import production
    from .demo.seed import DEMO_PASSWORD, DEMO_STAFF
    from .web.app import serve

    env = dict(os.environ)
    if args.host:  # a public address implies production, as HUB_HOST does
        env["HUB_HOST"] = args.host
    settings = Settings.from_env(env)
    demo_emails = [email for email, *_ in DEMO_STAFF]
    # refuses, naming each unsafe setting
    asyncio.run(production.check(settings, demo_emails, DEMO_PASSWORD))
    serve(settings, settings.host, args.port or settings.port)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    url = Settings.from_env().database_url
    db.upgrade(url, args.revision)
    print(f"database at {db.async_url(url).split('@')[-1]} is at revision {args.revision}")
    return 0


def _read_password() -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            raise SystemExit("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def _run(coro_factory):
    """Run ``coro_factory(db)`` in one transaction on the configured database."""
    import asyncio

    async def main():
        settings = Settings.from_env()
        await db.upgrade_async(settings.database_url)
        engine = db.create_engine(settings.database_url)
        try:
            async with db.session_factory(engine)() as session, session.begin():
                return await coro_factory(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _user_add(args: argparse.Namespace) -> int:
    from .errors import HelpdeskError
    from .staff import create_user

    password = _read_password()
    teams = [t.strip() for t in args.teams.split(",") if t.strip()]
    try:
        user = _run(
            lambda session: create_user(
                session,
                args.email,
                password,
                role=args.role,
                name=args.name,
                teams=teams,
                capacity=args.capacity,
            )
        )
    except HelpdeskError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    print(f"added {user.role} {user.email} (id {user.id}, teams: {', '.join(teams)})")
    return 0


def _user_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from .models import User
    from .staff import team_keys_of

    async def listing(session):
        users = (await session.execute(select(User).order_by(User.email))).scalars().all()
        return [(u, await team_keys_of(session, u.id)) for u in users]

    for user, teams in _run(listing):
        state = "active" if user.active else "disabled"
        print(f"{user.email:40} {user.role:10} {state:8} {user.presence:8} {','.join(teams)}")
    return 0


def _user_disable(args: argparse.Namespace) -> int:
    from sqlalchemy import delete, select

    from .models import AuthSession, User

    async def disable(session):
        user = (
            await session.execute(select(User).where(User.email == args.email.strip().lower()))
        ).scalar_one_or_none()
        if user is None:
            return None
        user.active, user.presence = False, "offline"
        await session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
        return user

    user = _run(disable)
    if user is None:
        print(f"error: no user {args.email}", file=sys.stderr)
        return 1
    print(f"disabled {user.email}; their sessions are signed out")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from . import demo, production
    from .knowledge.seed import import_articles
    from .shop import load_shop

    settings = Settings.from_env()
    production.refuse_demo_data(settings)

    async def seed(session):
        orders = await demo.seed_orders(session)
        extra = await demo.seed_random_orders(session, args.orders) if args.orders else 0
        staff = await demo.seed_staff(session) if not args.no_staff else []
        articles = await import_articles(session, shop.facts)
        return orders, extra, staff, articles

    shop = load_shop(settings.shop_file)
    orders, extra, staff, articles = _run(seed)
    print(f"demo data: {orders} sample orders (e.g. NW-104233), {extra} generated orders")
    print(f"help centre: {len(articles['created'])} articles published")
    if staff:
        print(f"demo staff (password {demo.DEMO_PASSWORD!r}): {', '.join(staff)}")
    if args.conversations:
        import asyncio

        from .demo import history as demo_history

        counts = asyncio.run(
            demo_history.generate(
                settings.database_url,
                args.conversations,
                seed=args.seed,
                days=args.days,
                shop=shop,
            )
        )
        print(
            f"demo history: {counts['conversations']} conversations, {counts['messages']} "
            f"messages, {counts['tickets']} tickets, {counts['ratings']} ratings"
        )
    return 0


def _kb_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .knowledge.seed import ARTICLES, import_articles
    from .shop import load_shop

    facts = load_shop(Settings.from_env().shop_file).facts
    directory = Path(args.directory) if args.directory else ARTICLES
    try:
        done = _run(
            lambda session: import_articles(session, facts, directory, publish=not args.draft)
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    state = "drafts" if args.draft else "published"
    created, kept = len(done["created"]), len(done["kept"])
    print(f"help centre: {created} articles {state}, {kept} kept as they are")
    return 0


def _export_nlu(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .reports.improvement import export_nlu

    text = _run(lambda session: export_nlu(session, only_new=args.only_new))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _with_hub(call):
    """Run ``call(hub)`` with a hub built for a command (no web app, no live consoles)."""
    import asyncio

    from .bus import LocalBus
    from .context import Hub
    from .limits import MemoryLimiter
    from .rasa_client import RasaClient
    from .shop import load_shop

    async def main():
        settings = Settings.from_env()
        await db.upgrade_async(settings.database_url)
        engine = db.create_engine(settings.database_url)
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout, settings.rasa_token)
        hub = Hub(
            settings=settings,
            engine=engine,
            sessions=db.session_factory(engine),
            bus=LocalBus(),
            rasa=rasa,
            shop=load_shop(settings.shop_file),
            limiter=MemoryLimiter(),
        )
        try:
            return await call(hub)
        finally:
            await rasa.close()
            await engine.dispose()

    return asyncio.run(main())


def _customer_export(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from .errors import HelpdeskError
    from .services import privacy

    try:
        bundle = _with_hub(lambda hub: privacy.export_subject(hub, "cli", args.email))
    except HelpdeskError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: {len(bundle['conversations'])} conversations")
    else:
        sys.stdout.write(text)
    return 0


def _customer_erase(args: argparse.Namespace) -> int:
    from .errors import HelpdeskError
    from .privacy.subject import UNKNOWN_SUBJECT
    from .services import privacy

    # asked on a terminal (unless --yes); a script (no terminal) has decided already
    if not args.yes and sys.stdin.isatty():
        if input(f"Erase everything held about {args.email}? Type 'erase': ") != "erase":
            print("nothing changed")
            return 1
    try:
        counts = _with_hub(lambda hub: privacy.erase_subject(hub, "cli", args.email))
    except HelpdeskError as error:
        if error.code == UNKNOWN_SUBJECT:  # already erased, or never known: nothing to do
            print(f"{error.message} Nothing changed.")
            return 0
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    print(f"erased: {summary}; Rasa forgets the chats' trackers on the hub's next worker round")
    return 0


def _retention(args: argparse.Namespace) -> int:
    import json

    from .services import privacy

    result = _with_hub(lambda hub: privacy.run_retention(hub, dry_run=args.dry_run, actor="cli"))
    print(json.dumps(result))
    return 0


def _keys_new(args: argparse.Namespace) -> int:
    from .privacy import crypto

    print(crypto.new_key())
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    import asyncio

    from .privacy import crypto

    async def rotate() -> int:
        url = Settings.from_env().database_url
        await db.upgrade_async(url)
        engine = db.create_engine(url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(crypto.rotate_rows)
        finally:
            await engine.dispose()

    rows = asyncio.run(rotate())
    print(f"re-encrypted {rows} rows with the first of DATA_KEYS; the older keys can go")
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

    users = commands.add_parser("user", help="staff accounts")
    user_commands = users.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="add a user (password from stdin)")
    add.add_argument("email")
    add.add_argument("--role", choices=["agent", "supervisor", "admin"], default="agent")
    add.add_argument("--name", help="display name shown to customers (default: from e-mail)")
    add.add_argument(
        "--teams", default="general", help="comma-separated team keys (default: general)"
    )
    add.add_argument("--capacity", type=int, default=3, help="concurrent chats (default 3)")
    add.set_defaults(func=_user_add)
    listing = user_commands.add_parser("list", help="list users")
    listing.set_defaults(func=_user_list)
    disable = user_commands.add_parser("disable", help="disable a user and sign them out")
    disable.add_argument("email")
    disable.set_defaults(func=_user_disable)

    demo_data = commands.add_parser("demo-data", help="seed demo orders, customers and staff")
    demo_data.add_argument("--orders", type=int, default=0, help="also generate N random orders")
    demo_data.add_argument("--no-staff", action="store_true", help="don't create demo staff")
    demo_data.add_argument(
        "--conversations",
        type=int,
        default=0,
        help="also generate a chat history of N conversations",
    )
    demo_data.add_argument("--days", type=int, default=180, help="spread the history over N days")
    demo_data.add_argument("--seed", type=int, default=7, help="random seed of the history")
    demo_data.set_defaults(func=_demo_data)

    customers = commands.add_parser("customer", help="access and erasure requests")
    customer_commands = customers.add_subparsers(dest="customer_command", required=True)
    subject_export = customer_commands.add_parser(
        "export", help="everything held about a customer, as JSON"
    )
    subject_export.add_argument("email")
    subject_export.add_argument("-o", "--output", help="file to write (default: standard output)")
    subject_export.set_defaults(func=_customer_export)
    erase = customer_commands.add_parser("erase", help="anonymise everything held about a customer")
    erase.add_argument("email")
    erase.add_argument("--yes", action="store_true", help="do not ask on a terminal")
    erase.set_defaults(func=_customer_erase)

    keys = commands.add_parser("keys", help="the keys of the encryption at rest")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    key_commands.add_parser("new", help="print a new data key").set_defaults(func=_keys_new)
    key_commands.add_parser(
        "rotate", help="re-encrypt everything with the first of DATA_KEYS, rehash"
    ).set_defaults(func=_keys_rotate)

    retention = commands.add_parser("retention", help="remove personal data past its period")
    retention.add_argument("--dry-run", action="store_true", help="only report what it would do")
    retention.set_defaults(func=_retention)

    kb = commands.add_parser("kb", help="the help centre")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True)
    kb_import = kb_commands.add_parser("import", help="load Markdown articles (new slugs only)")
    kb_import.add_argument("directory", nargs="?", help="default: the demo shop's articles")
    kb_import.add_argument("--draft", action="store_true", help="import as drafts")
    kb_import.set_defaults(func=_kb_import)

    export = commands.add_parser("export-nlu", help="labelled review messages as Rasa NLU YAML")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.add_argument("--only-new", action="store_true", help="only labels not exported yet")
    export.set_defaults(func=_export_nlu)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    from .privacy import crypto

    settings = Settings.from_env()  # every command reads and writes with the hub's keys
    crypto.configure(settings.data_keys, settings.data_lookup_key)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
