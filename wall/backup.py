"""``wall backup DEST`` and ``wall restore SRC``: a SQLite database and its media.

A backup is a directory:

- ``wall.db``: the database, copied by SQLite's online backup API in one
  step, i.e. one read transaction. ``wall serve`` keeps serving and writing
  meanwhile (WAL: readers never block the writer), and the copy is the
  database as it was at one instant: every upload acknowledged before the
  backup began is in it, with its consent record.
- ``media/``: the files that copy names (``media_files``), read *after* the
  snapshot. Files are content-addressed and written before their row
  commits, so every file the snapshot names exists, unless its photo was
  withdrawn or erased in between (its file is deleted after that commit):
  such files are counted as ``gone`` and the photo is left without them.
  Files no row names (an upload in flight, an orphan for the sweep) are not
  copied. The public directory is not copied either: ``wall serve`` rebuilds
  it from the database at start.
- ``secret_key``: the generated key of the data directory, when there is one
  (it keys the clients' hashes and the manage links' hashes: without it a
  restored wall would not recognise them). Mode 0600; keep the backup as
  private as the data directory.
- ``manifest.json``: when, which schema revision, how many photos and files.

The backup is built in a hidden sibling directory and renamed into place at
the end: a directory named ``DEST`` is always a complete backup.

On PostgreSQL the database is saved by ``pg_dump`` instead, with the media
directory beside it (``docs/deploy.md``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from wall.config import Settings
from wall.db import is_sqlite
from wall.media.store import is_store_name

DATABASE_FILE = "wall.db"
MEDIA_DIR = "media"
SECRET_FILE = "secret_key"
MANIFEST_FILE = "manifest.json"
BUSY_TIMEOUT_SECONDS = 30.0


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line."""


@dataclass(frozen=True)
class BackupReport:
    photos: int
    files: int
    gone: int
    revision: str | None


def sqlite_file(settings: Settings) -> Path:
    if not is_sqlite(settings.database_url):
        raise BackupError(
            "wall backup and wall restore handle SQLite; on PostgreSQL save the database "
            "with pg_dump and copy WALL_DATA_DIR (see docs/deploy.md, Backups)"
        )
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError("the database is not a file")
    return Path(database)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return connection


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup, all pages in one step (one consistent read)."""
    src = _connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _copy_file(source: Path, target: Path) -> None:
    """Copy, then rename into place: a half-copied file never carries the name."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _read_snapshot(database: Path) -> tuple[int, list[str], str | None]:
    connection = sqlite3.connect(database)
    try:
        photos = connection.execute("SELECT count(*) FROM photos").fetchone()[0]
        names = [row[0] for row in connection.execute("SELECT name FROM media_files")]
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        connection.close()
    return int(photos), names, revision[0] if revision else None


def backup(settings: Settings, destination: Path) -> BackupReport:
    """Write a backup of the configured SQLite database and its media to ``destination``."""
    source = sqlite_file(settings)
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} already exists and is not an empty directory")
    destination.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}."))
    try:
        _copy_database(source, building / DATABASE_FILE)
        photos, names, revision = _read_snapshot(building / DATABASE_FILE)
        media = building / MEDIA_DIR
        media.mkdir()
        copied = gone = 0
        for name in names:
            if not is_store_name(name):
                continue
            try:
                _copy_file(settings.media_path / name, media / name)
                copied += 1
            except FileNotFoundError:
                gone += 1  # withdrawn or erased since the snapshot
        secret = settings.data_path / SECRET_FILE
        if secret.is_file():
            shutil.copyfile(secret, building / SECRET_FILE)
            os.chmod(building / SECRET_FILE, 0o600)
        report = BackupReport(photos=photos, files=copied, gone=gone, revision=revision)
        manifest = {
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": "sqlite",
            "revision": revision,
            "photos": photos,
            "files": copied,
            "gone": gone,
        }
        (building / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        if destination.exists():
            destination.rmdir()
        os.replace(building, destination)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return report


def restore(settings: Settings, source: Path, *, force: bool = False) -> BackupReport:
    """Put the backup at ``source`` in place of the configured database and media.

    Stop ``wall serve`` first. Without ``force`` an existing database is left
    alone. The caller migrates afterwards (a backup may predate a migration).
    """
    if not (source / MANIFEST_FILE).is_file() or not (source / DATABASE_FILE).is_file():
        raise BackupError(f"{source} is not a backup made by wall backup (no manifest)")
    target = sqlite_file(settings)
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(f"{target} already exists: move it away, or restore with --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy_database(source / DATABASE_FILE, target)
    photos, _, revision = _read_snapshot(target)
    settings.media_path.mkdir(parents=True, exist_ok=True)
    files = 0
    backup_media = source / MEDIA_DIR
    for entry in sorted(backup_media.iterdir()) if backup_media.is_dir() else []:
        if is_store_name(entry.name) and not (settings.media_path / entry.name).exists():
            _copy_file(entry, settings.media_path / entry.name)
        files += 1
    secret = source / SECRET_FILE
    kept = settings.data_path / SECRET_FILE
    if secret.is_file() and (force or not kept.exists()):
        settings.data_path.mkdir(parents=True, exist_ok=True)
        _copy_file(secret, kept)
        os.chmod(kept, 0o600)
    return BackupReport(photos=photos, files=files, gone=0, revision=revision)
