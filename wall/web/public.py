"""Public pages: the upload form, an upload's manage link (the wall: ``wall_screen``)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from wall import storage, uploads, wording
from wall.config import Settings
from wall.consent import consent_text
from wall.errors import BadRequest, Conflict, NotFound, WallError
from wall.models import Photo, utcnow
from wall.moderation import service
from wall.moderation.states import Action, Status
from wall.upload_service import Accepted, UploadService
from wall.web.responses import render, wants_json
from wall.web.session import client_ip

# Fields given back to the form after a refusal (never the honeypot nor the file).
FORM_FIELDS = (
    "display_name",
    "show_name",
    "caption",
    "region",
    "school",
    "age_confirmation",
    "consent",
    "upload_key",
)


def _upload_context(request: Request, lang: str, **extra: Any) -> dict[str, Any]:
    settings: Settings = request.state.settings
    context: dict[str, Any] = {
        "lang": lang,
        "t": wording.PAGE[lang],
        "consent": consent_text(settings, lang),
        "regions": settings.regions,
        "values": {"upload_key": secrets.token_urlsafe(18)},
        "error": None,
        "closed": None,
        "honeypot": uploads.HONEYPOT_FIELD,
        "action": _with_lang(str(request.url_for("upload")), lang),
        "other_lang_url": _with_lang(
            str(request.url_for("upload_page")), "fr" if lang == "en" else "en"
        ),
    }
    context.update(extra)
    return context


def _with_lang(url: str, lang: str) -> str:
    return f"{url}?lang=en" if lang == "en" else url


async def upload_page(request: Request) -> Response:
    settings: Settings = request.state.settings
    lang = wording.page_lang(request)
    closed = None
    try:
        uploads.check_window(settings, utcnow())
    except WallError as exc:
        closed = wording.message_in(lang, exc, settings, uploads.upload_limits(settings))
    return render(request, "upload.html", _upload_context(request, lang, closed=closed))


async def upload(request: Request) -> Response:
    settings: Settings = request.state.settings
    intake: UploadService = request.state.upload_service
    lang = wording.page_lang(request)
    values: dict[str, str] = {}
    try:
        client = intake.client(client_ip(request))
        with storage.full_disk_refused():  # the spool copy and the derivatives
            async with intake.admit(client):
                form = await _read_form(request, settings)
                try:
                    values.update({k: v for k in FORM_FIELDS if isinstance(v := form.get(k), str)})
                    accepted = await intake.accept(form, client)
                finally:
                    await form.close()
    except WallError as exc:
        english = wording.english(exc, settings, uploads.upload_limits(settings))
        if wants_json(request):
            return JSONResponse(
                {**exc.to_json(), "message_en": english},
                status_code=exc.status,
                headers=exc.headers,
            )
        message = english if lang == "en" else exc.message
        context = _upload_context(request, lang, error=message)
        context["values"].update(values)
        response = render(request, "upload.html", context, status=exc.status)
        response.headers.update(exc.headers)
        return response
    return _uploaded(request, accepted, lang)


async def _read_form(request: Request, settings: Settings) -> FormData:
    limited = uploads.limit_body(request, settings.max_upload_bytes)
    try:
        form = await limited.form(max_files=1, max_fields=20, max_part_size=16 * 1024)
    except (MultiPartException, HTTPException) as exc:
        # Starlette turns a multipart error into HTTPException(400) inside an app.
        raise BadRequest("Le formulaire envoyé est mal formé.", code="malformed_form") from exc
    return form


def _uploaded(request: Request, accepted: Accepted, lang: str) -> Response:
    """201 for a new photo; 200 with the same answer when a retry finds it stored."""
    photo, ident, replayed = accepted.photo, accepted.ident, accepted.replayed
    manage_url = _with_lang(str(request.url_for("manage", token=ident.manage_token)), lang)
    status = 200 if replayed else 201
    if wants_json(request):
        return JSONResponse(
            {"id": photo.id, "status": photo.status, "manage_url": manage_url},
            status_code=status,
        )
    context = {"t": wording.PAGE[lang], "lang": lang, "manage_url": manage_url}
    context["another_url"] = _with_lang(str(request.url_for("upload_page")), lang)
    return render(request, "uploaded.html", context, status=status)


async def _photo_by_manage_token(request: Request) -> Photo:
    token = request.path_params["token"]
    async with request.state.db.reading() as session:
        photo: Photo | None = await session.scalar(
            select(Photo).where(Photo.manage_token_hash == uploads.hash_manage_token(token))
        )
    if not isinstance(photo, Photo):
        raise NotFound("Ce lien n'est pas valide.", code="unknown_manage_link")
    return photo


async def manage(request: Request) -> Response:
    photo = await _photo_by_manage_token(request)
    if request.method == "POST":
        # Deletes the photo for good: files and personal fields (wall.moderation.erasure).
        if photo.status != Status.ERASED:
            try:
                async with request.state.db.writing() as session:
                    await service.decide(session, photo.id, Action.WITHDRAW, rule="uploader")
            except Conflict as exc:
                if exc.code != "withdrawn":  # a second click that raced the first is fine
                    raise
        return RedirectResponse(request.url, status_code=303)
    lang = wording.page_lang(request)
    return render(request, "manage.html", {"photo": photo, "t": wording.PAGE[lang], "lang": lang})


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
    Route("/upload", upload_page, methods=["GET"], name="upload_page"),
    Route("/upload", upload, methods=["POST"], name="upload"),
    Route("/manage/{token}", manage, methods=["GET", "POST"], name="manage"),
    Route("/healthz", healthz, name="healthz"),
]
