"""The campaign's archive: the approved photos, their credits and consent records.

``wall export DEST`` writes ``photos.csv`` and ``media/`` (each photo's public
image, as the wall shows it: faces blurred where the wall blurs them, no
metadata); the admin page offers the same as a ZIP file. Only photos
approved at that moment are in it: a pending, rejected or removed photo is
not, and a withdrawn, erased or purged one cannot be (its row and files are
gone or reduced to a tombstone). Keeping a photo in the archive is a use of
its own: only uploads whose consent ticked the archive box are in it
(``wall.consent.appears_clause``); posts collected by hashtag never are.

Credits follow the wall: an uploader's name only if they asked for it to be
shown; a social post's author as the network shows it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wall import consent
from wall.media.store import MediaStore
from wall.models import MediaFile, Photo
from wall.moderation.states import Status
from wall.photos import iso

CSV_FILE = "photos.csv"
MEDIA_DIR = "media"
ARCHIVE_KIND = "display"
COLUMNS = (
    "photo_id",
    "file",
    "source",
    "credit_name",
    "credit_handle",
    "credit_url",
    "permalink",
    "caption",
    "alt",
    "region",
    "school",
    "posted_at",
    "approved_at",
    "consent_version",
    "consent_at",
    "age_confirmation",
)


@dataclass(frozen=True)
class ArchivedPhoto:
    row: dict[str, str]
    file: str | None


def _text(value: object) -> str:
    return "" if value is None else str(value)


def archived(photo: Photo, file: str | None) -> ArchivedPhoto:
    credited = photo.source != "upload" or photo.show_name
    row = {
        "photo_id": photo.id,
        "file": f"{MEDIA_DIR}/{file}" if file else "",
        "source": photo.source,
        "credit_name": _text(photo.author_name) if credited else "",
        "credit_handle": _text(photo.author_handle) if credited else "",
        "credit_url": _text(photo.author_url) if credited else "",
        "permalink": _text(photo.permalink),
        "caption": photo.caption,
        "alt": _text(photo.alt),
        "region": _text(photo.region),
        "school": _text(photo.school),
        "posted_at": _text(iso(photo.posted_at)),
        "approved_at": _text(iso(photo.approved_at)),
        "consent_version": _text(photo.consent_version),
        "consent_at": _text(iso(photo.consent_at)),
        "age_confirmation": _text(photo.age_confirmation),
    }
    return ArchivedPhoto(row, file)


async def approved_photos(session: AsyncSession) -> list[ArchivedPhoto]:
    """Every approved photo, oldest approval first, with its public image's file name."""
    photos = (
        await session.scalars(
            select(Photo)
            .where(Photo.status == Status.APPROVED.value, consent.appears_clause("archive"))
            .order_by(Photo.approved_at, Photo.id)
        )
    ).all()
    rows = await session.execute(
        select(MediaFile.photo_id, MediaFile.name)
        .join(Photo, Photo.id == MediaFile.photo_id)
        .where(
            Photo.status == Status.APPROVED.value,
            consent.appears_clause("archive"),
            MediaFile.kind == ARCHIVE_KIND,
            MediaFile.public.is_(True),
        )
    )
    files = {photo_id: name for photo_id, name in rows.all()}
    return [archived(photo, files.get(photo.id)) for photo in photos]


def csv_text(photos: list[ArchivedPhoto]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for photo in photos:
        writer.writerow(photo.row)
    return buffer.getvalue()


def _existing_files(photos: list[ArchivedPhoto], store: MediaStore) -> Iterator[tuple[str, Path]]:
    for photo in photos:
        path = store.path(photo.file) if photo.file else None
        if path is not None and path.is_file():
            yield photo.file or "", path


def write_directory(photos: list[ArchivedPhoto], store: MediaStore, destination: Path) -> int:
    """``photos.csv`` and ``media/`` under ``destination``; the number of files written."""
    media = destination / MEDIA_DIR
    media.mkdir(parents=True, exist_ok=True)
    (destination / CSV_FILE).write_text(csv_text(photos), encoding="utf-8-sig")
    written = 0
    for name, path in _existing_files(photos, store):
        (media / name).write_bytes(path.read_bytes())
        written += 1
    return written


def write_zip(photos: list[ArchivedPhoto], store: MediaStore, target: Path | str) -> None:
    """The same archive as one ZIP file (JPEGs are stored, not compressed again)."""
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(CSV_FILE, "\ufeff" + csv_text(photos), zipfile.ZIP_DEFLATED)
        for name, path in _existing_files(photos, store):
            archive.write(path, f"{MEDIA_DIR}/{name}", zipfile.ZIP_STORED)
