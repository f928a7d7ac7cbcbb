"""``wall school add|list|revoke``: invite links for class uploads."""

from __future__ import annotations

import argparse
import asyncio
import sys

from wall import school_invites
from wall.cli.database import migrate, reading, writing
from wall.cli.errors import CommandError, UsageError
from wall.config import Settings
from wall.errors import WallError
from wall.models import utcnow


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    school = commands.add_parser("school", help="school invite links for class uploads")
    school_commands = school.add_subparsers(dest="school_command", required=True)
    add = school_commands.add_parser("add", help="create an invite and print its link (once)")
    add.add_argument("--school", required=True, help="the school's name, given to its photos")
    add.add_argument("--region", help="one of WALL_REGIONS, given to its photos")
    add.add_argument(
        "--days", type=int, default=school_invites.DEFAULT_DAYS, help="days until it expires"
    )
    add.add_argument(
        "--limit",
        type=int,
        default=school_invites.DEFAULT_UPLOAD_LIMIT,
        help="most photos sent through it",
    )
    add.set_defaults(run=_add_command)
    listing = school_commands.add_parser("list", help="list invites, their state and use")
    listing.set_defaults(run=_list_command)
    revoke = school_commands.add_parser("revoke", help="revoke an invite at once")
    revoke.add_argument("id", type=int, help="the invite's number (wall school list)")
    revoke.set_defaults(run=_revoke_command)


def _add_command(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    invite_id, token = asyncio.run(_add_school(settings, args))
    base = settings.public_url or "http://127.0.0.1:8000"
    print(f"invite {invite_id} for {args.school.strip()}; the link is shown only now:")
    print(school_invites.link(base, token))
    if not settings.public_url:
        print("wall: set WALL_PUBLIC_URL for the address schools reach", file=sys.stderr)
    return 0


def _list_command(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    for line in asyncio.run(_list_schools(settings)):
        print(line)
    return 0


def _revoke_command(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    school = asyncio.run(_revoke_school(settings, args.id))
    print(f"invite {args.id} ({school}) revoked")
    return 0


def _school_values(
    settings: Settings, args: argparse.Namespace
) -> tuple[str, str | None, int, int]:
    """The admin page's checks (``school_invites.clean_*``), with English words."""
    try:
        school = school_invites.clean_school(args.school)
    except WallError:
        raise UsageError("--school: give the school's name, at most 120 characters") from None
    try:
        region = school_invites.clean_region(args.region, settings.regions)
    except WallError:
        raise UsageError(f"--region: one of WALL_REGIONS ({', '.join(settings.regions)})") from None
    try:
        days = school_invites.clean_whole(args.days, 1, school_invites.MAX_DAYS, "", "")
        limit = school_invites.clean_whole(args.limit, 1, school_invites.MAX_UPLOAD_LIMIT, "", "")
    except WallError:
        raise UsageError(
            f"--days is 1 to {school_invites.MAX_DAYS}, "
            f"--limit 1 to {school_invites.MAX_UPLOAD_LIMIT}"
        ) from None
    return school, region, days, limit


async def _add_school(settings: Settings, args: argparse.Namespace) -> tuple[int, str]:
    school, region, days, limit = _school_values(settings, args)
    from wall.app import load_secret_key  # the server's key: its hash must match

    secret_key = load_secret_key(settings)
    async with writing(settings) as session:
        created = await school_invites.create(
            session, secret_key, school=school, region=region, days=days, upload_limit=limit
        )
    return created.invite.id, created.token


async def _list_schools(settings: Settings) -> list[str]:
    async with reading(settings) as session:
        listed = await school_invites.list_all(session)
    now = utcnow()
    return [
        f"{i.invite.id}\t{i.invite.school}\t{i.invite.region or '-'}"
        f"\t{school_invites.state(i.invite, now)}\t{i.used}/{i.invite.upload_limit}"
        f"\texpires {i.invite.expires_at.isoformat(timespec='minutes')}"
        for i in listed
    ]


async def _revoke_school(settings: Settings, invite_id: int) -> str:
    try:
        async with writing(settings) as session:
            invite = await school_invites.revoke(session, invite_id)
            return invite.school
    except WallError as exc:
        raise CommandError(f"invite {invite_id}: {exc.code}") from None
