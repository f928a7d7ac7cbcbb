"""The class upload page: a teacher sends up to 30 photos through a school invite link.

The route parses and renders; ``UploadService.accept_class`` does the work.
The invite is looked up before the body is read, so a revoked or expired
link is answered ``403`` without spooling a class's worth of photos.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wall import school_invites, storage, uploads, wording
from wall.config import Settings
from wall.errors import InvalidField, WallError
from wall.french import day_number
from wall.models import SchoolInvite, utcnow
from wall.state import app_state
from wall.upload_service import ClassBatch, UploadService
from wall.web.responses import render, wants_json

FORM_FIELDS = ("caption", "school_consent", "upload_key")


def _with_lang(url: str, lang: str) -> str:
    return f"{url}?lang=en" if lang == "en" else url


def _words(settings: Settings, lang: str) -> dict[str, str]:
    until = day_number(settings.photos_kept_until, lang)
    return {
        key: text.format(max=uploads.MAX_CLASS_PHOTOS, until=until, n="{n}")
        for key, text in wording.CLASS_PAGE[lang].items()
    }


def _context(
    request: Request, lang: str, invite: SchoolInvite | None, **extra: Any
) -> dict[str, Any]:
    token = request.path_params["token"]
    here = str(request.url_for("class_upload_page", token=token))
    context: dict[str, Any] = {
        "lang": lang,
        "t": _words(app_state(request)["settings"], lang),
        "invite": invite,
        "max_photos": uploads.MAX_CLASS_PHOTOS,
        "values": {"upload_key": secrets.token_urlsafe(18)},
        "error": None,
        "refused_link": None,
        "batch": None,
        "honeypot": uploads.HONEYPOT_FIELD,
        "action": _with_lang(here, lang),
        "other_lang_url": _with_lang(here, "fr" if lang == "en" else "en"),
    }
    context.update(extra)
    return context


def _message(request: Request, lang: str, exc: WallError) -> str:
    settings: Settings = app_state(request)["settings"]
    return wording.message_in(lang, exc, settings, uploads.upload_limits(settings))


def _error_json(request: Request, exc: WallError, **extra: Any) -> Response:
    settings: Settings = app_state(request)["settings"]
    english = wording.english(exc, settings, uploads.upload_limits(settings))
    return JSONResponse(
        {**exc.to_json(), "message_en": english, **extra},
        status_code=exc.status,
        headers=exc.headers,
    )


async def class_upload_page(request: Request) -> Response:
    intake: UploadService = app_state(request)["upload_service"]
    lang = wording.page_lang(request)
    try:
        invite = await intake.invite(request.path_params["token"])
    except WallError as exc:
        if wants_json(request):
            return _error_json(request, exc)
        context = _context(request, lang, None, refused_link=_message(request, lang, exc))
        return render(request, "class_upload.html", context, status=exc.status)
    try:
        uploads.check_window(app_state(request)["settings"], utcnow())
    except WallError as exc:  # the link is good, but uploads are not open now
        closed = _message(request, lang, exc)
        return render(
            request, "class_upload.html", _context(request, lang, None, refused_link=closed)
        )
    return render(request, "class_upload.html", _context(request, lang, invite))


async def class_upload(request: Request) -> Response:
    settings: Settings = app_state(request)["settings"]
    intake: UploadService = app_state(request)["upload_service"]
    lang = wording.page_lang(request)
    values: dict[str, str] = {}
    invite: SchoolInvite | None = None
    try:
        invite = await intake.invite(request.path_params["token"])
        with storage.full_disk_refused():
            async with (
                intake.admit(school_invites.invite_client(invite.id)),
                # One more file than allowed, so that 31 photos get a clear 422, not a 400.
                uploads.read_form(
                    request, settings.max_class_upload_bytes, max_files=uploads.MAX_CLASS_PHOTOS + 1
                ) as form,
            ):
                values.update({k: v for k in FORM_FIELDS if isinstance(v := form.get(k), str)})
                batch = await intake.accept_class(form, invite)
        if not batch.stored:
            raise _Refused(batch)
    except WallError as exc:
        refused = _refused_json(request, lang, exc.batch) if isinstance(exc, _Refused) else None
        if wants_json(request):
            return _error_json(request, exc, **({"refused": refused} if refused else {}))
        if invite is None or exc.code in ("invite_revoked", "invite_expired"):
            context = _context(request, lang, None, refused_link=_message(request, lang, exc))
        else:
            context = _context(request, lang, invite, error=_message(request, lang, exc))
            context["values"].update(values)
            context["refused"] = refused or []
        response = render(request, "class_upload.html", context, status=exc.status)
        response.headers.update(exc.headers)
        return response
    return _answer(request, lang, batch)


class _Refused(InvalidField):
    """Every file of the batch was refused: ``422``, with the reason for each file."""

    def __init__(self, batch: ClassBatch) -> None:
        super().__init__(
            "Aucune photo n'a été acceptée\u00a0: voyez la raison pour chaque fichier.",
            code="photos_refused",
        )
        self.batch = batch


def _refused_json(request: Request, lang: str, batch: ClassBatch) -> list[dict[str, str]]:
    settings: Settings = app_state(request)["settings"]
    limits = uploads.upload_limits(settings)
    return [
        {
            "file": item.filename,
            "error": item.error.code,
            "message": item.error.message,
            "message_en": wording.english(item.error, settings, limits),
            "shown": wording.message_in(lang, item.error, settings, limits),
        }
        for item in batch.photos
        if item.error is not None
    ]


def _answer(request: Request, lang: str, batch: ClassBatch) -> Response:
    """201 when a photo was stored, 200 when a resent form found them all stored."""
    photos = []
    for item in batch.photos:
        if item.accepted is None:
            continue
        token = item.accepted.ident.manage_token
        photos.append(
            {
                "file": item.filename,
                "id": item.accepted.photo.id,
                "status": item.accepted.photo.status,
                "replayed": item.accepted.replayed,
                "manage_url": _with_lang(str(request.url_for("manage", token=token)), lang),
            }
        )
    refused = _refused_json(request, lang, batch)
    status = 200 if all(p["replayed"] for p in photos) else 201
    if wants_json(request):
        invite = batch.invite
        body = {"school": invite.school, "region": invite.region, "photos": photos}
        return JSONResponse({**body, "refused": refused}, status_code=status)
    context = _context(request, lang, batch.invite, batch=photos, refused=refused)
    return render(request, "class_upload.html", context, status=status)


routes = [
    Route("/classe/{token}", class_upload_page, methods=["GET"], name="class_upload_page"),
    Route("/classe/{token}", class_upload, methods=["POST"], name="class_upload"),
]
