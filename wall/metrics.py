"""The figures ``GET /metrics`` shows, in a registry of the app's own.

Each app has its own ``CollectorRegistry`` (never prometheus-client's global
one), so several apps in one process (tests, benchmarks) never mix figures.

Three kinds of figures, and what a scrape of one worker means:

- **Read from the database at each scrape**, the same on every worker: the
  moderation queue (length, oldest pending photo's age), decisions by action
  (the ``decisions`` table, rules' decisions included), and each source's
  worst re-check age. They drop when ``wall purge`` empties the tables
  (Prometheus reads the drop as a counter reset).
- **Counted by this process since it started**, to be summed over workers:
  uploads by outcome, request latency by route, open event streams, events
  handed out to streams, source rounds and failed rounds (only the process
  holding a source's lease polls it).
- **Seen by this process**, the same total on every worker:
  ``wall_events_appended_total`` counts every event written to the log by any
  process since this one started (each process tails the whole log), and
  ``wall_event_last_id`` is the newest event id it handed out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wall.events import EventHub
from wall.models import Decision, Photo, SourceState, utcnow
from wall.moderation.states import Status
from wall.sources.catalogue import Catalogue
from wall.sources.deletions import worst_ages
from wall.sources.health import HEALTH_STATES, health
from wall.sources.poller import Poller

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED_ROUTE = "unmatched"


@dataclass
class DatabaseFigures:
    pending: int = 0
    oldest_pending_age: float = 0.0
    decisions: Mapping[str, int] = field(default_factory=dict)
    recheck_ages: Mapping[str, float] = field(default_factory=dict)
    source_health: Mapping[str, str] = field(default_factory=dict)


async def read_database_figures(
    session: AsyncSession,
    source_names: Sequence[str],
    now: dt.datetime | None = None,
    *,
    paused: Collection[str] = (),
) -> DatabaseFigures:
    now = now or utcnow()
    pending, oldest = (
        await session.execute(
            select(func.count(), func.min(Photo.submitted_at)).where(
                Photo.status == Status.PENDING.value
            )
        )
    ).one()
    if isinstance(oldest, str):  # SQLite's min() of a date column loses its type
        oldest = dt.datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    decisions = await session.execute(
        select(Decision.action, func.count()).group_by(Decision.action)
    )
    states = {
        state.name: state
        for state in (
            await session.scalars(select(SourceState).where(SourceState.name.in_(source_names)))
        ).all()
    }
    return DatabaseFigures(
        pending=int(pending),
        oldest_pending_age=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        decisions={action: int(n) for action, n in decisions.all()},
        recheck_ages=await worst_ages(session, source_names, now) if source_names else {},
        source_health={
            name: health(states.get(name), paused=name in paused) for name in source_names
        },
    )


class _LiveFigures(Collector):
    """Read at each scrape from the hub, the poller and the latest database figures."""

    def __init__(self) -> None:
        self.hub: EventHub | None = None
        self.poller: Poller | None = None
        self.catalogue: Catalogue | None = None
        self.database = DatabaseFigures()

    def collect(self) -> Iterator[Metric]:
        yield from self._hub_figures()
        yield from self._database_figures()
        yield from self._source_figures()

    def _hub_figures(self) -> Iterator[Metric]:
        hub = self.hub
        if hub is None:
            return
        yield GaugeMetricFamily("wall_event_streams", "open event streams", hub.connections)
        yield GaugeMetricFamily(
            "wall_event_last_id", "id of the newest event handed out", hub.last_id
        )
        yield CounterMetricFamily(
            "wall_event_hub_reads", "reads of the event table to hand out new events", hub.reads
        )
        yield CounterMetricFamily(
            "wall_event_replay_reads",
            "reads of the event table for clients older than the in-memory window",
            hub.replay_reads,
        )
        yield GaugeMetricFamily(
            "wall_event_listen_up",
            "1 while the PostgreSQL LISTEN connection is up",
            int(hub.listening),
        )
        yield CounterMetricFamily(
            "wall_events_appended",
            "events written to the log by any process since this process started",
            hub.appended,
        )
        yield CounterMetricFamily(
            "wall_events_handed_out",
            "events this process sent to event streams (live and replayed)",
            hub.handed_out,
        )

    def _database_figures(self) -> Iterator[Metric]:
        figures = self.database
        yield GaugeMetricFamily(
            "wall_queue_pending", "photos waiting for moderation", figures.pending
        )
        yield GaugeMetricFamily(
            "wall_queue_oldest_age_seconds",
            "age of the oldest photo waiting for moderation (0 when none waits)",
            figures.oldest_pending_age,
        )
        decisions = CounterMetricFamily(
            "wall_decisions", "moderation decisions recorded, by action", labels=["action"]
        )
        for action, count in sorted(figures.decisions.items()):
            decisions.add_metric([action], count)
        yield decisions
        if figures.recheck_ages:
            ages = GaugeMetricFamily(
                "wall_source_recheck_worst_age_seconds",
                "longest an approved post has gone unchecked at its source",
                labels=["source"],
            )
            for source, age in sorted(figures.recheck_ages.items()):
                ages.add_metric([source], round(age, 1))
            yield ages
        if figures.source_health:
            states = GaugeMetricFamily(
                "wall_source_health",
                "1 for the source's current health state (stalled and restricted are the "
                "silent failures), 0 for the others",
                labels=["source", "state"],
            )
            for source, current in sorted(figures.source_health.items()):
                for state in HEALTH_STATES:
                    states.add_metric([source, state], int(state == current))
            yield states

    def _source_figures(self) -> Iterator[Metric]:
        rounds = CounterMetricFamily(
            "wall_source_polls", "polling rounds this process ran, by source", labels=["source"]
        )
        failed = CounterMetricFamily(
            "wall_source_errors",
            "polling rounds of this process that failed, by source",
            labels=["source"],
        )
        poller = self.poller
        for name in sorted(self.database.source_health):
            rounds.add_metric([name], poller.rounds[name] if poller else 0)
            failed.add_metric([name], poller.failed_rounds[name] if poller else 0)
        yield rounds
        yield failed


class Metrics:
    """One app's registry: counters the web layer feeds, and the live figures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.uploads = Counter(
            "wall_uploads",
            "upload requests answered, by outcome (accepted, or the error code)",
            ["outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "wall_request_duration_seconds",
            "time to the first byte of the answer, by route template",
            ["method", "route"],
            registry=self.registry,
        )
        self._live = _LiveFigures()
        self.registry.register(self._live)

    def attach(self, hub: EventHub, poller: Poller | None, catalogue: Catalogue | None) -> None:
        """The lifespan's live objects, read at each scrape."""
        self._live.hub = hub
        self._live.poller = poller
        self._live.catalogue = catalogue

    def detach(self) -> None:
        self._live.hub = None
        self._live.poller = None

    async def scrape(self, session: AsyncSession) -> bytes:
        """The whole registry in Prometheus' text format, database figures read now."""
        catalogue = self._live.catalogue
        entries = await catalogue.entries(session) if catalogue is not None else []
        self._live.database = await read_database_figures(
            session,
            [entry.name for entry in entries],
            paused={entry.name for entry in entries if entry.paused},
        )
        return generate_latest(self.registry)
