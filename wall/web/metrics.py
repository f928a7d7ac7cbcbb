"""``GET /metrics``: the live path's figures in Prometheus' text format.

Open streams, the newest event handed out, the hub's own reads of the event
table (a reconnect storm must not make it grow with the screens), and
whether the PostgreSQL ``LISTEN`` link is up (down means the other processes
fall back to the short poll). With ``WALL_METRICS_TOKEN`` set, a scrape needs
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from wall.errors import Unauthorized
from wall.events import EventHub


class MetricsUnauthorized(Unauthorized):
    code = "metrics_token_required"
    message = "Jeton requis pour /metrics (Authorization: Bearer)."
    message_en = "A token is required for /metrics (Authorization: Bearer)."


def render(hub: EventHub) -> str:
    figures = [
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
    return "\n".join(lines) + "\n"


def _authorized(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def metrics(request: Request) -> Response:
    if not _authorized(request, request.state.settings.metrics_token):
        raise MetricsUnauthorized()
    return PlainTextResponse(
        render(request.state.hub),
        media_type="text/plain; version=0.0.4",
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/metrics", metrics, name="metrics")]
