"""``GET /metrics``: the live path's figures in Prometheus' text format.

Open streams, the newest event handed out, the hub's own reads of the event
table (a reconnect storm must not make it grow with the screens), and
whether the PostgreSQL ``LISTEN`` link is up (down means the other processes
fall back to the short poll). Per configured source, the worst re-check age:
the longest an approved post has gone without a check that it still exists
at its source, and its health as one ``wall_source_health{source,state}``
line per state (1 for the current one; ``stalled`` and ``restricted`` are
the silent failures). With ``WALL_METRICS_TOKEN`` set, a scrape needs
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from wall.errors import Unauthorized
from wall.events import EventHub
from wall.models import SourceState, utcnow
from wall.sources.base import SourceConfig
from wall.sources.deletions import worst_ages
from wall.web.sources import HEALTH_STATES, health


class MetricsUnauthorized(Unauthorized):
    code = "metrics_token_required"
    message = "Jeton requis pour /metrics (Authorization: Bearer)."
    message_en = "A token is required for /metrics (Authorization: Bearer)."


def label(value: str) -> str:
    """A Prometheus label value, quoted and escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render(
    hub: EventHub,
    recheck_ages: Mapping[str, float] | None = None,
    source_health: Mapping[str, str] | None = None,
) -> str:
    """The figures; ``recheck_ages``: worst re-check age in seconds by source name;
    ``source_health``: each source's ``wall.web.sources.health``."""
    figures: list[tuple[str, str, str, object]] = [
        ("wall_event_streams", "gauge", "open event streams", hub.connections),
        ("wall_event_last_id", "gauge", "id of the newest event handed out", hub.last_id),
        (
            "wall_event_hub_reads_total",
            "counter",
            "reads of the event table to hand out new events",
            hub.reads,
        ),
        (
            "wall_event_replay_reads_total",
            "counter",
            "reads of the event table for clients older than the in-memory window",
            hub.replay_reads,
        ),
        (
            "wall_event_listen_up",
            "gauge",
            "1 while the PostgreSQL LISTEN connection is up",
            int(hub.listening),
        ),
    ]
    lines: list[str] = []
    for name, kind, help_text, value in figures:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value}"]
    if recheck_ages:
        name = "wall_source_recheck_worst_age_seconds"
        lines += [
            f"# HELP {name} longest an approved post has gone unchecked at its source",
            f"# TYPE {name} gauge",
            *(
                f"{name}{{source={label(source)}}} {age:.1f}"
                for source, age in sorted(recheck_ages.items())
            ),
        ]
    if source_health:
        name = "wall_source_health"
        lines += [
            f"# HELP {name} 1 for the source's current health state, 0 for the others",
            f"# TYPE {name} gauge",
            *(
                f"{name}{{source={label(source)},state={label(state)}}} {int(state == current)}"
                for source, current in sorted(source_health.items())
                for state in HEALTH_STATES
            ),
        ]
    return "\n".join(lines) + "\n"


def _authorized(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def metrics(request: Request) -> Response:
    if not _authorized(request, request.state.settings.metrics_token):
        raise MetricsUnauthorized()
    configs: list[SourceConfig] = request.state.sources
    names = [c.name for c in configs]
    async with request.state.db.reading() as session:
        ages = await worst_ages(session, names, utcnow())
        rows = await session.scalars(select(SourceState).where(SourceState.name.in_(names)))
        states = {state.name: state for state in rows.all()}
    source_health = {name: health(states.get(name)) for name in names}
    return PlainTextResponse(
        render(request.state.hub, ages, source_health),
        media_type="text/plain; version=0.0.4",
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/metrics", metrics, name="metrics")]
