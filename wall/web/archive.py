"""``GET /api/moderation/export.zip``: the campaign's archive, for admins (``wall.archive``)."""

from __future__ import annotations

import os
import tempfile

import anyio.to_thread
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from wall import archive
from wall.moderation import audit
from wall.state import app_state
from wall.web.session import audit_client, require_moderator


async def export_zip(request: Request) -> Response:
    who = await require_moderator(request, role="admin")
    state = app_state(request)
    async with state["db"].writing() as session:
        photos = await archive.approved_photos(session)
        await audit.record(
            session,
            "archive.exported",
            actor=who.moderator,
            client=audit_client(request),
            details={"photos": len(photos)},
        )
    spool = state["settings"].data_path / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=spool, prefix="archive-", suffix=".zip")
    os.close(handle)
    try:
        await anyio.to_thread.run_sync(archive.write_zip, photos, state["media"], name)
    except BaseException:
        os.unlink(name)
        raise
    return FileResponse(
        name,
        media_type="application/zip",
        filename="archive-vague-verte.zip",
        headers={"Cache-Control": "private, no-store"},
        background=BackgroundTask(os.unlink, name),
    )


routes = [Route("/api/moderation/export.zip", export_zip, name="moderation_export")]
