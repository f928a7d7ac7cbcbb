"""``GET /metrics``: the live path's figures in Prometheus' text format.

Open streams, the newest event handed out, the hub's own reads of the event
table (a reconnect storm must not make it grow with the screens), and
whether the PostgreSQL ``LISTEN`` link is up (down means the other processes
fall back to the short poll).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from wall.events import EventHub


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


async def metrics(request: Request) -> Response:
    return PlainTextResponse(
        render(request.state.hub),
        media_type="text/plain; version=0.0.4",
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/metrics", metrics, name="metrics")]
