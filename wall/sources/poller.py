"""The scheduler: polls every configured source at its interval, and never stops the wall.

One ``Poller`` runs one loop per source (``start``/``stop`` from the app's
lifespan, ``run_forever`` or ``run_once`` from ``wall poll``). Each round of a
source:

1. takes the source's lease in ``source_states`` (only when the source is due,
   unless forced), so several processes never poll one source at once
   (``schedule``);
2. fetches from the stored cursor, stores the page's new images (``ingest``), and only then
   stores the page's cursor (several pages per round while a catch-up lasts);
   an image that failed in a retryable way holds the cursor back so the page
   is read again next round (at most ``MAX_IMAGE_ATTEMPTS`` rounds);
3. re-reads the head page now and then on networks whose late posts can land
   behind the cursor (Mastodon), keeping the stored cursor;
4. asks the network whether approved posts still exist, the most recently
   approved first, each at least every ``WALL_RECHECK_SECONDS`` within the
   source's request budget, and removes from the wall those deleted at the
   source (``deletions``);
5. records the outcome: success, or the error and a backoff (exponential with
   jitter, at least what the network asked for; long after a permanent error).

Beside the loops, ``run_forever`` follows the streams of networks that push
(``StreamingSource``: Mastodon's hashtag stream, Bluesky's Jetstream;
``streams``): a pushed post is ingested at once, a pushed deletion takes the
post off the wall within seconds. Polling stays the fallback.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import anyio
import anyio.abc
import httpx

from wall import face_blurring
from wall.background import let_finish
from wall.config import Settings
from wall.db import Database
from wall.media import MediaLimits, MediaStore
from wall.models import SourceState, utcnow
from wall.sources import deletions, streams
from wall.sources.base import (
    Page,
    PermanentSourceError,
    RetryableSourceError,
    Source,
    SourceConfig,
    StreamEvent,
    StreamingSource,
    create_client,
)
from wall.sources.download import DownloadError, allows_private
from wall.sources.ingest import Ingest
from wall.sources.registry import build_source
from wall.sources.schedule import Schedule, process_owner
from wall.sources.toml import load_sources

log = logging.getLogger(__name__)

# Networks whose late posts get ids below ones already seen (federation).
HEAD_REREAD_TYPES = frozenset({"mastodon", "gotosocial", "akkoma", "pleroma"})
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class Timings:
    head_reread: float = 300.0  # seconds between head re-reads (Mastodon)
    recheck_seconds: float = 600.0  # longest wait between two checks of an approved post
    max_backoff: float = 1800.0  # cap of the exponential backoff
    permanent_backoff: float = 3600.0  # wait after a permanent error
    lease: float = 300.0  # how long a round may hold a source
    max_pages: int = 10  # pages per round while catching up
    stream_retry: float = 5.0  # first wait before opening a broken stream again


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
class _Running:
    """One source's loops in this process: the settings they run with, and how to end them."""

    config: SourceConfig
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    ended: anyio.Event = field(default_factory=anyio.Event)


@dataclass
class RoundResult:
    """The outcome of one round of one source, for ``wall poll --once`` and logs."""

    name: str
    ok: bool = False
    fetched: int = 0
    stored: int = 0
    skipped: int = 0
    removed: int = 0
    rechecked: int = 0
    held: int = 0
    error: str | None = None
    busy: bool = False  # another process holds the source
    moved: bool = False  # the cursor moved forward this round
    delivered_newest: dt.datetime | None = None  # newest post the cursor delivered
    head_newest: dt.datetime | None = None  # newest post of the head re-read, if one ran
    warnings: set[str] = field(default_factory=set)  # from the adapter's pages
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
        timings: Timings | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        catalogue: Callable[[], Awaitable[list[SourceConfig]]] | None = None,
        refresh: float = 5.0,
    ) -> None:
        self.configs = list(configs)
        self.db = db
        self.client = client
        self.ingest = ingest
        self.timings = timings or Timings()
        self.rng = rng or random.Random()
        self.clock = clock  # the re-checks' time (a test runs it fast)
        self.schedule = Schedule(db, process_owner(), self.timings.lease)
        self.sources: dict[str, Source] = {c.name: build_source(c, client) for c in configs}
        # Where the set of sources comes from while running (the database's
        # catalogue, read every ``refresh`` seconds); None: ``configs`` for good.
        self.catalogue = catalogue
        self.refresh = refresh
        self._running: dict[str, _Running] = {}
        self._ending: dict[str, anyio.Event] = {}  # loops stopped, maybe still in a round
        self._private_ok: dict[str, bool] = {}
        self._cannot_tell: set[str] = set()  # sources whose adapter cannot see deletions
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._prepared = False
        self.owns_client = False
        # Rounds this process ran and those that failed, by source (``/metrics``).
        self.rounds: collections.Counter[str] = collections.Counter()
        self.failed_rounds: collections.Counter[str] = collections.Counter()

    # -- running ---------------------------------------------------------------

    async def start(self) -> None:
        """Run every source's loop in one background task."""
        await self.prepare()
        self._task = asyncio.create_task(self.run_forever(), name="source-poller")

    async def stop(self) -> None:
        """Stop the loops (a round in progress gets a few seconds) and release leases."""
        self.request_stop()
        try:
            await let_finish(self._task)
        except Exception:
            log.exception("the source poller ended with an error")
        self._task = None
        try:
            await self.schedule.release_all()
        except Exception:
            log.exception("could not release the sources' leases")

    def request_stop(self) -> None:
        """Ask the loops to end after the step in progress (a signal handler)."""
        self._stop.set()
        for running in self._running.values():
            running.stop.set()

    async def close(self) -> None:
        """Stop, and close the HTTP client if this poller made it (``create_poller``)."""
        await self.stop()
        if self.owns_client:
            await self.client.aclose()

    async def run_forever(self) -> None:
        """Poll (and follow the streams of) every source until ``stop``.

        With a catalogue, the set of sources is read again every ``refresh``
        seconds: a new source starts at once, a removed or paused one stops
        after its round in progress, and a changed one starts again with its
        new settings once its old loop has ended.
        """
        await self.prepare()
        async with anyio.create_task_group() as group:
            while not self._stop.is_set():
                if self.catalogue is not None:
                    try:
                        await self._use(await self.catalogue())
                    except Exception:
                        log.exception("could not read the sources; keeping the current ones")
                self._reconcile(group)
                if self.catalogue is None:
                    await self._stop.wait()
                else:
                    with anyio.move_on_after(self.refresh):
                        await self._stop.wait()
            for running in self._running.values():
                running.stop.set()

    async def _use(self, configs: Sequence[SourceConfig]) -> None:
        """Make ``configs`` the current sources (their state rows prepared)."""
        if list(configs) == self.configs:
            return
        known = {config.name: config for config in self.configs}
        fresh = [config for config in configs if known.get(config.name) != config]
        if fresh:
            await self.schedule.prepare(fresh)
        self.configs = list(configs)
        self.sources = {
            config.name: (
                self.sources[config.name]
                if known.get(config.name) == config
                else build_source(config, self.client)
            )
            for config in configs
        }

    def _reconcile(self, group: anyio.abc.TaskGroup) -> None:
        wanted = {config.name: config for config in self.configs}
        for name, running in list(self._running.items()):
            if wanted.get(name) != running.config:
                log.info("source %s: stopping (removed, paused or changed)", name)
                running.stop.set()
                del self._running[name]
                self._ending[name] = running.ended
        for name, config in wanted.items():
            if name not in self._running:
                running = _Running(config)
                self._running[name] = running
                group.start_soon(self._run_source, running, self._ending.pop(name, None))

    async def _run_source(self, running: _Running, previous: anyio.Event | None) -> None:
        try:
            if previous is not None:
                await previous.wait()  # never two loops of one source in this process
            config = running.config
            source = self.sources.get(config.name) or build_source(config, self.client)
            async with anyio.create_task_group() as group:
                group.start_soon(self._loop, config, running.stop)
                if isinstance(source, StreamingSource):
                    for key in source.stream_keys():
                        group.start_soon(self._follow, config, source, key, running.stop)
        finally:
            running.ended.set()

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

    async def _loop(self, config: SourceConfig, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.poll(config)
                wait = await self.schedule.seconds_until_due(config.name, config.interval)
            except Exception:
                log.exception("source %s: poller round failed", config.name)
                wait = config.interval
            with anyio.move_on_after(max(0.05, wait)):
                await stop.wait()

    async def _follow(
        self, config: SourceConfig, source: StreamingSource, key: str, stop: asyncio.Event
    ) -> None:
        await streams.follow(
            source,
            key,
            config.name,
            functools.partial(self._pushed, config),
            stop,
            retry=self.timings.stream_retry,
            max_backoff=self.timings.max_backoff,
        )

    async def _pushed(self, config: SourceConfig, event: StreamEvent) -> None:
        """One pushed event: a deletion removes the post, a post is ingested."""
        if event.deleted_id is not None:
            removed = await deletions.remove_deleted_id(self.db, config.name, event.deleted_id)
            if removed:
                log.info("source %s: %d photo(s) deleted at the source", config.name, removed)
        if event.post is not None:
            await self.ingest.page(
                config, [event.post], private_ok=await self._private_allowed(config)
            )

    async def prepare(self) -> None:
        """Make sure every source has a state row (once per poller)."""
        if not self._prepared:
            await self.schedule.prepare(self.configs)
            self._prepared = True

    # -- one round -------------------------------------------------------------

    async def poll(self, config: SourceConfig, *, force: bool = False) -> RoundResult | None:
        """One round of ``config``; None when it is not due or another process holds it."""
        await self.prepare()
        state = await self.schedule.claim(config.name, force=force)
        if state is None:
            return None
        self.rounds[config.name] += 1
        result = RoundResult(config.name)
        source = self.sources[config.name]
        started = utcnow()
        changes: dict[str, object] = {}
        # A new source's first round reads up to the newest posts (from the
        # head, or walking from the campaign's start): no head re-read yet.
        head_due = self._head_due(config, state, started)
        if state.cursor is None:
            changes["last_head_read_at"] = started
        try:
            await self._read_pages(config, source, state, result)
            if head_due and not result.held:
                await self._read_head(config, source, state, result)
                changes["last_head_read_at"] = started
            if config.name not in self._cannot_tell:
                changes["last_recheck_at"] = await self._recheck(config, source, state, result)
            changes.update(self._health(config, state, result, started))
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
        result.next_poll_at = await self.schedule.finish(
            config.name,
            last_success_at=now,
            error_kind=None,
            consecutive_failures=0,
            next_poll_at=now + dt.timedelta(seconds=config.interval),
            **changes,
        )
        if result.held or result.problems:
            log.warning("source %s: %s (%s)", config.name, result.line(), result.problems[0])
        return result

    def _health(
        self, config: SourceConfig, state: SourceState, result: RoundResult, started: dt.datetime
    ) -> dict[str, object]:
        """The round's ``newest_post_at`` and ``warning``.

        ``stalled``: a head re-read shows a post newer than anything the cursor
        ever delivered, posted at least one interval before this round, while
        the cursor did not move (a server whose ids the cursor cannot walk).
        ``restricted``: the adapter saw an empty feed for a tag in use.
        Without a head re-read, a moving cursor clears a warning and a still
        one keeps it.
        """
        newest = state.newest_post_at
        if result.delivered_newest is not None and (
            newest is None or result.delivered_newest > newest
        ):
            newest = result.delivered_newest
        changes: dict[str, object] = {"newest_post_at": newest}
        if "restricted" in result.warnings:
            changes["warning"] = "restricted"
        elif result.head_newest is not None:
            known = newest or config.since
            settled = started - dt.timedelta(seconds=config.interval)
            stalled = (
                not result.moved
                and result.head_newest <= settled
                and (known is None or result.head_newest > known)
            )
            changes["warning"] = "stalled" if stalled else None
        elif result.moved:
            changes["warning"] = None
        return changes

    async def _failed(
        self,
        config: SourceConfig,
        state: SourceState,
        result: RoundResult,
        exc: RetryableSourceError | PermanentSourceError,
        changes: dict[str, object],
    ) -> None:
        self.failed_rounds[config.name] += 1
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
        # Shown on the sources panel and logged: no credential, even one an error echoed.
        result.error = config.without_secrets(str(exc))
        log.warning("source %s: %s; next try in %.0f s", config.name, result.error, delay)
        result.next_poll_at = await self.schedule.finish(
            config.name,
            last_error=result.error[:1000],
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
        # A new source starts where its network lets it: the campaign's start.
        cursor = state.cursor if state.cursor is not None else source.start_cursor()
        private_ok = await self._private_allowed(config)
        for _ in range(self.timings.max_pages):
            page = await source.fetch(cursor)
            self._note(result, page)
            report = await self.ingest.page(config, page.posts, private_ok=private_ok)
            skipped = page.skipped + page.withheld + report.skipped
            result.fetched += len(page.posts)
            result.stored += report.stored
            result.skipped += skipped
            result.problems += report.problems
            if report.held:
                # Read this page again next round: some of its images are not stored yet.
                result.held += report.held
                await self.schedule.save_page(
                    config.name, cursor, len(page.posts), report.stored, skipped
                )
                return
            await self.schedule.save_page(
                config.name, page.next_cursor, len(page.posts), report.stored, skipped
            )
            moved = page.next_cursor not in (None, cursor)
            if moved and page.posts:
                result.moved = True
                newest = max(post.posted_at for post in page.posts)
                if result.delivered_newest is None or newest > result.delivered_newest:
                    result.delivered_newest = newest
            cursor = page.next_cursor
            state.cursor = cursor
            if not page.posts or not moved or self._stop.is_set():
                return

    @staticmethod
    def _note(result: RoundResult, page: Page) -> None:
        if page.warning:
            result.warnings.add(page.warning)

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
        self._note(result, page)
        result.head_newest = max((post.posted_at for post in page.posts), default=None)
        report = await self.ingest.page(
            config, page.posts, private_ok=await self._private_allowed(config)
        )
        skipped = page.skipped + page.withheld + report.skipped
        result.fetched += len(page.posts)
        result.stored += report.stored
        result.skipped += skipped
        result.held += report.held
        result.problems += report.problems
        await self.schedule.save_page(
            config.name, state.cursor, len(page.posts), report.stored, skipped
        )

    async def _recheck(
        self, config: SourceConfig, source: Source, state: SourceState, result: RoundResult
    ) -> dt.datetime:
        """Spend this round's budget on due posts; returns the budget's new clock."""
        now = self.clock()
        budget = deletions.Budget.at(deletions.recheck_rate(config), state.last_recheck_at, now)
        outcome = await deletions.recheck(
            self.db,
            source,
            config.name,
            now=now,
            every=dt.timedelta(seconds=self.timings.recheck_seconds),
            budget=budget.requests,
        )
        if not outcome.can_tell:
            self._cannot_tell.add(config.name)
        result.removed, result.rechecked = outcome.removed, outcome.asked
        return budget.spent(outcome.asked, now, more_due=outcome.more_due)


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
    limiter: anyio.CapacityLimiter | None = None,
    timings: Timings | None = None,
    catalogue: Callable[[], Awaitable[list[SourceConfig]]] | None = None,
) -> Poller:
    """A poller with its own HTTP client (the wall's User-Agent); ``close()`` closes it.

    With ``catalogue`` (``Catalogue.active_configs``), the running poller
    follows the sources managed on the admin page.
    """
    client = create_client()
    ingest = Ingest(
        db,
        store,
        client,
        limits=MediaLimits(max_bytes=settings.max_upload_bytes),
        tmp_dir=settings.data_path / "tmp",
        limiter=limiter,
        blur_faces=face_blurring.blurs_social(settings.blur_faces),
    )
    timings = timings or Timings(recheck_seconds=settings.recheck_seconds)
    poller = Poller(
        configs,
        db=db,
        client=client,
        ingest=ingest,
        timings=timings,
        catalogue=catalogue,
        refresh=settings.sources_refresh_seconds,
    )
    poller.owns_client = True
    return poller


async def start_poller(
    settings: Settings,
    configs: Sequence[SourceConfig],
    db: Database,
    *,
    store: MediaStore,
    limiter: anyio.CapacityLimiter | None = None,
    catalogue: Callable[[], Awaitable[list[SourceConfig]]] | None = None,
) -> Poller | None:
    """For the app's lifespan: a running poller; None when no source is configured
    and no catalogue can bring one."""
    if not configs and catalogue is None:
        return None
    poller = create_poller(settings, configs, db, store=store, limiter=limiter, catalogue=catalogue)
    try:
        await poller.start()
    except BaseException:
        await poller.close()
        raise
    return poller
