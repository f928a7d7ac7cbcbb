"""``wall purge|backup|restore|export``: the campaign's photos as a whole."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path

from wall import archive, backup
from wall.cli.database import migrate, opened, reading
from wall.cli.errors import CommandError
from wall.config import Settings
from wall.media import MediaStore
from wall.purge import CompactionError, PurgeReport, purge


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    purging = commands.add_parser(
        "purge", help="after the campaign: delete every photo, its files and removal requests"
    )
    purging.add_argument(
        "--force",
        action="store_true",
        help="purge even before the date the upload notice promises (WALL_KEEP_UNTIL)",
    )
    purging.set_defaults(run=_purge_command)
    backing = commands.add_parser(
        "backup", help="copy the SQLite database (online) and its media into DEST"
    )
    backing.add_argument("dest", metavar="DEST", type=Path, help="a new or empty directory")
    backing.set_defaults(run=_backup_command)
    restore = commands.add_parser(
        "restore", help="put a backup in place of the configured database and media"
    )
    restore.add_argument("src", metavar="SRC", type=Path, help="a directory made by wall backup")
    restore.add_argument(
        "--force", action="store_true", help="replace an existing database (stop wall serve first)"
    )
    restore.set_defaults(run=_restore_command)
    export = commands.add_parser(
        "export",
        help="write the approved photos, their credits and consent records (CSV + media)",
    )
    export.add_argument("dest", metavar="DEST", type=Path, help="a new or empty directory")
    export.set_defaults(run=_export_command)


def _backup_command(settings: Settings, args: argparse.Namespace) -> int:
    dest: Path = args.dest
    try:
        report = backup.backup(settings, dest)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from None
    gone = f", {report.gone} withdrawn meanwhile" if report.gone else ""
    print(f"backup written to {dest}: {report.photos} photos, {report.files} files{gone}")
    return 0


def _restore_command(settings: Settings, args: argparse.Namespace) -> int:
    src: Path = args.src
    try:
        report = backup.restore(settings, src, force=args.force)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from None
    migrate(settings)
    print(f"restored {report.photos} photos and {report.files} files from {src}")
    return 0


def _export_command(settings: Settings, args: argparse.Namespace) -> int:
    dest: Path = args.dest
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise CommandError(f"{dest} already exists and is not an empty directory")
    migrate(settings)
    photos, files = asyncio.run(_export(settings, dest))
    print(f"archive written to {dest}: {photos} approved photos, {files} files")
    return 0


async def _export(settings: Settings, dest: Path) -> tuple[int, int]:
    async with reading(settings) as session:
        photos = await archive.approved_photos(session)
    files = await asyncio.to_thread(
        archive.write_directory, photos, MediaStore(settings.media_path), dest
    )
    return len(photos), files


def _purge_command(settings: Settings, args: argparse.Namespace) -> int:
    today = dt.datetime.now(settings.timezone).date()
    if not settings.purge_allowed_on(today) and not args.force:
        raise CommandError(
            f"the upload notice promises deletion by {settings.photos_kept_until.isoformat()} "
            "(WALL_KEEP_UNTIL): purge runs from that day on; use --force to purge now"
        )
    migrate(settings)
    try:
        report = asyncio.run(_purge(settings))
    except CompactionError as exc:
        raise CommandError(f"rows and files deleted, but {exc}") from None
    print(
        f"purged {report.photos} photos, {report.files} files, "
        f"{report.removal_requests} removal requests, {report.redacted} reasons and notes"
    )
    return 0


async def _purge(settings: Settings) -> PurgeReport:
    async with opened(settings) as db:
        return await purge(db, MediaStore(settings.media_path))
