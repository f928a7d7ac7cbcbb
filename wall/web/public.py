"""Public pages: the wall, the upload form, an upload's manage link, media files."""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy import select
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from wall import uploads
from wall.config import Settings
from wall.errors import BadRequest, NotFound, WallError
from wall.media import MediaLimits, MediaStore, process_image_async
from wall.models import Photo, utcnow
from wall.moderation import service
from wall.moderation.states import Action, Status
from wall.photos import owner_of_media
from wall.web.responses import render, wants_json
from wall.web.session import client_ip, signed_in

IMMUTABLE = "public, max-age=31536000, immutable"
FORM_FIELDS = ("display_name", "show_name", "caption", "region", "school", "age_confirmation")


async def wall_page(request: Request) -> Response:
    return render(request, "wall.html", {"hashtags": request.state.settings.hashtags})


def _upload_context(settings: Settings, **extra: Any) -> dict[str, Any]:
    return {"regions": settings.regions, "values": {}, "error": None, **extra}


async def upload_page(request: Request) -> Response:
    settings: Settings = request.state.settings
    closed = None
    try:
        uploads.check_window(settings, utcnow())
    except WallError as exc:
        closed = exc.message
    return render(request, "upload.html", _upload_context(settings, closed=closed))


async def upload(request: Request) -> Response:
    settings: Settings = request.state.settings
    values: dict[str, str] = {}
    try:
        return await _accept_upload(request, settings, values)
    except WallError as exc:
        if wants_json(request):
            raise
        context = _upload_context(settings, values=values, error=exc.message, closed=None)
        response = render(request, "upload.html", context, status=exc.status)
        response.headers.update(exc.headers)
        return response


async def _accept_upload(request: Request, settings: Settings, values: dict[str, str]) -> Response:
    uploads.check_window(settings, utcnow())
    client = uploads.client_hash(request.state.secret_key, client_ip(request))
    async with request.state.db.reading() as session:
        await uploads.check_rate(session, settings, client)
    limited = uploads.limit_body(request, settings.max_upload_bytes)
    try:
        form = await limited.form(max_files=1, max_fields=20, max_part_size=16 * 1024)
    except MultiPartException as exc:
        raise BadRequest("Le formulaire envoyé est mal formé.", code="malformed_form") from exc
    try:
        values.update({k: v for k in FORM_FIELDS if isinstance(v := form.get(k), str)})
        fields = uploads.validate_fields(form, settings)
        upload_file = uploads.the_photo(form)
        tmp = await anyio.to_thread.run_sync(
            uploads.spool_to_disk, upload_file.file, settings.data_path / "tmp"
        )
    finally:
        await form.close()
    store: MediaStore = request.state.media
    try:
        processed = await process_image_async(
            tmp,
            store,
            MediaLimits(max_bytes=settings.max_upload_bytes),
            limiter=request.state.decode_limiter,
        )
    finally:
        await anyio.to_thread.run_sync(tmp.unlink)
    photo, files, manage_token = uploads.build_photo(fields, processed, client)
    try:
        async with request.state.db.writing() as session:
            await service.submit(session, photo, files)
    except BaseException:
        async with request.state.db.reading() as session:
            keep = await uploads.names_in_use(session, processed.names)
        store.delete(name for name in processed.names if name not in keep)
        raise
    manage_url = str(request.url_for("manage", token=manage_token))
    if wants_json(request):
        return JSONResponse(
            {"id": photo.id, "status": photo.status, "manage_url": manage_url}, status_code=201
        )
    return render(request, "uploaded.html", {"manage_url": manage_url}, status=201)


async def _photo_by_manage_token(request: Request) -> Photo:
    token = request.path_params["token"]
    async with request.state.db.reading() as session:
        photo = await session.scalar(
            select(Photo).where(Photo.manage_token_hash == uploads.hash_manage_token(token))
        )
    if not isinstance(photo, Photo):
        raise NotFound("Ce lien n'est pas valide.", code="unknown_manage_link")
    return photo


async def manage(request: Request) -> Response:
    photo = await _photo_by_manage_token(request)
    if request.method == "POST":
        if photo.status != Status.REMOVED:
            async with request.state.db.writing() as session:
                await service.decide(
                    session,
                    photo.id,
                    Action.WITHDRAW,
                    rule="uploader",
                    reason="retirée par la personne qui l'a envoyée",
                )
            request.state.hub.wake()
        return RedirectResponse(request.url, status_code=303)
    return render(request, "manage.html", {"photo": photo})


async def media(request: Request) -> Response:
    name = request.path_params["name"]
    store: MediaStore = request.state.media
    path = store.path(name)
    if path is None:
        raise NotFound()
    async with request.state.db.reading() as session:
        owner = await owner_of_media(session, name)
    if owner is None:
        raise NotFound()
    photo, media_file = owner
    if photo.status == Status.APPROVED and media_file.public:
        return FileResponse(
            path, media_type=store.content_type(name), headers={"Cache-Control": IMMUTABLE}
        )
    if await signed_in(request) is None:
        raise NotFound()
    return FileResponse(
        path, media_type=store.content_type(name), headers={"Cache-Control": "private, no-store"}
    )


async def healthz(request: Request) -> Response:
    if await request.state.db.ping():
        return JSONResponse({"status": "ok"})
    return JSONResponse(
        {
            "status": "unavailable",
            "error": "database_unavailable",
            "message": "La base de données ne répond pas.",
        },
        status_code=503,
    )


routes = [
    Route("/", wall_page, name="wall"),
    Route("/upload", upload_page, methods=["GET"], name="upload_page"),
    Route("/upload", upload, methods=["POST"], name="upload"),
    Route("/manage/{token}", manage, methods=["GET", "POST"], name="manage"),
    Route("/media/{name}", media, name="media"),
    Route("/healthz", healthz, name="healthz"),
]
