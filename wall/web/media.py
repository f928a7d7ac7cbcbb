"""``GET /media/{name}``: stored files, the public ones from one ``stat`` and no query.

A file is in the public directory only while an approved photo shows it
(``wall.media.publication``), so its presence there is the answer to "may
the public see it?". Those answers may be kept by proxies, CDNs and browsers
for ``WALL_MEDIA_CACHE_SECONDS`` (at most 30), which bounds how long a
removed photo can stay in a cache: one shared cache then a browser, 60 s.
Anything else is looked up in the database and shown to signed-in moderators
only, never cached.

The ``ETag`` is the file's content hash (its name), so conditional requests
get ``304`` here and from every cache in front.
"""

from __future__ import annotations

import datetime as dt
import os
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from wall.config import Settings
from wall.errors import NotFound
from wall.media import MediaStore
from wall.moderation.states import Status
from wall.photos import owner_of_media
from wall.state import app_state
from wall.web.session import signed_in

PRIVATE = "private, no-store"


def public_cache_control(settings: Settings) -> str:
    seconds = settings.media_cache_seconds
    return f"public, max-age={seconds}, s-maxage={seconds}"


async def media(request: Request) -> Response:
    name: str = request.path_params["name"]
    store: MediaStore = app_state(request)["media"]
    public = store.public_path(name)
    if public is None:
        raise NotFound()
    try:
        # On the event loop: a local stat takes microseconds, less than the hop
        # to a worker thread (FileResponse then skips its own stat).
        stat_result = os.stat(public)
    except FileNotFoundError:
        return await _not_published(request, store, name)
    cache_control = public_cache_control(app_state(request)["settings"])
    return _file(request, public, name, stat_result, cache_control, conditional=True)


async def _not_published(request: Request, store: MediaStore, name: str) -> Response:
    path = store.path(name)
    if path is None:
        raise NotFound()
    async with app_state(request)["db"].reading() as session:
        owner = await owner_of_media(session, name)
    if owner is None:
        raise NotFound()
    photo, media_file = owner
    if photo.status == Status.APPROVED and media_file.public:
        # Approved a moment ago by another process: its link is on its way.
        cache_control = public_cache_control(app_state(request)["settings"])
        return _file(request, path, name, os.stat(path), cache_control, conditional=True)
    if await signed_in(request) is None:
        raise NotFound()
    # Never 304 here: a cache revalidating its expired public copy of a removed
    # photo with a moderator's request would take a 304 as "still valid".
    return _file(request, path, name, os.stat(path), PRIVATE, conditional=False)


def _file(
    request: Request,
    path: Path,
    name: str,
    stat_result: os.stat_result,
    cache_control: str,
    *,
    conditional: bool,
) -> Response:
    headers = {
        "Cache-Control": cache_control,
        "ETag": f'"{name.partition(".")[0]}"',
        "Last-Modified": formatdate(stat_result.st_mtime, usegmt=True),
    }
    if conditional and not_modified(request, headers["ETag"], stat_result.st_mtime):
        return Response(status_code=304, headers=headers)
    return FileResponse(
        path,
        stat_result=stat_result,
        media_type=MediaStore.content_type(name),
        headers=headers,
    )


def not_modified(request: Request, etag: str, mtime: float) -> bool:
    """RFC 9110 §13.2.2: ``If-None-Match`` decides when present, else ``If-Modified-Since``."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)  # "-0000": UTC all the same
    return since.timestamp() >= int(mtime)


routes = [Route("/media/{name}", media, name="media")]
