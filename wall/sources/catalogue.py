"""The sources the pollers poll, kept in the database and managed from the admin page.

``wall.toml`` seeds the catalogue at each start (``seed``): a file source the
database does not know is added, one it knows is refreshed from the file,
and one that left the file is removed (and comes back with it), but only
while no admin has changed it. Once an admin has edited a file source
(``edited``), removed it, or added one of the same name, the admin's version
stands and the file is ignored for it. Admins add, change, pause and remove
sources (``add``, ``change``, ``remove``) with no restart: the pollers read
``active_configs`` every few seconds and start or stop sources to match.

Credentials are stored sealed (``wall.sources.sealing``) and never leave this
module in clear except inside the ``SourceConfig`` an adapter is built from:
``Entry.to_json`` names which credentials are set, never their values, and
the audit log records which fields changed, never what to.

A source's settings are checked by the one rule of ``wall.toml``
(``wall.sources.toml.source_config``), so a source is valid in the file
exactly when it is valid on the admin page.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wall.accounts import Actor
from wall.config import Settings
from wall.db import Database, locked
from wall.models import ManagedSource, utcnow
from wall.sources.base import SourceConfig
from wall.sources.sealing import CredentialBox, UnreadableCredentials
from wall.sources.toml import CREDENTIALS, SourceTableError, source_config

log = logging.getLogger(__name__)

# The settings an admin may change besides the credentials and ``paused``.
SETTINGS_FIELDS = (
    "type",
    "base_url",
    "interval",
    "hashtags",
    "recheck_per_minute",
    "stream_url",
)


# A name the admin page can address in a URL path (``/api/moderation/sources/{name}``).
ADDRESSABLE_NAME = re.compile(r"[^/\x00-\x1f\x7f]+")


class SourceExists(Exception):
    """A source of this name is already in the catalogue."""


class UnknownSource(Exception):
    """No source of this name is in the catalogue."""


class InvalidSource(Exception):
    """A request to add or change a source that breaks a rule; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Entry:
    """One source as admins and moderators see it: its settings, never its secrets."""

    name: str
    type: str
    base_url: str
    interval: float
    hashtags: tuple[str, ...]
    recheck_per_minute: float | None
    stream_url: str | None
    paused: bool
    origin: str
    edited: bool
    credentials_set: tuple[str, ...]
    credentials_unreadable: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "base_url": self.base_url,
            "interval": self.interval,
            "hashtags": list(self.hashtags),
            "recheck_per_minute": self.recheck_per_minute,
            "stream_url": self.stream_url,
            "paused": self.paused,
            "origin": self.origin,
            "edited": self.edited,
            "credentials_set": list(self.credentials_set),
            "credentials_unreadable": self.credentials_unreadable,
        }


class Catalogue:
    """The catalogue of one wall: its database, its credential box and its settings."""

    def __init__(self, db: Database, box: CredentialBox, settings: Settings) -> None:
        self.db = db
        self.box = box
        self.settings = settings
        self._warned: set[tuple[str, int]] = set()  # (name, version): said once in the log

    # -- reading ---------------------------------------------------------------

    async def entries(self, session: AsyncSession) -> list[Entry]:
        """Every source not removed, paused ones included, in the order they were added."""
        rows = await session.scalars(
            select(ManagedSource)
            .where(ManagedSource.removed_at.is_(None))
            .order_by(ManagedSource.created_at, ManagedSource.name)
        )
        return [self._entry(row) for row in rows]

    async def active_configs(self) -> list[SourceConfig]:
        """The sources to poll now: not removed, not paused, credentials readable."""
        async with self.db.reading() as session:
            rows = list(
                await session.scalars(
                    select(ManagedSource)
                    .where(ManagedSource.removed_at.is_(None), ManagedSource.paused.is_(False))
                    .order_by(ManagedSource.created_at, ManagedSource.name)
                )
            )
        configs = []
        for row in rows:
            try:
                configs.append(self._config(row, self._open(row)))
            except (UnreadableCredentials, SourceTableError) as exc:
                if (row.name, row.version) not in self._warned:  # read every few seconds
                    self._warned.add((row.name, row.version))
                    why = (
                        "its credentials cannot be opened with this secret key; set them again"
                        if isinstance(exc, UnreadableCredentials)
                        else str(exc)
                    )
                    log.warning("source %s: not polled: %s", row.name, why)
        return configs

    # -- the file --------------------------------------------------------------

    async def seed(self, file_configs: Sequence[SourceConfig]) -> None:
        """Bring the file's sources into the catalogue (see the module's docstring)."""
        for config in file_configs:
            try:
                async with self.db.writing() as session:
                    await self._seed_one(session, config)
            except IntegrityError:
                pass  # another process added it at the same moment
        names = {config.name for config in file_configs}
        async with self.db.writing() as session:
            rows = await session.scalars(
                select(ManagedSource)
                .where(
                    ManagedSource.origin == "file",
                    ManagedSource.edited.is_(False),
                    ManagedSource.removed_at.is_(None),
                )
                .with_for_update()
            )
            for row in rows:
                if row.name not in names:
                    log.info("source %s: no longer in the sources file, removed", row.name)
                    self._touch(row)
                    row.removed_at = row.updated_at
                    row.sealed_credentials = None

    async def _seed_one(self, session: AsyncSession, config: SourceConfig) -> None:
        row = await locked(session, ManagedSource, config.name)
        if row is None:
            session.add(self._new_row(config, origin="file"))
            await session.flush()
            return
        if row.origin != "file" or row.edited:
            log.info(
                "source %s: added, changed or removed on the admin page; "
                "the sources file no longer applies to it",
                config.name,
            )
            return
        if row.removed_at is not None:  # it left the file, and is back in it
            row.removed_at = None
            same = False
        else:
            try:
                same = self._config(row, self._open(row)) == config
            except (UnreadableCredentials, SourceTableError):
                same = False
        if not same:
            self._write(row, config)
            self._touch(row)

    # -- the admin page --------------------------------------------------------

    async def add(self, session: AsyncSession, data: Mapping[str, Any], actor: Actor) -> Entry:
        """A new source from the admin page; raises ``SourceExists`` or ``InvalidSource``."""
        fields, paused, credentials = _split(data)
        config = self._check({**fields, **credentials})
        if not ADDRESSABLE_NAME.fullmatch(config.name):
            raise InvalidSource("name", "a name holds no '/' and no control character")
        row = await locked(session, ManagedSource, config.name)
        if row is not None and row.removed_at is None:
            raise SourceExists(config.name)
        if row is None:
            row = self._new_row(config, origin="admin")
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                raise SourceExists(config.name) from None
        else:  # a removed source's name comes back as a new admin source
            self._write(row, config)
            row.origin, row.edited, row.removed_at = "admin", True, None
            self._touch(row)
        row.paused = bool(paused)
        await actor.record(
            session,
            "source.added",
            config.name,
            {
                "type": config.type,
                "base_url": config.base_url,
                "paused": row.paused,
                "credentials": sorted(k for k, v in credentials.items() if v),
            },
        )
        return self._entry(row)

    async def change(
        self, session: AsyncSession, name: str, data: Mapping[str, Any], actor: Actor
    ) -> Entry:
        """Change some settings, credentials or ``paused``; the rest keeps its value.

        A credential given as text replaces the stored one, ``null`` clears it,
        and one left out is kept. Raises ``UnknownSource`` or ``InvalidSource``.
        """
        if "name" in data and data["name"] != name:
            raise InvalidSource("name", "a source cannot be renamed; add a new one")
        fields, paused, credentials = _split({k: v for k, v in data.items() if k != "name"})
        row = await locked(session, ManagedSource, name)
        if row is None or row.removed_at is not None:
            raise UnknownSource(name)
        try:
            current = self._open(row)
        except UnreadableCredentials:
            current = {}  # the admin is setting them again
        merged = {k: v for k, v in {**current, **credentials}.items() if v is not None}
        before = self._table(row)
        table = {**before, **fields}
        changed = sorted(k for k in fields if fields[k] != before.get(k))
        changed_credentials = sorted(k for k in credentials if credentials[k] != current.get(k))
        if changed or changed_credentials:
            config = self._check({**table, **merged, "name": name})
            self._write(row, config)
            row.edited = True
        if paused is not None and paused != row.paused:
            row.paused = paused
            changed.append("paused")
        if changed or changed_credentials:
            self._touch(row)
            await actor.record(
                session,
                "source.changed",
                name,
                {"changed": changed, "credentials": changed_credentials},
            )
        return self._entry(row)

    async def remove(self, session: AsyncSession, name: str, actor: Actor) -> None:
        """Stop polling ``name`` for good; its photos stay, and the file does not bring it back."""
        row = await locked(session, ManagedSource, name)
        if row is None or row.removed_at is not None:
            raise UnknownSource(name)
        self._touch(row)
        row.removed_at = row.updated_at
        row.edited = True  # an admin's removal: the file does not bring it back
        row.sealed_credentials = None  # nothing secret kept for a source gone
        await actor.record(
            session,
            "source.removed",
            name,
            {"type": row.type},
        )

    # -- rows ------------------------------------------------------------------

    def _check(self, table: Mapping[str, Any]) -> SourceConfig:
        try:
            return source_config(table, self.settings, {}, origin="source")
        except SourceTableError as exc:
            raise InvalidSource(exc.field, str(exc)) from None

    def _new_row(self, config: SourceConfig, *, origin: str) -> ManagedSource:
        now = utcnow()
        row = ManagedSource(
            name=config.name,
            origin=origin,
            edited=False,
            paused=False,
            version=1,
            created_at=now,
            updated_at=now,
        )
        self._write(row, config)
        return row

    def _write(self, row: ManagedSource, config: SourceConfig) -> None:
        row.type = config.type
        row.base_url = config.base_url
        row.interval = config.interval
        row.hashtags = json.dumps(list(config.hashtags), ensure_ascii=False)
        row.recheck_per_minute = config.recheck_per_minute
        row.stream_url = config.stream_url
        credentials = {f: v for f in CREDENTIALS if (v := getattr(config, f))}
        row.sealed_credentials = self.box.seal(config.name, credentials)

    @staticmethod
    def _touch(row: ManagedSource) -> None:
        row.version += 1
        row.updated_at = utcnow()

    def _open(self, row: ManagedSource) -> dict[str, str]:
        return self.box.open(row.name, row.sealed_credentials)

    @staticmethod
    def _table(row: ManagedSource) -> dict[str, Any]:
        return {
            "name": row.name,
            "type": row.type,
            "base_url": row.base_url,
            "interval": row.interval,
            "hashtags": json.loads(row.hashtags),
            "recheck_per_minute": row.recheck_per_minute,
            "stream_url": row.stream_url,
        }

    def _config(self, row: ManagedSource, credentials: Mapping[str, str]) -> SourceConfig:
        table = {k: v for k, v in self._table(row).items() if v is not None}
        return source_config({**table, **credentials}, self.settings, {}, origin="catalogue")

    def _entry(self, row: ManagedSource) -> Entry:
        try:
            present = tuple(sorted(self._open(row)))
            unreadable = False
        except UnreadableCredentials:
            present, unreadable = (), True
        return Entry(
            name=row.name,
            type=row.type,
            base_url=row.base_url,
            interval=row.interval,
            hashtags=tuple(json.loads(row.hashtags)),
            recheck_per_minute=row.recheck_per_minute,
            stream_url=row.stream_url,
            paused=row.paused,
            origin=row.origin,
            edited=row.edited,
            credentials_set=present,
            credentials_unreadable=unreadable,
        )


def _split(
    data: Mapping[str, Any],
) -> tuple[dict[str, Any], bool | None, dict[str, str | None]]:
    """A request's settings, its ``paused`` and its credentials, each shape checked."""
    known = {"name", "paused", "credentials", *SETTINGS_FIELDS}
    if unknown := sorted(set(data) - known):
        raise InvalidSource(unknown[0], f"unknown field {unknown[0]!r}")
    paused = data.get("paused")
    if paused is not None and not isinstance(paused, bool):
        raise InvalidSource("paused", "paused is true or false")
    credentials = data.get("credentials") or {}
    if not isinstance(credentials, dict):
        raise InvalidSource("credentials", "credentials is an object of field to text")
    for field, value in credentials.items():
        if field not in CREDENTIALS:
            raise InvalidSource(field, f"unknown credential {field!r}")
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InvalidSource(field, f"{field} is a non-empty text, or null to clear it")
    cleaned = {k: (v.strip() if isinstance(v, str) else None) for k, v in credentials.items()}
    fields = {k: v for k, v in data.items() if k in SETTINGS_FIELDS or k == "name"}
    return fields, paused, cleaned
