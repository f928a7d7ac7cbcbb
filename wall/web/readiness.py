"""``GET /readyz``: whether this process should receive traffic.

``/healthz`` says the process and its database answer (liveness: restart
it if not). ``/readyz`` also says the schema is at the migrations' head, so a
load balancer keeps a new release out of rotation until ``wall migrate`` has
run, and an old release out once a newer migration has (a schema it does
not know). The heads are read from the scripts once per process.
"""

from __future__ import annotations

import functools
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wall import migrations
from wall.errors import WallError
from wall.state import app_state

log = logging.getLogger(__name__)


class DatabaseUnavailable(WallError):
    code = "database_unavailable"
    status = 503
    message = "La base de données ne répond pas."
    message_en = "The database does not answer."


class MigrationsPending(WallError):
    code = "migrations_not_at_head"
    status = 503
    message = "Le schéma de la base de données n'est pas à jour (wall migrate)."
    message_en = "The database schema is not at the migrations' head (wall migrate)."


@functools.cache
def _heads() -> frozenset[str]:
    return migrations.head_revisions()


def _unready(error: WallError, current: frozenset[str] | None) -> Response:
    body: dict[str, object] = {"status": "unavailable", **error.to_json()}
    if current is not None:
        body["revision"] = sorted(current)
        body["head"] = sorted(_heads())
    return JSONResponse(body, status_code=error.status, headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    db = app_state(request)["db"]
    if not await db.ping():
        return _unready(DatabaseUnavailable(), None)
    try:
        async with db.engine.connect() as connection:
            current = await migrations.current_revisions(connection)
    except Exception as exc:  # no alembic_version table: never migrated
        log.warning("readyz: cannot read the schema's revision: %s", exc)
        current = frozenset()
    if current != _heads():
        return _unready(MigrationsPending(), current)
    return JSONResponse(
        {"status": "ready", "revision": sorted(current)}, headers={"Cache-Control": "no-store"}
    )


routes = [Route("/readyz", readyz, name="readyz")]
