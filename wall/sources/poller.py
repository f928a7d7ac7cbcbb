"""The scheduler: polls every configured source at its interval, and never stops the wall.

One ``Poller`` runs one loop per source (``start``/``stop`` from the app's
lifespan, ``run_forever`` or ``run_once`` from ``wall poll``). Each round of a
source:

1. takes the source's lease in ``source_states`` (only when the source is due,
   unless forced), so several processes never poll one source at once;
2. fetches from the stored cursor, stores the page's new images, and only then
   stores the page's cursor (several pages per round while a catch-up lasts);
   an image that failed in a retryable way holds the cursor back so the page
   is read again next round (at most ``MAX_IMAGE_ATTEMPTS`` rounds);
3. re-reads the head page now and then on networks whose late posts can land
   behind the cursor (Mastodon), keeping the stored cursor;
4. now and then asks the network whether recently approved posts still exist,
   and removes from the wall those deleted at the source;
5. records the outcome: success, or the error and a backoff (exponential with
   jitter, at least what the network asked for; long after a permanent error).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio
import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from wall.config import Settings
from wall.db import Database
from wall.events import EventHub
from wall.media import MediaLimits, MediaStore
from wall.models import Photo, RemotePhoto, SourceState, utcnow
from wall.moderation import service
from wall.moderation.states import Action, Status
from wall.sources.base import (
    PermanentSourceError,
    RemotePost,
    RetryableSourceError,
    Source,
    SourceConfig,
    create_client,
)
from wall.sources.download import DownloadError, allows_private
from wall.sources.ingest import Ingest
from wall.sources.registry import build_source
from wall.sources.toml import load_sources

log = logging.getLogger(__name__)

# Networks whose late posts get ids below ones already seen (federation).
HEAD_REREAD_TYPES = frozenset({"mastodon"})
MAX_RETRY_AFTER = 24 * 3600.0
SOURCE_DELETED_REASON = "supprimée à la source"


@dataclass(frozen=True)
class Timings:
    head_reread: float = 300.0  # seconds between head re-reads (Mastodon)
    recheck_every: float = 900.0  # seconds between deletion re-checks of a source
    recheck_window: float = 3 * 86400.0  # re-check photos approved this recently
    recheck_batch: int = 20  # posts asked about per re-check
    max_backoff: float = 1800.0  # cap of the exponential backoff
    permanent_backoff: float = 3600.0  # wait after a permanent error
    lease: float = 300.0  # how long a round may hold a source
    max_pages: int = 10  # pages per round while catching up


def backoff_delay(
    interval: float,
    failures: int,
    *,
    retry_after: float | None,
    max_backoff: float,
    rng: random.Random,
) -> float:
    """Seconds to wait after ``failures`` retryable failures in a row (``failures`` >= 1).

    Doubles from twice the interval up to ``max_backoff``, with jitter over the
    upper half so that many walls do not retry in step; never less than the
    interval, and never less than what the network asked for.
    """
    ceiling = min(max_backoff, interval * 2.0 ** min(failures, 30))
    delay = max(interval, ceiling * rng.uniform(0.5, 1.0))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


@dataclass
class RoundResult:
    """The outcome of one round of one source, for ``wall poll --once`` and logs."""

    name: str
    ok: bool = False
    fetched: int = 0
    stored: int = 0
    skipped: int = 0
    removed: int = 0
    held: int = 0
    error: str | None = None
    busy: bool = False  # another process holds the source
    next_poll_at: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.busy:
            return f"{self.name}: busy (another poller holds it)"
        if not self.ok:
            return f"{self.name}: error: {self.error}"
        text = (
            f"{self.name}: ok, fetched {self.fetched}, stored {self.stored}, skipped {self.skipped}"
        )
        if self.held:
            text += f", {self.held} image(s) to retry"
        if self.removed:
            text += f", removed {self.removed} deleted at source"
        return text


class Poller:
    """Polls ``configs``; the HTTP client and the database belong to the caller."""

    def __init__(
        self,
        configs: Sequence[SourceConfig],
        *,
        db: Database,
        client: httpx.AsyncClient,
        ingest: Ingest,
        hub: EventHub | None = None,
        timings: Timings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.configs = list(configs)
        self.db = db
        self.client = client
        self.ingest = ingest
        self.hub = hub
        self.timings = timings or Timings()
        self.rng = rng or random.Random()
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.sources: dict[str, Source] = {c.name: build_source(c, client) for c in configs}
        self._private_ok: dict[str, bool] = {}
        self._cannot_tell: set[str] = set()  # sources whose adapter cannot see deletions
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._prepared = False
        self.owns_client = False

    # -- running ---------------------------------------------------------------

    async def start(self) -> None:
        """Run every source's loop in one background task."""
        await self.prepare()
        self._task = asyncio.create_task(self.run_forever(), name="source-poller")

    async def stop(self) -> None:
        """Stop the loops (a round in progress gets a few seconds) and release leases."""
        self._stop.set()
        if self._task is not None:
            try:
                async with asyncio.timeout(5):
                    await asyncio.shield(self._task)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            except Exception:
                log.exception("the source poller ended with an error")
            self._task = None
        with contextlib.suppress(Exception):
            async with self.db.writing() as session:
                await session.execute(
                    update(SourceState)
                    .where(SourceState.lease_owner == self.owner)
                    .values(lease_owner=None, lease_until=None)
                )

    def request_stop(self) -> None:
        """Ask the loops to end after the step in progress (a signal handler)."""
        self._stop.set()

    async def close(self) -> None:
        """Stop, and close the HTTP client if this poller made it (``create_poller``)."""
        await self.stop()
        if self.owns_client:
            await self.client.aclose()

    async def run_forever(self) -> None:
        await self.prepare()
        async with anyio.create_task_group() as group:
            for config in self.configs:
                group.start_soon(self._loop, config)

    async def run_once(self, *, force: bool = True) -> list[RoundResult]:
        """One round of every source at once, due or not (``force``)."""
        await self.prepare()
        results: dict[str, RoundResult] = {}

        async def one(config: SourceConfig) -> None:
            results[config.name] = await self.poll(config, force=force) or RoundResult(
                config.name, busy=True
            )

        async with anyio.create_task_group() as group:
            for config in self.configs:
                group.start_soon(one, config)
        return [results[config.name] for config in self.configs]

    async def _loop(self, config: SourceConfig) -> None:
        while not self._stop.is_set():
            try:
                await self.poll(config)
                wait = await self._seconds_until_due(config)
            except Exception:
                log.exception("source %s: poller round failed", config.name)
                wait = config.interval
            with anyio.move_on_after(max(0.05, wait)):
                await self._stop.wait()

    # -- state rows ------------------------------------------------------------

    async def prepare(self) -> None:
        """Make sure every source has a state row; retry at once after a permanent error.

        A permanent error (a bad token, a wrong URL) is fixed by editing the
        configuration and restarting, so a new process does not wait it out.
        """
        if self._prepared:
            return
        for config in self.configs:
            try:
                async with self.db.writing() as session:
                    state = await session.get(SourceState, config.name)
                    if state is None:
                        session.add(_new_state(config))
                        continue
                    if state.type != config.type:
                        state.type, state.cursor = config.type, None
                    if state.error_kind == "permanent":
                        state.next_poll_at = None
            except IntegrityError:
                pass  # another process created it
        self._prepared = True

    async def _claim(self, config: SourceConfig, *, force: bool) -> SourceState | None:
        now = utcnow()
        conditions = [
            SourceState.name == config.name,
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
        lease_until = now + dt.timedelta(seconds=self.timings.lease)
        async with self.db.writing() as session:
            claimed = await session.execute(
                update(SourceState)
                .where(*conditions)
                .values(lease_owner=self.owner, lease_until=lease_until)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return None
            return await session.get(SourceState, config.name, populate_existing=True)

    async def _seconds_until_due(self, config: SourceConfig) -> float:
        async with self.db.reading() as session:
            state = await session.get(SourceState, config.name)
        if state is None:
            return config.interval
        now = utcnow()
        due = [state.next_poll_at or now]
        if state.lease_owner not in (None, self.owner) and state.lease_until:
            due.append(state.lease_until)
        return max((max(due) - now).total_seconds(), 0.0)

    async def _save_page(
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
            state.lease_until = utcnow() + dt.timedelta(seconds=self.timings.lease)

    async def _finish(self, config: SourceConfig, result: RoundResult, **changes: object) -> None:
        async with self.db.writing() as session:
            state = await session.get(SourceState, config.name, with_for_update=True)
            assert state is not None
            for key, value in changes.items():
                setattr(state, key, value)
            if state.lease_owner == self.owner:
                state.lease_owner = state.lease_until = None
            result.next_poll_at = state.next_poll_at

    # -- one round -------------------------------------------------------------

    async def poll(self, config: SourceConfig, *, force: bool = False) -> RoundResult | None:
        """One round of ``config``; None when it is not due or another process holds it."""
        await self.prepare()
        state = await self._claim(config, force=force)
        if state is None:
            return None
        result = RoundResult(config.name)
        source = self.sources[config.name]
        started = utcnow()
        changes: dict[str, object] = {}
        # Without a cursor the first fetch reads the head anyway.
        head_due = self._head_due(config, state, started)
        if state.cursor is None:
            changes["last_head_read_at"] = started
        try:
            await self._read_pages(config, source, state, result)
            if head_due and not result.held:
                await self._read_head(config, source, state, result)
                changes["last_head_read_at"] = started
            if self._recheck_due(config, state, started):
                result.removed = await self._recheck(config, source)
                changes["last_recheck_at"] = started
        except (RetryableSourceError, PermanentSourceError) as exc:
            await self._failed(config, state, result, exc, changes)
            return result
        except Exception as exc:
            log.exception("source %s: unexpected failure", config.name)
            wrapped = RetryableSourceError(config.name, f"unexpected {type(exc).__name__}: {exc}")
            await self._failed(config, state, result, wrapped, changes)
            return result
        result.ok = True
        now = utcnow()
        await self._finish(
            config,
            result,
            last_success_at=now,
            error_kind=None,
            consecutive_failures=0,
            next_poll_at=now + dt.timedelta(seconds=config.interval),
            **changes,
        )
        if result.held or result.problems:
            log.warning("source %s: %s (%s)", config.name, result.line(), result.problems[0])
        return result

    async def _failed(
        self,
        config: SourceConfig,
        state: SourceState,
        result: RoundResult,
        exc: RetryableSourceError | PermanentSourceError,
        changes: dict[str, object],
    ) -> None:
        failures = state.consecutive_failures + 1
        if isinstance(exc, PermanentSourceError):
            kind, delay = "permanent", self.timings.permanent_backoff
        else:
            kind = "retryable"
            delay = backoff_delay(
                config.interval,
                failures,
                retry_after=exc.retry_after,
                max_backoff=self.timings.max_backoff,
                rng=self.rng,
            )
        now = utcnow()
        result.error = str(exc)
        log.warning("source %s: %s; next try in %.0f s", config.name, exc, delay)
        await self._finish(
            config,
            result,
            last_error=str(exc)[:1000],
            last_error_at=now,
            error_kind=kind,
            consecutive_failures=failures,
            next_poll_at=now + dt.timedelta(seconds=delay),
            **changes,
        )

    async def _private_allowed(self, config: SourceConfig) -> bool:
        if config.name not in self._private_ok:
            try:
                self._private_ok[config.name] = await allows_private(config.base_url)
            except DownloadError:
                return False
        return self._private_ok[config.name]

    async def _read_pages(
        self, config: SourceConfig, source: Source, state: SourceState, result: RoundResult
    ) -> None:
        cursor = state.cursor
        private_ok = await self._private_allowed(config)
        for _ in range(self.timings.max_pages):
            page = await source.fetch(cursor)
            report = await self.ingest.page(config, page.posts, private_ok=private_ok)
            skipped = page.skipped + page.withheld + report.skipped
            result.fetched += len(page.posts)
            result.stored += report.stored
            result.skipped += skipped
            result.problems += report.problems
            if report.held:
                # Read this page again next round: some of its images are not stored yet.
                result.held += report.held
                await self._save_page(config.name, cursor, len(page.posts), report.stored, skipped)
                return
            await self._save_page(
                config.name, page.next_cursor, len(page.posts), report.stored, skipped
            )
            moved = page.next_cursor not in (None, cursor)
            cursor = page.next_cursor
            state.cursor = cursor
            if not page.posts or not moved or self._stop.is_set():
                return

    def _head_due(self, config: SourceConfig, state: SourceState, now: dt.datetime) -> bool:
        if config.type not in HEAD_REREAD_TYPES or state.cursor is None:
            return False
        last = state.last_head_read_at
        return last is None or (now - last).total_seconds() >= self.timings.head_reread

    async def _read_head(
        self, config: SourceConfig, source: Source, state: SourceState, result: RoundResult
    ) -> None:
        # The returned cursor points at the head: keep the stored one.
        page = await source.fetch(None)
        report = await self.ingest.page(
            config, page.posts, private_ok=await self._private_allowed(config)
        )
        skipped = page.skipped + page.withheld + report.skipped
        result.fetched += len(page.posts)
        result.stored += report.stored
        result.skipped += skipped
        result.held += report.held
        result.problems += report.problems
        await self._save_page(config.name, state.cursor, len(page.posts), report.stored, skipped)

    def _recheck_due(self, config: SourceConfig, state: SourceState, now: dt.datetime) -> bool:
        if config.name in self._cannot_tell:
            return False
        last = state.last_recheck_at
        return last is None or (now - last).total_seconds() >= self.timings.recheck_every

    async def _recheck(self, config: SourceConfig, source: Source) -> int:
        """Ask the network about recently approved posts; remove those deleted there."""
        since = utcnow() - dt.timedelta(seconds=self.timings.recheck_window)
        async with self.db.reading() as session:
            rows = (
                await session.execute(
                    select(RemotePhoto, Photo)
                    .join(Photo, Photo.id == RemotePhoto.photo_id)
                    .where(
                        RemotePhoto.source_name == config.name,
                        Photo.status == Status.APPROVED.value,
                        Photo.approved_at >= since,
                    )
                    .order_by(RemotePhoto.checked_at.is_not(None), RemotePhoto.checked_at)
                    .limit(self.timings.recheck_batch * 4)
                )
            ).all()
        posts: dict[str, RemotePost] = {}
        for origin, photo in rows:
            if origin.uri not in posts and len(posts) < self.timings.recheck_batch:
                posts[origin.uri] = RemotePost(
                    source=photo.source,
                    id_at_source=origin.remote_id,
                    uri=origin.uri,
                    permalink=photo.permalink,
                    author=None,
                    posted_at=photo.posted_at,
                    caption=photo.caption,
                )
        removed = 0
        for uri, post in posts.items():
            exists = await source.exists(post)
            if exists is None:
                self._cannot_tell.add(config.name)
                break
            if exists:
                await self._mark_checked(uri)
            else:
                removed += await self._remove_post(uri)
        if removed and self.hub is not None:
            self.hub.wake()
        return removed

    async def _mark_checked(self, uri: str) -> None:
        async with self.db.writing() as session:
            await session.execute(
                update(RemotePhoto).where(RemotePhoto.uri == uri).values(checked_at=utcnow())
            )

    async def _remove_post(self, uri: str) -> int:
        """Remove every photo of a post deleted at the source (all its images)."""
        removed = 0
        async with self.db.writing() as session:
            ids = (
                await session.scalars(
                    select(Photo.id)
                    .join(RemotePhoto, RemotePhoto.photo_id == Photo.id)
                    .where(RemotePhoto.uri == uri, Photo.status != Status.REMOVED.value)
                )
            ).all()
            for photo_id in ids:
                await service.decide(
                    session,
                    photo_id,
                    Action.REMOVE,
                    rule="source_deleted",
                    reason=SOURCE_DELETED_REASON,
                )
                removed += 1
            await session.execute(
                update(RemotePhoto).where(RemotePhoto.uri == uri).values(checked_at=utcnow())
            )
        return removed


def _new_state(config: SourceConfig) -> SourceState:
    return SourceState(
        name=config.name,
        type=config.type,
        consecutive_failures=0,
        fetched_total=0,
        stored_total=0,
        skipped_total=0,
    )


def configured_sources(settings: Settings) -> list[SourceConfig]:
    """The sources of ``wall.toml`` (``WALL_SOURCES_FILE``); none without a file.

    Raises ``ConfigError`` (one line) for a file that cannot be used.
    """
    path = settings.sources_path
    return load_sources(path, settings) if path is not None else []


def create_poller(
    settings: Settings,
    configs: Sequence[SourceConfig],
    db: Database,
    *,
    store: MediaStore,
    hub: EventHub | None = None,
    limiter: anyio.CapacityLimiter | None = None,
    timings: Timings | None = None,
) -> Poller:
    """A poller with its own HTTP client (the wall's User-Agent); ``close()`` closes it."""
    client = create_client()
    ingest = Ingest(
        db,
        store,
        client,
        limits=MediaLimits(max_bytes=settings.max_upload_bytes),
        tmp_dir=settings.data_path / "tmp",
        limiter=limiter,
    )
    poller = Poller(configs, db=db, client=client, ingest=ingest, hub=hub, timings=timings)
    poller.owns_client = True
    return poller


async def start_poller(
    settings: Settings,
    configs: Sequence[SourceConfig],
    db: Database,
    *,
    store: MediaStore,
    hub: EventHub | None = None,
    limiter: anyio.CapacityLimiter | None = None,
) -> Poller | None:
    """For the app's lifespan: a running poller, or None when no source is configured."""
    if not configs:
        return None
    poller = create_poller(settings, configs, db, store=store, hub=hub, limiter=limiter)
    try:
        await poller.start()
    except BaseException:
        await poller.close()
        raise
    return poller
