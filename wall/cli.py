"""The ``wall`` command: serve, migrate, moderator, school, poll, purge, backup, restore, export.

Exit status 0 ok, 1 failure, 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import secrets
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from wall import accounts, archive, auth, backup, logs, migrations, school_invites
from wall.config import ConfigError, Settings
from wall.db import Database
from wall.errors import NotFound, WallError
from wall.media import MediaStore
from wall.models import Moderator, utcnow
from wall.passwords import hash_password
from wall.purge import CompactionError, PurgeReport, purge
from wall.sources.base import SourceConfig
from wall.sources.catalogue import Catalogue
from wall.sources.poller import configured_sources, create_poller
from wall.sources.sealing import CredentialBox


class CommandError(Exception):
    """An expected failure: its message is printed as one line, exit status 1."""


class UsageError(Exception):
    """A bad request from the command line: one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wall", description="Vague verte, the live photo wall.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply migrations and serve the site")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    commands.add_parser("migrate", help="apply pending database migrations")
    moderator = commands.add_parser("moderator", help="manage moderators")
    moderator_commands = moderator.add_subparsers(dest="moderator_command", required=True)
    add = moderator_commands.add_parser("add", help="create or update a moderator")
    add.add_argument("email")
    add.add_argument("--role", choices=auth.ROLES, default="moderator")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    moderator_commands.add_parser("list", help="list moderators, their role and state")
    disable = moderator_commands.add_parser(
        "disable", help="disable a moderator and end their sessions"
    )
    disable.add_argument("email")
    _school_parser(commands)
    poll = commands.add_parser("poll", help="run the source pollers in the foreground")
    poll.add_argument(
        "--once",
        action="store_true",
        help="one round of every source, then exit (0 if all answered)",
    )
    poll.add_argument("--source", metavar="NAME", help="poll only this source (its wall.toml name)")
    purge = commands.add_parser(
        "purge", help="after the campaign: delete every photo, its files and removal requests"
    )
    purge.add_argument(
        "--force",
        action="store_true",
        help="purge even before the date the upload notice promises (WALL_KEEP_UNTIL)",
    )
    backing = commands.add_parser(
        "backup", help="copy the SQLite database (online) and its media into DEST"
    )
    backing.add_argument("dest", metavar="DEST", type=Path, help="a new or empty directory")
    restore = commands.add_parser(
        "restore", help="put a backup in place of the configured database and media"
    )
    restore.add_argument("src", metavar="SRC", type=Path, help="a directory made by wall backup")
    restore.add_argument(
        "--force", action="store_true", help="replace an existing database (stop wall serve first)"
    )
    export = commands.add_parser(
        "export",
        help="write the approved photos, their credits and consent records (CSV + media)",
    )
    export.add_argument("dest", metavar="DEST", type=Path, help="a new or empty directory")
    return parser


def _school_parser(commands: Any) -> None:
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
    school_commands.add_parser("list", help="list invites, their state and use")
    revoke = school_commands.add_parser("revoke", help="revoke an invite at once")
    revoke.add_argument("id", type=int, help="the invite's number (wall school list)")


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
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            created = await school_invites.create(
                session, secret_key, school=school, region=region, days=days, upload_limit=limit
            )
    finally:
        await db.dispose()
    return created.invite.id, created.token


async def _list_schools(settings: Settings) -> list[str]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            listed = await school_invites.list_all(session)
    finally:
        await db.dispose()
    now = utcnow()
    return [
        f"{i.invite.id}\t{i.invite.school}\t{i.invite.region or '-'}"
        f"\t{school_invites.state(i.invite, now)}\t{i.used}/{i.invite.upload_limit}"
        f"\texpires {i.invite.expires_at.isoformat(timespec='minutes')}"
        for i in listed
    ]


async def _revoke_school(settings: Settings, invite_id: int) -> str:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            invite = await school_invites.revoke(session, invite_id)
            return invite.school
    except WallError as exc:
        raise CommandError(f"invite {invite_id}: {exc.code}") from None
    finally:
        await db.dispose()


def _school_command(settings: Settings, args: argparse.Namespace) -> None:
    _migrate(settings)
    if args.school_command == "add":
        invite_id, token = asyncio.run(_add_school(settings, args))
        base = settings.public_url or "http://127.0.0.1:8000"
        print(f"invite {invite_id} for {args.school.strip()}; the link is shown only now:")
        print(school_invites.link(base, token))
        if not settings.public_url:
            print("wall: set WALL_PUBLIC_URL for the address schools reach", file=sys.stderr)
    elif args.school_command == "list":
        for line in asyncio.run(_list_schools(settings)):
            print(line)
    elif args.school_command == "revoke":
        school = asyncio.run(_revoke_school(settings, args.id))
        print(f"invite {args.id} ({school}) revoked")


def _migrate(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        settings.data_path.mkdir(parents=True, exist_ok=True)
    try:
        migrations.upgrade(settings.database_url)
    except (OSError, ConnectionError) as exc:
        raise CommandError(f"cannot reach the database {_safe_url(settings)}: {exc}") from None
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg", "sqlite3")):
            raise CommandError(
                f"cannot migrate the database {_safe_url(settings)}: {exc}".splitlines()[0]
            ) from None
        raise


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def _placeholder_admin(settings: Settings) -> str | None:
    """Why the first admin ``wall serve`` would create is unfit for a public site, or None."""
    problems = []
    if settings.admin_email.strip().lower().endswith("@localhost"):
        problems.append(f"{settings.admin_email} (set WALL_ADMIN_EMAIL)")
    if not settings.admin_password:
        problems.append("a generated password (set WALL_ADMIN_PASSWORD)")
    return " with ".join(problems) or None


async def _ensure_first_moderator(settings: Settings) -> tuple[str, str | None] | None:
    """Create the first admin if there is no moderator; returns (email, password shown).

    On a public (https) site it refuses a placeholder admin: an ``@localhost``
    address, a generated password printed to the logs, or such an account
    left active from a trial run.
    """
    public = (settings.public_url or "").lower().startswith("https://")
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            existing = await session.scalar(select(func.count()).select_from(Moderator))
            if existing:
                if public:
                    left = await session.scalar(
                        select(Moderator.email).where(
                            Moderator.email.like("%@localhost"), Moderator.disabled.is_(False)
                        )
                    )
                    if left is not None:
                        raise UsageError(
                            f"WALL_PUBLIC_URL is https but the account {left} is still active; "
                            f"disable it: wall moderator disable {left}"
                        )
                return None
            problem = _placeholder_admin(settings)
            if public and problem is not None:
                raise UsageError(
                    f"WALL_PUBLIC_URL is https but the first admin would be {problem}, "
                    "or create one first: wall moderator add EMAIL --role admin"
                )
            password = settings.admin_password or secrets.token_urlsafe(12)
            await auth.upsert_moderator(session, settings.admin_email, password, "admin")
            return settings.admin_email, None if settings.admin_password else password
    finally:
        await db.dispose()


CLI_ACTOR = accounts.Actor(label="cli")


async def _add_moderator(settings: Settings, email: str, password: str, role: str) -> None:
    password_hash = hash_password(password)  # before the write transaction: 0.35 s of CPU
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            await accounts.add(session, email, password_hash, role, CLI_ACTOR, replace=True)
    except WallError as exc:
        raise CommandError(exc.message) from None
    finally:
        await db.dispose()


async def _list_moderators(settings: Settings) -> list[str]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            found = await accounts.listing(session)
    finally:
        await db.dispose()
    return [
        f"{a.email}\t{a.role}\t{'disabled' if a.disabled else 'active'}"
        f"\t{'totp' if a.totp_enabled else 'no-totp'}"
        for a in found
    ]


async def _disable_moderator(settings: Settings, email: str) -> None:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            moderator = await accounts.locked(session, email=email)
            await accounts.set_disabled(session, moderator, True, CLI_ACTOR)
    except NotFound:
        raise CommandError(f"no moderator {email.strip().lower()}") from None
    finally:
        await db.dispose()


def _backup_command(settings: Settings, dest: Path) -> None:
    try:
        report = backup.backup(settings, dest)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from None
    gone = f", {report.gone} withdrawn meanwhile" if report.gone else ""
    print(f"backup written to {dest}: {report.photos} photos, {report.files} files{gone}")


def _restore_command(settings: Settings, src: Path, force: bool) -> None:
    try:
        report = backup.restore(settings, src, force=force)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from None
    _migrate(settings)
    print(f"restored {report.photos} photos and {report.files} files from {src}")


async def _export(settings: Settings, dest: Path) -> tuple[int, int]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            photos = await archive.approved_photos(session)
    finally:
        await db.dispose()
    files = await asyncio.to_thread(
        archive.write_directory, photos, MediaStore(settings.media_path), dest
    )
    return len(photos), files


def _export_command(settings: Settings, dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise CommandError(f"{dest} already exists and is not an empty directory")
    _migrate(settings)
    photos, files = asyncio.run(_export(settings, dest))
    print(f"archive written to {dest}: {photos} approved photos, {files} files")


async def _purge(settings: Settings) -> PurgeReport:
    db = Database(settings.database_url, null_pool=True)
    try:
        return await purge(db, MediaStore(settings.media_path))
    finally:
        await db.dispose()


def _purge_command(settings: Settings, force: bool) -> None:
    today = dt.datetime.now(settings.timezone).date()
    if not settings.purge_allowed_on(today) and not force:
        raise CommandError(
            f"the upload notice promises deletion by {settings.photos_kept_until.isoformat()} "
            "(WALL_KEEP_UNTIL): purge runs from that day on; use --force to purge now"
        )
    _migrate(settings)
    try:
        report = asyncio.run(_purge(settings))
    except CompactionError as exc:
        raise CommandError(f"rows and files deleted, but {exc}") from None
    print(
        f"purged {report.photos} photos, {report.files} files, "
        f"{report.removal_requests} removal requests, {report.redacted} reasons and notes"
    )


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    configs = configured_sources(settings)  # a bad wall.toml stops here, before serving
    if (settings.public_url or "").lower().startswith("https://"):
        # A public wall's notice and privacy policy must name the real organization.
        problem = settings.placeholder()
        if problem is not None:
            raise UsageError(f"WALL_PUBLIC_URL is https but {problem}")
    _migrate(settings)
    created = asyncio.run(_ensure_first_moderator(settings))
    base = settings.public_url or f"http://{host}:{port}"
    say = logs.announcer(settings.log_format)
    say(f"Vague verte — le mur : {base}/")
    say(f"Dépôt de photos (upload) : {base}/upload")
    say(f"Modération : {base}/moderation")
    if created is not None:
        email, password = created
        shown = password if password is not None else "(WALL_ADMIN_PASSWORD)"
        say(f"Premier modérateur (admin) : {email} / mot de passe : {shown}")
    if configs:
        names = ", ".join(config.name for config in configs)
        say(f"Sources interrogées : {names}")
    if workers > 1:
        uvicorn.run(
            "wall.app:create_app_from_env",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            timeout_graceful_shutdown=5,
            proxy_headers=True,
            forwarded_allow_ips=list(settings.trusted_proxies),
            log_config=logs.logging_config(settings.log_format),
        )
    else:
        from wall.app import create_app

        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            timeout_graceful_shutdown=5,
            proxy_headers=True,
            forwarded_allow_ips=list(settings.trusted_proxies),
            log_config=logs.logging_config(settings.log_format),
        )


def _chosen(configs: list[SourceConfig], only: str | None) -> list[SourceConfig]:
    if only is None:
        return configs
    return [config for config in configs if config.name == only]


async def _poll(
    settings: Settings, file_sources: list[SourceConfig], only: str | None, once: bool
) -> int:
    """Poll the catalogue's sources (``wall.toml`` seeds it), following its changes."""
    from wall.app import load_secret_key  # the server's key: it sealed the credentials

    db = Database(settings.database_url)
    try:
        catalogue = Catalogue(db, CredentialBox(load_secret_key(settings)), settings)
        await catalogue.seed(file_sources)
        configs = await catalogue.active_configs()
        if not configs and once:
            raise UsageError(
                "no source to poll: add one on the admin page, or create wall.toml or set "
                "WALL_SOURCES_FILE (see docs/sources.md)"
            )
        if only is not None and not _chosen(configs, only):
            names = ", ".join(config.name for config in configs)
            raise UsageError(f"unknown source {only!r} (configured: {names})")

        async def current() -> list[SourceConfig]:
            return _chosen(await catalogue.active_configs(), only)

        poller = create_poller(
            settings,
            _chosen(configs, only),
            db,
            store=MediaStore(settings.media_path),
            catalogue=None if once else current,
        )
        try:
            if once:
                results = await poller.run_once()
                for result in results:
                    print(result.line(), flush=True)
                return 0 if all(result.ok for result in results) else 1
            names = ", ".join(config.name for config in poller.configs)
            if names:
                print(f"polling {names} (Ctrl-C to stop)", flush=True)
            else:
                print(
                    "no source yet: waiting for one from the admin page (Ctrl-C to stop)",
                    flush=True,
                )
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, poller.request_stop)
            try:
                await poller.run_forever()
            finally:
                loop.remove_signal_handler(signal.SIGTERM)
            return 0
        finally:
            await poller.close()
    finally:
        await db.dispose()


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            _serve(settings, args.host, args.port, args.workers)
        elif args.command == "migrate":
            _migrate(settings)
            print("database is up to date")
        elif args.command == "moderator" and args.moderator_command == "add":
            password = _read_password(args.password_stdin)
            _migrate(settings)
            asyncio.run(_add_moderator(settings, args.email, password, args.role))
            print(f"moderator {args.email.strip().lower()} ({args.role}) saved")
        elif args.command == "moderator" and args.moderator_command == "list":
            _migrate(settings)
            for line in asyncio.run(_list_moderators(settings)):
                print(line)
        elif args.command == "moderator" and args.moderator_command == "disable":
            _migrate(settings)
            asyncio.run(_disable_moderator(settings, args.email))
            print(f"moderator {args.email.strip().lower()} disabled, sessions ended")
        elif args.command == "school":
            _school_command(settings, args)
        elif args.command == "backup":
            _backup_command(settings, args.dest)
        elif args.command == "restore":
            _restore_command(settings, args.src, args.force)
        elif args.command == "export":
            _export_command(settings, args.dest)
        elif args.command == "purge":
            _purge_command(settings, args.force)
        elif args.command == "poll":
            file_sources = configured_sources(settings)
            _migrate(settings)
            return asyncio.run(_poll(settings, file_sources, args.source, args.once))
    except ConfigError as exc:
        print(f"wall: configuration error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"wall: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"wall: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 1
    return 0
