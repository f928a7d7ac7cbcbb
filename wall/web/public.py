"""Public pages: the upload form (the wall: ``wall_screen``; manage links: ``manage``)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wall import notice, storage, uploads, wording
from wall.config import Settings
from wall.consent import consent_text
from wall.errors import WallError
from wall.models import utcnow
from wall.state import app_state
from wall.upload_service import Accepted, UploadService
from wall.web import manage
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
    "everyone_agrees",
    "share_school_wall",
    "share_embed",
    "share_archive",
    "upload_key",
)


def _upload_context(request: Request, lang: str, **extra: Any) -> dict[str, Any]:
    settings: Settings = app_state(request)["settings"]
    context: dict[str, Any] = {
        "lang": lang,
        "t": wording.PAGE[lang],
        "consent": consent_text(settings, lang),
        "notice": notice.notice_lines(settings, lang),
        "regions": settings.regions,
        "values": {"upload_key": secrets.token_urlsafe(18)},
        "error": None,
        "closed": None,
        "honeypot": uploads.HONEYPOT_FIELD,
        # For the page's own checks; the server checks again (uploads.limit_body).
        "max_bytes": settings.max_upload_bytes,
        "max_mb": settings.max_upload_mb,
        # The success screen's share card, filled in by upload.js.
        "hashtag": settings.hashtags[0],
        "card_filename": manage.card_filename(settings.hashtags[0]),
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
    settings: Settings = app_state(request)["settings"]
    lang = wording.page_lang(request)
    closed = None
    try:
        uploads.check_window(settings, utcnow())
    except WallError as exc:
        closed = wording.message_in(lang, exc, settings, uploads.upload_limits(settings))
    return render(request, "upload.html", _upload_context(request, lang, closed=closed))


async def upload(request: Request) -> Response:
    settings: Settings = app_state(request)["settings"]
    intake: UploadService = app_state(request)["upload_service"]
    lang = wording.page_lang(request)
    values: dict[str, str] = {}
    try:
        client = intake.client(client_ip(request))
        with storage.full_disk_refused():  # the spool copy and the derivatives
            async with (
                intake.admit(client),
                uploads.read_form(request, settings.max_upload_bytes, max_files=1) as form,
            ):
                values.update({k: v for k in FORM_FIELDS if isinstance(v := form.get(k), str)})
                accepted = await intake.accept(form, client)
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


def _uploaded(request: Request, accepted: Accepted, lang: str) -> Response:
    """201 for a new photo; 200 with the same answer when a retry finds it stored."""
    photo, ident, replayed = accepted.photo, accepted.ident, accepted.replayed
    links = manage.links(request, ident.manage_token, lang)
    status = 200 if replayed else 201
    if wants_json(request):
        return JSONResponse(
            {
                "id": photo.id,
                "status": photo.status,
                "manage_url": links.page,
                "manage_qr_url": links.qr,
                "share_card_url": links.card,
            },
            status_code=status,
        )
    context = {
        **manage.link_context(request, ident.manage_token, lang),
        "t": wording.PAGE[lang],
        "lang": lang,
        "another_url": _with_lang(str(request.url_for("upload_page")), lang),
    }
    response = render(request, "uploaded.html", context, status=status)
    response.headers.update(manage.PRIVATE_HEADERS)
    return response


async def healthz(request: Request) -> Response:
    if await app_state(request)["db"].ping():
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
    Route("/healthz", healthz, name="healthz"),
]
