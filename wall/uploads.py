"""Visitor uploads: the form's rules, the body cap, identity and spooling.

The per-client limits are in ``upload_quota``; ``upload_service`` runs the whole flow.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import shutil
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

from wall import consent, face_blurring, french
from wall.config import Settings
from wall.errors import BadRequest, Forbidden, InvalidField, PayloadTooLarge
from wall.media import MediaLimits, ProcessedImage
from wall.models import MediaFile, Photo, utcnow
from wall.photos import image_columns, media_rows, new_photo_id

AGE_CHOICES = consent.AGE_CHOICES
# A class photo's consent: the school holds the parents' image release.
SCHOOL_CONSENT = "school_consent"
MAX_CLASS_PHOTOS = 30
MAX_NAME = 60
MAX_CAPTION = 280
MAX_SCHOOL = 120
COPY_CHUNK = 1024 * 1024
SPOOL_PREFIX = "upload-"
# Hidden by CSS and from assistive technology; people leave it empty, form-filling
# robots do not.
HONEYPOT_FIELD = "website"
# A client-made random token (crypto.randomUUID(), or the one the page carries).
UPLOAD_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class UploadFields:
    display_name: str | None
    show_name: bool
    caption: str
    region: str | None
    school: str | None
    age_confirmation: str
    upload_key: str | None = None
    # Sent through a school invite (``wall.school_invites``): consent rules that
    # accept some uploads only from a school (``WALL_UNDER_14=school``) read this.
    via_invite: bool = False
    # Who consented (wall.consent) and the boxes ticked for further uses.
    consent_by: str = consent.BY_SELF
    uses: dict[consent.Use, bool] = field(
        default_factory=lambda: dict.fromkeys(consent.USES, False)
    )
    # The wording the uploader agreed to (``wall.consent.version_of``).
    consent_version: str = consent.CONSENT_VERSION


@dataclass(frozen=True)
class UploadIdentity:
    """Where a new upload will be recorded, and the secret of its manage link.

    With an ``upload_key`` both are derived from it, so a retry of the same
    upload from the same client lands on the same row and the same link.
    """

    source_id: str | None
    manage_token: str


def spool_dir(settings: Settings) -> Path:
    """Where uploaded files wait, under a random name, while they are checked."""
    return settings.data_path / "tmp"


def upload_limits(settings: Settings) -> MediaLimits:
    return MediaLimits(max_bytes=settings.max_upload_bytes)


def identity(secret_key: str, client: str, upload_key: str | None) -> UploadIdentity:
    """Random for a one-off upload; a keyed hash of client and key for a retryable one."""
    if upload_key is None:
        return UploadIdentity(source_id=None, manage_token=secrets.token_urlsafe(24))

    def derive(purpose: str) -> bytes:
        message = f"{purpose}|{client}|{upload_key}".encode()
        return hmac.digest(secret_key.encode(), message, "sha256")

    return UploadIdentity(
        source_id="key-" + derive("upload-source-id").hex()[:48],
        manage_token=base64.urlsafe_b64encode(derive("upload-manage-token")).decode().rstrip("="),
    )


async def find_upload(session: AsyncSession, source_id: str) -> Photo | None:
    """The photo an earlier attempt of the same keyed upload stored, if any."""
    photo: Photo | None = await session.scalar(
        select(Photo).where(Photo.source == "upload", Photo.source_id == source_id)
    )
    return photo


def blur_faces_for(settings: Settings, fields: UploadFields) -> bool:
    return face_blurring.blurs_upload(settings.blur_faces, fields.age_confirmation)


def client_hash(secret_key: str, client_ip: str) -> str:
    """A keyed hash of the client address: enough to count, useless to identify."""
    return hashlib.sha256(f"{secret_key}|{client_ip}".encode()).hexdigest()[:32]


def check_window(settings: Settings, now: dt.datetime) -> None:
    """Refuse outside the upload window; it closes by the promised deletion date."""
    opens, closes = settings.uploads_open_at, settings.uploads_closing
    if opens is not None and now < opens:
        when = french.date_and_time(opens, settings.timezone)
        raise Forbidden(
            f"Le dépôt de photos ouvre {when} (heure du Québec).", code="uploads_not_open"
        )
    if now >= closes:
        raise Forbidden(
            "Le dépôt de photos est fermé. Merci d'avoir participé!", code="uploads_closed"
        )


def limit_body(request: Request, max_bytes: int) -> Request:
    """The same request, whose body raises ``PayloadTooLarge`` past ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > max_bytes:
                raise _too_large(max_bytes)
        except ValueError:
            raise BadRequest(
                "En-tête Content-Length invalide.", code="bad_content_length"
            ) from None
    received = 0
    receive = request.receive

    async def counting_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise _too_large(max_bytes)
        return message

    return Request(request.scope, counting_receive)


@asynccontextmanager
async def read_form(request: Request, max_bytes: int, *, max_files: int) -> AsyncIterator[FormData]:
    """The request's multipart form, its body capped at ``max_bytes``, closed (its
    spooled files deleted) after the block; ``400 malformed_form`` when it cannot be read."""
    limited = limit_body(request, max_bytes)
    try:
        form = await limited.form(max_files=max_files, max_fields=20, max_part_size=16 * 1024)
    except (MultiPartException, HTTPException) as exc:
        # Starlette turns a multipart error into HTTPException(400) inside an app.
        raise BadRequest("Le formulaire envoyé est mal formé.", code="malformed_form") from exc
    try:
        yield form
    finally:
        await form.close()


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Le fichier est trop volumineux (maximum {max_bytes // (1024 * 1024)} Mo).",
        code="too_large",
    )


def _clean_text(raw: Any, field: str, max_len: int, label: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidField(f"Le champ « {label} » doit être du texte.", code=f"invalid_{field}")
    text = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\r\t\u200d" for ch in text):
        raise InvalidField(
            f"Le champ « {label} » contient des caractères invalides.", code=f"invalid_{field}"
        )
    if len(text) > max_len:
        raise InvalidField(
            f"Le champ « {label} » fait au plus {max_len} caractères.", code=f"{field}_too_long"
        )
    return text


def _upload_key(form: FormData) -> str | None:
    """The form's retry key, once the honeypot is found empty."""
    if form.get(HONEYPOT_FIELD):
        raise InvalidField(
            "Laisse vide le dernier champ : c'est un piège pour les robots.",
            code="spam_suspected",
        )
    key = form.get("upload_key") or None
    if key is not None and (not isinstance(key, str) or not UPLOAD_KEY.fullmatch(key)):
        raise InvalidField(
            "Le formulaire n'est plus à jour. Recharge la page et réessaie.",
            code="invalid_upload_key",
        )
    return key


def validate_fields(
    form: FormData, settings: Settings, *, via_invite: bool = False
) -> UploadFields:
    """The form's fields, checked; raises ``WallError`` with a French message.

    ``via_invite``: the form came through a school's invite link (a class
    upload), which ``WALL_UNDER_14=school`` requires for under-14s.
    """
    key = _upload_key(form)
    # First: a child waiting for a parent is told so kindly, whatever else is ticked.
    if form.get("age_confirmation") == consent.WAITING_FOR_PARENT:
        consent.check_age(consent.WAITING_FOR_PARENT, settings)
    if form.get("consent") != "yes":
        raise InvalidField(
            "Coche la case pour accepter que ta photo soit affichée sur le mur.",
            code="consent_required",
        )
    age = consent.check_age(form.get("age_confirmation"), settings, via_invite=via_invite)
    version = consent.version_of(form)
    if version == consent.CONSENT_VERSION:
        consent.check_everyone_agrees(form.get(consent.EVERYONE_AGREES_FIELD))
    name = _clean_text(form.get("display_name"), "display_name", MAX_NAME, "Prénom ou pseudo")
    caption = _clean_text(form.get("caption"), "caption", MAX_CAPTION, "Petit texte")
    school = _clean_text(form.get("school"), "school", MAX_SCHOOL, "École")
    region = _clean_text(form.get("region"), "region", 100, "Région")
    if region and region not in settings.regions:
        raise InvalidField("Choisis une région de la liste.", code="unknown_region")
    return UploadFields(
        display_name=name or None,
        show_name=form.get("show_name") == "yes" and bool(name),
        caption=caption,
        region=region or None,
        school=school or None,
        age_confirmation=age,
        upload_key=key,
        via_invite=via_invite,
        consent_by=consent.consent_giver(age, settings.under_14, via_invite),
        uses=consent.uses_ticked(form, via_invite=via_invite)
        if version == consent.CONSENT_VERSION
        else dict.fromkeys(consent.USES, False),
        consent_version=version,
    )


def validate_class_fields(form: FormData, school: str, region: str | None) -> UploadFields:
    """A class upload's fields: the school's consent once for every photo, a shared caption.

    School and region come from the invite, never from the form."""
    key = _upload_key(form)
    if form.get("school_consent") != "yes":
        raise InvalidField(
            "Confirmez que l'école détient l'autorisation des parents pour chaque enfant "
            "qu'on voit sur ces photos.",
            code="school_consent_required",
        )
    caption = _clean_text(form.get("caption"), "caption", MAX_CAPTION, "Légende")
    return UploadFields(
        display_name=None,
        show_name=False,
        caption=caption,
        region=region,
        school=school,
        age_confirmation=SCHOOL_CONSENT,
        upload_key=key,
        via_invite=True,
        consent_by=consent.BY_SCHOOL,
        uses=consent.uses_ticked(form, via_invite=True),
    )


def class_photos(form: FormData) -> list[UploadFile]:
    """The files of a class upload: one to ``MAX_CLASS_PHOTOS`` under ``photos``."""
    chosen = [
        value
        for value in form.getlist("photos")
        # A form sent with no file chosen carries one empty, unnamed part.
        if isinstance(value, UploadFile) and (value.filename or value.size)
    ]
    files = [value for value in form.values() if isinstance(value, UploadFile)]
    if any(f.filename or f.size for f in files if all(f is not c for c in chosen)):
        raise InvalidField(
            "Joignez les photos au champ «\u00a0photos\u00a0».", code="photos_required"
        )
    if not chosen:
        raise InvalidField("Choisissez au moins une photo.", code="photos_required")
    if len(chosen) > MAX_CLASS_PHOTOS:
        raise InvalidField(
            f"Au plus {MAX_CLASS_PHOTOS} photos par envoi\u00a0: envoyez les autres ensuite.",
            code="too_many_photos",
        )
    return chosen


def file_digest(path: Path) -> str:
    """The SHA-256 of a spooled file: a class photo's identity within one form."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def the_photo(form: FormData) -> UploadFile:
    files = [value for value in form.values() if isinstance(value, UploadFile)]
    photos = form.getlist("photo")
    if len(files) != 1 or len(photos) != 1 or not isinstance(photos[0], UploadFile):
        raise InvalidField("Joins une seule photo.", code="photo_required")
    return photos[0]


def spool_to_disk(upload: BinaryIO, directory: Path) -> Path:
    """Copy an uploaded file to a private temporary file (never under its own name)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=SPOOL_PREFIX)
    path = Path(name)
    try:
        upload.seek(0)
        with os.fdopen(fd, "wb") as handle:
            shutil.copyfileobj(upload, handle, COPY_CHUNK)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def build_photo(
    fields: UploadFields, processed: ProcessedImage, client: str, ident: UploadIdentity
) -> tuple[Photo, list[MediaFile]]:
    """The pending photo and its file rows."""
    now = utcnow()
    photo_id = new_photo_id()
    photo = Photo(
        id=photo_id,
        source="upload",
        source_id=ident.source_id or photo_id,
        author_name=fields.display_name,
        show_name=fields.show_name,
        caption=fields.caption,
        region=fields.region,
        school=fields.school,
        posted_at=now,
        submitted_at=now,
        flags=[],
        **image_columns(processed),
        consent_version=fields.consent_version,
        consent_at=now,
        age_confirmation=fields.age_confirmation,
        **consent.consent_columns(fields.uses, fields.consent_by),
        client_hash=client,
        manage_token_hash=hash_manage_token(ident.manage_token),
        pinned=False,
    )
    return photo, media_rows(photo_id, processed)


def hash_manage_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def names_in_use(session: AsyncSession, names: list[str]) -> set[str]:
    """Which of ``names`` some photo still references (files are shared by content)."""
    rows = await session.scalars(select(MediaFile.name).where(MediaFile.name.in_(names)))
    return set(rows.all())
