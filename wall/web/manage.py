"""The uploader's private pages behind the manage link (``/manage/{token}``).

Whoever holds the link sees the photo's status and thumbnail, gets the share
card and the link's QR code, and can delete the photo after a confirmation
step (a second page, so that it works without JavaScript). Everything here is
private to the link: ``no-store``, never indexed, and an unknown token is
``404`` whatever follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
from PIL import Image
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from wall import share_card, uploads, wording
from wall.errors import Conflict, InvalidField, NotFound
from wall.media import MediaStore
from wall.models import Photo
from wall.moderation import service
from wall.moderation.states import Action, Status
from wall.state import app_state
from wall.web.invite import qr_svg
from wall.web.responses import render, wants_json

PRIVATE_HEADERS = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex, nofollow"}
# Statuses whose photo may be shared: a refused or removed photo is not offered.
SHAREABLE = (Status.PENDING, Status.APPROVED)


@dataclass(frozen=True)
class ManageLinks:
    """The absolute addresses that belong to one manage token, in one language."""

    page: str
    withdraw: str
    thumb: str
    card: str
    qr: str


def links(request: Request, token: str, lang: str) -> ManageLinks:
    def url(name: str) -> str:
        return with_lang(str(request.url_for(name, token=token)), lang)

    return ManageLinks(
        page=url("manage"),
        withdraw=url("manage_withdraw"),
        thumb=str(request.url_for("manage_thumb", token=token)),
        card=str(request.url_for("manage_card", token=token)),
        qr=url("manage_qr"),
    )


def with_lang(url: str, lang: str) -> str:
    return f"{url}?lang=en" if lang == "en" else url


def card_filename(hashtag: str) -> str:
    return f"{hashtag}.jpg"


def link_context(request: Request, token: str, lang: str) -> dict[str, Any]:
    """What the templates' ``_manage_link`` and ``_share_card`` partials need."""
    hashtag = app_state(request)["settings"].hashtags[0]
    return {
        "links": links(request, token, lang),
        "hashtag": hashtag,
        "card_filename": card_filename(hashtag),
    }


async def photo_for(request: Request) -> Photo:
    token = request.path_params["token"]
    async with app_state(request)["db"].reading() as session:
        photo: Photo | None = await session.scalar(
            select(Photo).where(Photo.manage_token_hash == uploads.hash_manage_token(token))
        )
    if not isinstance(photo, Photo):
        raise NotFound("Ce lien n'est pas valide.", code="unknown_manage_link")
    return photo


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    return response


def _page(request: Request, template: str, photo: Photo) -> Response:
    lang = wording.page_lang(request)
    token = request.path_params["token"]
    context = {
        "photo": photo,
        "t": wording.PAGE[lang],
        "lang": lang,
        "has_thumb": bool(photo.media.get("thumb")),
        "shareable": photo.status in SHAREABLE and bool(photo.media.get("display")),
        **link_context(request, token, lang),
    }
    return _private(render(request, template, context))


async def manage(request: Request) -> Response:
    photo = await photo_for(request)
    if request.method == "POST":
        return await _withdraw(request, photo)
    return _page(request, "manage.html", photo)


async def withdraw_page(request: Request) -> Response:
    """The confirmation step: what deleting means, and the button that does it."""
    photo = await photo_for(request)
    if photo.status == Status.ERASED:
        lang = wording.page_lang(request)
        return RedirectResponse(links(request, request.path_params["token"], lang).page, 303)
    return _page(request, "manage_withdraw.html", photo)


async def _withdraw(request: Request, photo: Photo) -> Response:
    """Deletes the photo for good (files and personal fields), once confirmed."""
    form = await request.form(max_files=0, max_fields=4, max_part_size=1024)
    confirmed = form.get("confirm") == "yes"
    await form.close()
    if not confirmed and photo.status != Status.ERASED:
        if wants_json(request):
            raise InvalidField(
                "Confirme le retrait : envoie confirm=yes.", code="confirmation_required"
            )
        lang = wording.page_lang(request)
        return RedirectResponse(links(request, request.path_params["token"], lang).withdraw, 303)
    if photo.status != Status.ERASED:
        try:
            async with app_state(request)["db"].writing() as session:
                await service.decide(session, photo.id, Action.WITHDRAW, rule="uploader")
        except Conflict as exc:
            if exc.code != "withdrawn":  # a second click that raced the first is fine
                raise
    return RedirectResponse(request.url, status_code=303)


def _stored_path(request: Request, photo: Photo, kind: str) -> Path:
    entry = photo.media.get(kind)
    store: MediaStore = app_state(request)["media"]
    path = store.path(entry["name"]) if entry else None
    if path is None:
        raise NotFound("Cette photo n'est plus disponible.", code="photo_gone")
    return path


async def thumb(request: Request) -> Response:
    """The photo's thumbnail as the wall would show it (faces blurred if they were)."""
    photo = await photo_for(request)
    path = _stored_path(request, photo, "thumb")
    return _private(FileResponse(path, media_type=MediaStore.content_type(path.name)))


async def card(request: Request) -> Response:
    """The share card, made now from the display derivative, for the link's holder only."""
    photo = await photo_for(request)
    if photo.status not in SHAREABLE:
        raise NotFound("Cette photo ne peut plus être partagée.", code="not_shareable")
    path = _stored_path(request, photo, "display")
    hashtag: str = app_state(request)["settings"].hashtags[0]

    def make() -> bytes:
        with Image.open(path) as image:
            return share_card.make_card(image, hashtag)

    limiter: anyio.CapacityLimiter = app_state(request)["decode_limiter"]
    data = await anyio.to_thread.run_sync(make, limiter=limiter)
    filename = card_filename(hashtag)
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response = Response(data, media_type="image/jpeg")
    response.headers["Content-Disposition"] = disposition
    return _private(response)


async def qr(request: Request) -> Response:
    """The manage link as a QR code, to keep it on another device."""
    await photo_for(request)
    lang = wording.page_lang(request)
    address = links(request, request.path_params["token"], lang).page
    title = wording.PAGE[lang]["qr_alt"]
    return _private(Response(qr_svg(address, title), media_type="image/svg+xml"))


routes = [
    Route("/manage/{token}", manage, methods=["GET", "POST"], name="manage"),
    Route("/manage/{token}/withdraw", withdraw_page, methods=["GET"], name="manage_withdraw"),
    Route("/manage/{token}/photo.jpg", thumb, methods=["GET"], name="manage_thumb"),
    Route("/manage/{token}/share.jpg", card, methods=["GET"], name="manage_card"),
    Route("/manage/{token}/qr.svg", qr, methods=["GET"], name="manage_qr"),
]
