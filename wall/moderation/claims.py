"""Claims: the photo open in a moderator's view is theirs while they work on it.

A moderator holds at most one claim: claiming a photo releases the others.
``decide`` refuses a photo held by someone else (``409`` "déjà prise par X").
A claim lasts ``ttl`` (``WALL_CLAIM_IDLE_SECONDS``): the page renews it while
the moderator is active and gives it back when its tab closes or goes idle,
so a closed or crashed tab never keeps a photo for long.

``claim_next`` hands each moderator the oldest pending photo nobody else
holds. Two moderators asking at once never get the same one: the candidate
photo row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so the second
moderator passes to the next row instead of waiting; ``BEGIN IMMEDIATE``
serialises the whole transaction on SQLite), and the claim is checked again
after the lock in a new statement. That second check matters on PostgreSQL:
a row locked after the first moderator committed is not re-filtered against
the claims table, which the first statement read from an older snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from wall import events
from wall.db import locked
from wall.errors import Conflict, NotFound
from wall.models import Claim, Moderator, Photo, utcnow
from wall.moderation.states import Status
from wall.photos import iso

CLAIM_TTL = dt.timedelta(seconds=90)  # the default of WALL_CLAIM_IDLE_SECONDS
# Candidates locked and found taken before giving up (each try skips the last).
NEXT_TRIES = 20


@dataclass(frozen=True)
class Holder:
    moderator_id: int
    email: str
    expires_at: dt.datetime


async def holders(session: AsyncSession, photo_ids: list[str]) -> dict[str, Holder]:
    """Live claims on ``photo_ids``."""
    if not photo_ids:
        return {}
    rows = (
        await session.execute(
            select(Claim, Moderator.email)
            .join(Moderator, Moderator.id == Claim.moderator_id)
            .where(Claim.photo_id.in_(photo_ids), Claim.expires_at > utcnow())
        )
    ).all()
    return {c.photo_id: Holder(c.moderator_id, email, c.expires_at) for c, email in rows}


async def ensure_not_held_by_other(
    session: AsyncSession, photo_id: str, moderator: Moderator
) -> None:
    holder = (await holders(session, [photo_id])).get(photo_id)
    if holder is not None and holder.moderator_id != moderator.id:
        raise Conflict(f"Déjà prise par {holder.email}.", code="claimed_by_other")


async def claim(
    session: AsyncSession, photo_id: str, moderator: Moderator, ttl: dt.timedelta = CLAIM_TTL
) -> Holder:
    """Claim a photo (or renew one's claim); ``409`` while someone else holds it."""
    photo = await locked(session, Photo, photo_id)
    if photo is None:
        raise NotFound("Cette photo n'existe pas.", code="photo_not_found")
    await ensure_not_held_by_other(session, photo_id, moderator)
    return await _hold(session, photo_id, moderator, ttl)


async def claim_next(
    session: AsyncSession,
    moderator: Moderator,
    ttl: dt.timedelta,
    conditions: list[ColumnElement[bool]],
    exclude: tuple[str, ...] = (),
) -> Photo | None:
    """Claim the oldest pending photo (matching ``conditions``) that nobody else holds.

    The moderator's own live claim on a pending photo is kept and returned
    first (a reloaded page finds its photo again). None when every pending
    photo is held by someone else, excluded, or there is none.
    """
    now = utcnow()
    own = await session.scalar(
        select(Photo)
        .join(Claim, Claim.photo_id == Photo.id)
        .where(
            Claim.moderator_id == moderator.id,
            Claim.expires_at > now,
            Photo.status == Status.PENDING.value,
            Photo.id.not_in(exclude),
            *conditions,
        )
        .limit(1)
    )
    if own is not None:
        await _hold(session, own.id, moderator, ttl)
        return own
    held_by_other = (
        select(Claim.photo_id)
        .where(
            Claim.photo_id == Photo.id,
            Claim.expires_at > now,
            Claim.moderator_id != moderator.id,
        )
        .exists()
    )
    skipped = list(exclude)
    for _ in range(NEXT_TRIES):
        photo = await session.scalar(
            select(Photo)
            .where(
                Photo.status == Status.PENDING.value,
                ~held_by_other,
                Photo.id.not_in(skipped),
                *conditions,
            )
            .order_by(Photo.submitted_at, Photo.id)
            .limit(1)
            .with_for_update(skip_locked=True, of=Photo)
            .execution_options(populate_existing=True)
        )
        if photo is None:
            return None
        holder = (await holders(session, [photo.id])).get(photo.id)
        if holder is None or holder.moderator_id == moderator.id:
            await _hold(session, photo.id, moderator, ttl)
            return photo
        skipped.append(photo.id)
    return None


async def _hold(
    session: AsyncSession, photo_id: str, moderator: Moderator, ttl: dt.timedelta
) -> Holder:
    await release_all(session, moderator, keep=photo_id)
    now = utcnow()
    row = await session.get(Claim, photo_id, populate_existing=True)
    if row is None:
        row = Claim(photo_id=photo_id, moderator_id=moderator.id, claimed_at=now, expires_at=now)
        session.add(row)
    elif row.moderator_id != moderator.id:  # an expired claim of someone else's
        row.moderator_id = moderator.id
        row.claimed_at = now
    row.expires_at = now + ttl
    await session.flush()
    events.append(
        session,
        "queue.claimed",
        {"id": photo_id, "by": moderator.email, "expires_at": iso(row.expires_at)},
        photo_id,
    )
    return Holder(moderator.id, moderator.email, row.expires_at)


async def release_all(
    session: AsyncSession,
    moderator: Moderator,
    keep: str | None = None,
    only: str | None = None,
) -> int:
    """Give back the moderator's claims (all but ``keep``, or only ``only``); returns how many."""
    query = select(Claim.photo_id).where(Claim.moderator_id == moderator.id)
    if keep is not None:
        query = query.where(Claim.photo_id != keep)
    if only is not None:
        query = query.where(Claim.photo_id == only)
    released = (await session.scalars(query)).all()
    for photo_id in released:
        await session.execute(delete(Claim).where(Claim.photo_id == photo_id))
        events.append(session, "queue.released", {"id": photo_id}, photo_id)
    return len(released)


async def drop(session: AsyncSession, photo_id: str) -> None:
    """Forget any claim on a photo (it was just decided)."""
    await session.execute(delete(Claim).where(Claim.photo_id == photo_id))
