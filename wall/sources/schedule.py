"""The database as the pollers' schedule: one ``source_states`` row per source.

A row holds the source's cursor, its health and ``next_poll_at``. A process
polls a source only after taking its lease with one conditional ``UPDATE``
(due, and not leased by a live other process), so several processes
(``wall serve --workers N``, ``wall poll`` beside it) never poll one source
at once, and a process that died loses its lease when it runs out.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from collections.abc import Iterable

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from wall.db import Database
from wall.models import SourceState, utcnow
from wall.sources.base import SourceConfig


def process_owner() -> str:
    """A lease owner name: this host and process, and a random part for restarts."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class Schedule:
    """Reads and writes the state rows on behalf of one poller (``owner``)."""

    def __init__(self, db: Database, owner: str, lease_seconds: float) -> None:
        self.db = db
        self.owner = owner
        self.lease = dt.timedelta(seconds=lease_seconds)

    async def prepare(self, configs: Iterable[SourceConfig]) -> None:
        """Make sure every source has a row; retry at once after a permanent error.

        A permanent error (a bad token, a wrong URL) is fixed by editing the
        configuration and restarting, so a new process does not wait it out.
        """
        for config in configs:
            try:
                async with self.db.writing() as session:
                    state = await session.get(SourceState, config.name)
                    if state is None:
                        session.add(
                            SourceState(
                                name=config.name,
                                type=config.type,
                                consecutive_failures=0,
                                fetched_total=0,
                                stored_total=0,
                                skipped_total=0,
                            )
                        )
                        continue
                    if state.type != config.type:
                        state.type, state.cursor = config.type, None
                    if state.error_kind == "permanent":
                        state.next_poll_at = None
            except IntegrityError:
                pass  # another process created it

    async def claim(self, name: str, *, force: bool) -> SourceState | None:
        """Take the lease of a due source (any source with ``force``); None if not taken."""
        now = utcnow()
        conditions = [
            SourceState.name == name,
            or_(
                SourceState.lease_until.is_(None),
                SourceState.lease_until < now,
                SourceState.lease_owner == self.owner,
            ),
        ]
        if not force:
            conditions.append(
                or_(SourceState.next_poll_at.is_(None), SourceState.next_poll_at <= now)
            )
        async with self.db.writing() as session:
            claimed = await session.execute(
                update(SourceState)
                .where(*conditions)
                .values(lease_owner=self.owner, lease_until=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return None
            return await session.get(SourceState, name, populate_existing=True)

    async def seconds_until_due(self, name: str, default: float) -> float:
        """How long until the source is due (or another process's lease runs out)."""
        async with self.db.reading() as session:
            state = await session.get(SourceState, name)
        if state is None:
            return default
        now = utcnow()
        due = [state.next_poll_at or now]
        if state.lease_owner not in (None, self.owner) and state.lease_until:
            due.append(state.lease_until)
        return max((max(due) - now).total_seconds(), 0.0)

    async def save_page(
        self, name: str, cursor: str | None, fetched: int, stored: int, skipped: int
    ) -> None:
        """Store a cursor once its page's posts are stored, and extend the lease."""
        async with self.db.writing() as session:
            state = await session.get(SourceState, name, with_for_update=True)
            assert state is not None
            state.cursor = cursor
            state.fetched_total += fetched
            state.stored_total += stored
            state.skipped_total += skipped
            state.lease_until = utcnow() + self.lease

    async def finish(self, name: str, **changes: object) -> dt.datetime | None:
        """Record a round's outcome and give the lease back; returns ``next_poll_at``."""
        async with self.db.writing() as session:
            state = await session.get(SourceState, name, with_for_update=True)
            assert state is not None
            for key, value in changes.items():
                setattr(state, key, value)
            if state.lease_owner == self.owner:
                state.lease_owner = state.lease_until = None
            return state.next_poll_at

    async def release_all(self) -> None:
        async with self.db.writing() as session:
            await session.execute(
                update(SourceState)
                .where(SourceState.lease_owner == self.owner)
                .values(lease_owner=None, lease_until=None)
            )
