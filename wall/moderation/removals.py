"""Public requests to take a photo down, and their resolution by a moderator."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wall import consent, events
from wall.errors import Conflict, InvalidField, NotFound, TooManyRequests
from wall.models import MediaFile, Moderator, Photo, RemovalRequest, utcnow
from wall.moderation import audit, erasure, service
from wall.moderation.states import Action, Status
from wall.photos import iso

MAX_REF, MAX_DESCRIPTION, MAX_REASON, MAX_CONTACT = 500, 2000, 2000, 254
PER_CLIENT_PER_HOUR = 10
RESOLUTIONS = ("removed", "dismissed")
PHOTO_ID_LENGTH = 22
_TOKEN = re.compile(r"[A-Za-z0-9_.-]{16,80}")


def client_hash(secret_key: str, client: str) -> str:
    return hashlib.sha256(f"{secret_key}|removal|{client}".encode()).hexdigest()


async def find_photo(session: AsyncSession, reference: str) -> str | None:
    """The photo a pasted link or a photo number points at: its id, one of its
    media file names, or its short number (``wall.consent.photo_number``)."""
    numbers = consent.numbers_in(reference)
    if numbers:
        return await _by_number(session, numbers)
    tokens: list[str] = []
    for token in _TOKEN.findall(reference)[:10]:
        # A photo id is 22 characters; a link may glue it to a prefix (#photo-<id>).
        tokens += [token, token[-PHOTO_ID_LENGTH:]]
    tokens = list(dict.fromkeys(tokens))
    if not tokens:
        return None
    by_id = await session.scalar(select(Photo.id).where(Photo.id.in_(tokens)).limit(1))
    if by_id is not None:
        return by_id
    return await session.scalar(
        select(MediaFile.photo_id).where(MediaFile.name.in_(tokens)).limit(1)
    )


async def _by_number(session: AsyncSession, numbers: list[str]) -> str | None:
    """The shown photo (else any photo) whose number is one of ``numbers``.

    Numbers are derived from ids, not stored: the ids are read and hashed, about
    a second for a million photos, for a form people fill in a few times a day.
    """
    rows = (await session.execute(select(Photo.id, Photo.status))).all()
    found = [(status, pid) for pid, status in rows if consent.photo_number(pid) in numbers]
    found.sort(key=lambda item: item[0] != Status.APPROVED.value)
    return found[0][1] if found else None


async def create(
    session: AsyncSession,
    *,
    reference: str,
    reason: str,
    contact: str | None,
    client: str,
    description: str = "",
) -> RemovalRequest:
    """Record a request: a photo number or link, or a description, is enough to find it."""
    reference, reason = reference.strip(), reason.strip()
    description = description.strip()
    contact = (contact or "").strip() or None
    if len(reference) > MAX_REF or len(description) > MAX_DESCRIPTION:
        raise InvalidField(
            f"Le numéro ou la description est trop long (au plus {MAX_DESCRIPTION} caractères).",
            code="invalid_photo_ref",
            message_en=f"The number or the description is too long (at most {MAX_DESCRIPTION} "
            "characters).",
        )
    if not reference and not description:
        raise InvalidField(
            "Donnez le numéro de la photo, ou décrivez-la : l'heure, le petit texte, ce qu'on "
            "y voit.",
            code="invalid_photo_ref",
            message_en="Give the photo's number, or describe it: the time, its caption, what "
            "it shows.",
        )
    if not reason or len(reason) > MAX_REASON:
        raise InvalidField(
            f"Dites-nous pourquoi (au plus {MAX_REASON} caractères).",
            code="invalid_reason",
            message_en=f"Tell us why (at most {MAX_REASON} characters).",
        )
    if contact is not None and len(contact) > MAX_CONTACT:
        raise InvalidField(
            "Le contact est trop long.",
            code="invalid_contact",
            message_en="The contact is too long.",
        )
    since = utcnow() - dt.timedelta(hours=1)
    recent = await session.scalar(
        select(func.count())
        .select_from(RemovalRequest)
        .where(RemovalRequest.client_hash == client, RemovalRequest.created_at > since)
    )
    if int(recent or 0) >= PER_CLIENT_PER_HOUR:
        raise TooManyRequests(
            "Trop de demandes. Réessayez dans une heure.",
            code="removal_throttled",
            retry_after=3600,
            message_en="Too many requests. Please try again in an hour.",
        )
    row = RemovalRequest(
        photo_ref=reference,
        description=description,
        photo_id=await find_photo(session, reference) if reference else None,
        reason=reason,
        contact=contact,
        client_hash=client,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        "removal.requested",
        actor_label="public",
        photo_id=row.photo_id,
        target=str(row.id),
    )
    events.append(
        session, "queue.removal_requested", {"id": row.id, "photo_id": row.photo_id}, row.photo_id
    )
    return row


def request_json(row: RemovalRequest, photo: Photo | None, resolver: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "photo_ref": row.photo_ref,
        "description": row.description,
        "photo_id": row.photo_id,
        "photo_number": consent.photo_number(row.photo_id) if row.photo_id else None,
        "photo_status": photo.status if photo else None,
        "reason": row.reason,
        "contact": row.contact,
        "created_at": iso(row.created_at),
        "resolved_at": iso(row.resolved_at),
        "resolved_by": resolver,
        "resolution": row.resolution,
        "note": row.note,
    }


async def listing(session: AsyncSession, *, open_only: bool, limit: int) -> list[dict[str, Any]]:
    """Open requests oldest first (they come before the queue); resolved newest first."""
    query = (
        select(RemovalRequest, Photo, Moderator.email)
        .outerjoin(Photo, Photo.id == RemovalRequest.photo_id)
        .outerjoin(Moderator, Moderator.id == RemovalRequest.resolved_by)
    )
    if open_only:
        query = query.where(RemovalRequest.resolved_at.is_(None)).order_by(RemovalRequest.id)
    else:
        query = query.where(RemovalRequest.resolved_at.is_not(None)).order_by(
            RemovalRequest.resolved_at.desc()
        )
    rows = (await session.execute(query.limit(limit))).all()
    return [request_json(row, photo, email) for row, photo, email in rows]


async def resolve(
    session: AsyncSession,
    request_id: int,
    resolution: str,
    note: str | None,
    moderator: Moderator,
    client: str | None,
) -> dict[str, Any]:
    """Record who resolved a request and how; ``removed`` deletes the photo for good too."""
    if resolution not in RESOLUTIONS:
        raise InvalidField(
            "resolution vaut « removed » ou « dismissed ».", code="invalid_resolution"
        )
    row = await session.get(RemovalRequest, request_id, with_for_update=True)
    if row is None:
        raise NotFound("Cette demande n'existe pas.", code="removal_request_not_found")
    if row.resolved_at is not None:
        raise Conflict("Cette demande est déjà traitée.", code="already_resolved")
    photo = None
    if row.photo_id is not None:
        photo = await session.get(Photo, row.photo_id)
    row.resolved_at = utcnow()
    row.resolved_by = moderator.id
    row.resolution = resolution
    row.note = note
    await audit.record(
        session,
        f"removal.{resolution}",
        actor=moderator,
        client=client,
        photo_id=row.photo_id,
        target=str(row.id),
        details={"note": note} if note else {},
    )
    await session.flush()
    # Erasing also empties this request (link, reason, contact, note): recorded first.
    if resolution == "removed" and photo is not None and photo.status == Status.ERASED.value:
        await erasure.forget_free_text(session, photo.id)  # a request about a tombstone
    elif resolution == "removed" and photo is not None:
        photo = await service.decide(
            session,
            photo.id,
            Action.ERASE_ON_REQUEST,
            moderator=moderator,
            reason=f"demande de retrait n° {row.id}",
            client=client,
        )
    await session.flush()
    return request_json(row, photo, moderator.email)
