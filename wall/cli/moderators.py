"""``wall moderator add|list|disable``: the moderation accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from wall import accounts, auth
from wall.cli.database import migrate, reading, writing
from wall.cli.errors import CommandError
from wall.config import Settings
from wall.errors import NotFound, WallError
from wall.passwords import hash_password

CLI_ACTOR = accounts.Actor(label="cli")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    moderator = commands.add_parser("moderator", help="manage moderators")
    moderator_commands = moderator.add_subparsers(dest="moderator_command", required=True)
    add = moderator_commands.add_parser("add", help="create or update a moderator")
    add.add_argument("email")
    add.add_argument("--role", choices=auth.ROLES, default="moderator")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(run=_add_command)
    listing = moderator_commands.add_parser("list", help="list moderators, their role and state")
    listing.set_defaults(run=_list_command)
    disable = moderator_commands.add_parser(
        "disable", help="disable a moderator and end their sessions"
    )
    disable.add_argument("email")
    disable.set_defaults(run=_disable_command)


def _add_command(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    migrate(settings)
    asyncio.run(add_moderator(settings, args.email, password, args.role))
    print(f"moderator {args.email.strip().lower()} ({args.role}) saved")
    return 0


def _list_command(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    for line in asyncio.run(list_moderators(settings)):
        print(line)
    return 0


def _disable_command(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    asyncio.run(disable_moderator(settings, args.email))
    print(f"moderator {args.email.strip().lower()} disabled, sessions ended")
    return 0


async def add_moderator(settings: Settings, email: str, password: str, role: str) -> None:
    password_hash = hash_password(password)  # before the write transaction: 0.35 s of CPU
    try:
        async with writing(settings) as session:
            await accounts.add(session, email, password_hash, role, CLI_ACTOR, replace=True)
    except WallError as exc:
        raise CommandError(exc.message) from None


async def list_moderators(settings: Settings) -> list[str]:
    async with reading(settings) as session:
        found = await accounts.listing(session)
    return [
        f"{a.email}\t{a.role}\t{'disabled' if a.disabled else 'active'}"
        f"\t{'totp' if a.totp_enabled else 'no-totp'}"
        for a in found
    ]


async def disable_moderator(settings: Settings, email: str) -> None:
    try:
        async with writing(settings) as session:
            moderator = await accounts.locked(session, email=email)
            await accounts.set_disabled(session, moderator, True, CLI_ACTOR)
    except NotFound:
        raise CommandError(f"no moderator {email.strip().lower()}") from None


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Encore une fois : ") != password:
            raise CommandError("the two passwords differ")
    if len(password) < accounts.MIN_PASSWORD:
        raise CommandError(f"the password must have at least {accounts.MIN_PASSWORD} characters")
    return password
