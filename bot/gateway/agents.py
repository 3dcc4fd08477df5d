"""`make agent USER=name [ROLE=supervisor]`: create or update an agent account; the password comes on stdin."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.gateway import accounts, db
from bot.gateway.settings import GatewaySettings


async def _save(username: str, password: str, role: str, name: str | None) -> bool:
    settings = GatewaySettings()
    engine = db.make_engine(settings.database_url)
    try:
        await db.upgrade(engine)
        async with db.sessionmaker(engine)() as session:
            _agent, created = await accounts.save_agent(session, username, password, role, name)
        return created
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make agent", description=__doc__)
    parser.add_argument("username")
    parser.add_argument("--role", default="agent", choices=accounts.ROLES)
    parser.add_argument("--name", help="the name talents see, e.g. a first name (default: the username)")
    args = parser.parse_args(argv)
    password = (getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline()).rstrip("\n")
    try:
        created = asyncio.run(_save(args.username, password, args.role, args.name))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{'created' if created else 'updated'} {args.role} {args.username!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
