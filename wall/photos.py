"""Feed queries, cursors and the JSON shapes of a photo."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from wall import consent
from wall.errors import BadRequest
from wall.media import ProcessedImage
from wall.models import MediaFile, Photo, UTCDateTime
from wall.moderation.states import Status

MAX_PAGE = 100
_CURSOR_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def new_photo_id() -> str:
    """An opaque, non-guessable id (128 random bits)."""
    return secrets.token_urlsafe(16)


def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def image_columns(processed: ProcessedImage) -> dict[str, Any]:
    """The ``Photo`` columns that describe its stored image, from the pipeline's result."""
    display = processed.pick("display")
    return {
        "width": display.width,
        "height": display.height,
        "placeholder": processed.placeholder,
        "blurhash": processed.blurhash or None,
        "phash": processed.phash or None,
        "green_score": processed.green_score,
        "media": {
            f.kind: {
                "name": f.name,
                "width": f.width,
                "height": f.height,
                "content_type": f.content_type,
            }
            for f in processed.files
        },
    }


def media_rows(photo_id: str, processed: ProcessedImage) -> list[MediaFile]:
    """One row per stored name: a picture no larger than a thumbnail is stored once
    for both sizes. A name any private kind uses stays private."""
    rows: dict[str, MediaFile] = {}
    for stored in processed.files:
        row = rows.setdefault(
            stored.name,
            MediaFile(name=stored.name, photo_id=photo_id, kind=stored.kind, public=True),
        )
        row.public = row.public and not stored.private
    return list(rows.values())


def media_url(name: str) -> str:
    return f"/media/{name}"


def _image_json(photo: Photo, *, private: bool) -> dict[str, Any] | None:
    """None for an erased photo, whose files are gone."""
    media = photo.media
    if not media:
        return None
    display = media.get("display_private" if private else "display") or media["display"]
    thumb = media.get("thumb_private" if private else "thumb") or media["thumb"]
    image: dict[str, Any] = {
        "url": media_url(display["name"]),
        "thumb_url": media_url(thumb["name"]),
        "width": display["width"],
        "height": display["height"],
        "placeholder": photo.placeholder,
        "blurhash": photo.blurhash,
    }
    # Optional second encodings (e.g. WebP beside JPEG) for <picture> sources.
    for kind, key in (("display_webp", "webp_url"), ("thumb_webp", "thumb_webp_url")):
        if not private and kind in media:
            image[key] = media_url(media[kind]["name"])
    return image


def photo_json(photo: Photo) -> dict[str, Any]:
    """The public ``Photo`` of the contract."""
    show_author = photo.source != "upload" or photo.show_name
    return {
        "id": photo.id,
        "source": photo.source,
        "author": {
            "name": photo.author_name if show_author else None,
            "handle": photo.author_handle if show_author else None,
            "url": photo.author_url if show_author else None,
        },
        "caption": photo.caption,
        "alt": photo.alt,
        "permalink": photo.permalink,
        "posted_at": iso(photo.posted_at),
        "approved_at": iso(photo.approved_at),
        "pinned": photo.pinned,
        "region": photo.region,
        # The short number a parent quotes on the removal form (shown in spotlight).
        "number": consent.photo_number(photo.id),
        "image": _image_json(photo, private=False),
    }


def mod_photo_json(photo: Photo) -> dict[str, Any]:
    """The moderators' ``ModPhoto``: the photo plus what only they may see."""
    data = photo_json(photo)
    private_image = _image_json(photo, private=True)
    data["author"] = {
        "name": photo.author_name,
        "handle": photo.author_handle,
        "url": photo.author_url,
    }
    data.update(
        status=photo.status,
        submitted_at=iso(photo.submitted_at),
        decided_at=iso(photo.decided_at),
        green_score=photo.green_score,
        flags=list(photo.flags or []),
        media_url=private_image["url"] if private_image else None,
        show_name=photo.show_name,
        school=photo.school,
        age_confirmation=photo.age_confirmation,
        # Who consented and to which further uses (wall.consent), for the moderators.
        consent_by=photo.consent_by,
        consent_uses=[
            use
            for use, given in (
                ("school_wall", photo.consent_school_wall),
                ("embed", photo.consent_embed),
                ("archive", photo.consent_archive),
            )
            if given
        ],
    )
    return data


def encode_cursor(moment: dt.datetime, photo_id: str) -> str:
    raw = f"{iso(moment)}|{photo_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, photo_id = raw.split("|", 1)
        moment = dt.datetime.fromisoformat(moment_text.replace("Z", "+00:00"))
        # In UTC, as the database compares it (a year-1 moment east of UTC overflows).
        moment = moment.astimezone(dt.UTC) if moment.tzinfo is not None else moment
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("Le curseur de pagination est invalide.", code="bad_cursor") from None
    # Photo ids are short URL-safe tokens: anything else (a NUL…) cannot name one.
    if moment.tzinfo is None or not _CURSOR_ID.fullmatch(photo_id):
        raise BadRequest("Le curseur de pagination est invalide.", code="bad_cursor")
    return moment, photo_id


def parse_limit(raw: str | None, default: int = 50) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("Le paramètre limit doit être un nombre.", code="bad_limit") from None
    if not 1 <= value <= MAX_PAGE:
        raise BadRequest(f"Le paramètre limit va de 1 à {MAX_PAGE}.", code="bad_limit")
    return value


def order_column(status: Status) -> Any:
    """What a list of photos in ``status`` is ordered by."""
    if status is Status.PENDING:
        return Photo.submitted_at
    return Photo.approved_at if status is Status.APPROVED else Photo.decided_at


async def paginate(
    session: AsyncSession,
    query: Select[Photo],
    column: Any,
    *,
    oldest_first: bool,
    limit: int,
    before: str | None,
) -> tuple[list[Photo], str | None]:
    """One page of ``query`` ordered by ``column`` then id, and the cursor of the next."""
    if before is not None:
        moment, photo_id = decode_cursor(before)
        if oldest_first:
            query = query.where(or_(column > moment, and_(column == moment, Photo.id > photo_id)))
        else:
            query = query.where(or_(column < moment, and_(column == moment, Photo.id < photo_id)))
    order = (column.asc(), Photo.id.asc()) if oldest_first else (column.desc(), Photo.id.desc())
    rows = list((await session.scalars(query.order_by(*order).limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, column.key), last.id)
    return rows, next_cursor


async def page_by_status(
    session: AsyncSession,
    status: Status,
    limit: int,
    before: str | None,
    where: Sequence[ColumnElement[bool]] = (),
) -> tuple[list[Photo], str | None]:
    """One page of photos in ``status``: pending oldest first, others newest decision first.

    ``where`` narrows it further (a wall's filter, ``wall.wall_filter``)."""
    query: Select[Photo] = select(Photo).where(Photo.status == status.value, *where)
    return await paginate(
        session,
        query,
        order_column(status),
        oldest_first=status is Status.PENDING,
        limit=limit,
        before=before,
    )


async def count_by_status(
    session: AsyncSession, status: Status, where: Sequence[ColumnElement[bool]] = ()
) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Photo).where(Photo.status == status.value, *where)
    )
    return int(total or 0)


async def owner_of_media(session: AsyncSession, name: str) -> tuple[Photo, MediaFile] | None:
    """The photo a stored file belongs to (the most visible one, if shared)."""
    rows = (
        await session.execute(
            select(Photo, MediaFile)
            .join(MediaFile, MediaFile.photo_id == Photo.id)
            .where(MediaFile.name == name)
        )
    ).all()
    if not rows:
        return None
    for photo, media_file in rows:
        if photo.status == Status.APPROVED and media_file.public:
            return photo, media_file
    photo, media_file = rows[0]
    return photo, media_file


class UTCHour(FunctionElement[dt.datetime]):
    """The start of the UTC hour of a ``UTCDateTime`` column, computed by the database."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(UTCHour, "postgresql")
def _utc_hour_postgresql(element: UTCHour, compiler: SQLCompiler, **kw: Any) -> str:
    # AT TIME ZONE 'UTC' first: date_trunc on a timestamptz would truncate in the
    # session's time zone, which differs for zones with half-hour offsets.
    column = compiler.process(element.clauses, **kw)
    return f"date_trunc('hour', {column} AT TIME ZONE 'UTC')"


@compiles(UTCHour, "sqlite")
def _utc_hour_sqlite(element: UTCHour, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores the naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's
    # fixed format); cutting it is twice as fast as strftime() over 30,000 rows.
    column = compiler.process(element.clauses, **kw)
    return f"substr({column}, 1, 13) || ':00:00'"


class UTCQuarter(FunctionElement[dt.datetime]):
    """The start of the UTC quarter-hour of a ``UTCDateTime`` column.

    Every time zone's offset is a whole number of quarter-hours, so a UTC
    quarter-hour is also one of Québec time (the wall's wave is drawn in it).
    """

    type = UTCDateTime()
    inherit_cache = True


@compiles(UTCQuarter, "postgresql")
def _utc_quarter_postgresql(element: UTCQuarter, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"date_trunc('hour', {utc}) + "
        f"floor(extract(minute from {utc}) / 15) * interval '15 minutes'"
    )


@compiles(UTCQuarter, "sqlite")
def _utc_quarter_sqlite(element: UTCQuarter, compiler: SQLCompiler, **kw: Any) -> str:
    # 'YYYY-MM-DD HH:' then the minute rounded down to 0, 15, 30 or 45.
    column = compiler.process(element.clauses, **kw)
    return (
        f"substr({column}, 1, 14) || "
        f"printf('%02d', (CAST(substr({column}, 15, 2) AS INTEGER) / 15) * 15) || ':00'"
    )


async def stats(session: AsyncSession, where: Sequence[ColumnElement[bool]] = ()) -> dict[str, Any]:
    """Counts of approved photos by source, region, UTC hour and quarter-hour.

    Counted by the database, each from an index alone when ``where`` is empty:
    (status, source, region) for the first query, (status, approved_at) for
    the timelines. ``where`` narrows every count (a wall's filter).
    """
    approved = and_(Photo.status == Status.APPROVED.value, *where)
    groups = (
        await session.execute(
            select(Photo.source, Photo.region, func.count())
            .where(approved)
            .group_by(Photo.source, Photo.region)
        )
    ).all()
    hour = UTCHour(Photo.approved_at).label("hour")
    timeline = (
        await session.execute(
            select(hour, func.count())
            .where(approved, Photo.approved_at.is_not(None))
            .group_by(hour)
            .order_by(hour)
        )
    ).all()
    quarter = UTCQuarter(Photo.approved_at).label("quarter")
    quarters = (
        await session.execute(
            select(quarter, func.count())
            .where(approved, Photo.approved_at.is_not(None))
            .group_by(quarter)
            .order_by(quarter)
        )
    ).all()
    by_source: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    for source, region, count in groups:
        by_source[source] += count
        if region:
            by_region[region] += count
    return {
        "approved": by_source.total(),
        "by_source": dict(sorted(by_source.items())),
        "by_region": dict(sorted(by_region.items())),
        "timeline": [{"t": iso(start), "n": n} for start, n in timeline],
        "quarter_hours": [{"t": iso(start), "n": n} for start, n in quarters],
    }
