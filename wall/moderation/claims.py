"""Claims: the photo open in a moderator's view is theirs for ``CLAIM_TTL``.

A moderator holds at most one claim: claiming a photo releases the others.
``decide`` refuses a photo held by someone else (``409`` "déjà prise par X").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from wall import events
from wall.errors import Conflict, NotFound
from wall.models import Claim, Moderator, Photo, utcnow
from wall.photos import iso

CLAIM_TTL = dt.timedelta(minutes=2)


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


async def claim(session: AsyncSession, photo_id: str, moderator: Moderator) -> Holder:
    """Claim a photo (or renew one's claim); ``409`` while someone else holds it."""
    photo = await session.scalar(select(Photo).where(Photo.id == photo_id).with_for_update())
    if photo is None:
        raise NotFound("Cette photo n'existe pas.", code="photo_not_found")
    await ensure_not_held_by_other(session, photo_id, moderator)
    await release_all(session, moderator, keep=photo_id)
    now = utcnow()
    row = await session.get(Claim, photo_id)
    if row is None:
        row = Claim(photo_id=photo_id, moderator_id=moderator.id, claimed_at=now, expires_at=now)
        session.add(row)
    row.moderator_id = moderator.id
    row.expires_at = now + CLAIM_TTL
    await session.flush()
    events.append(
        session,
        "queue.claimed",
        {"id": photo_id, "by": moderator.email, "expires_at": iso(row.expires_at)},
        photo_id,
    )
    return Holder(moderator.id, moderator.email, row.expires_at)


async def release_all(session: AsyncSession, moderator: Moderator, keep: str | None = None) -> None:
    query = select(Claim.photo_id).where(Claim.moderator_id == moderator.id)
    if keep is not None:
        query = query.where(Claim.photo_id != keep)
    for photo_id in (await session.scalars(query)).all():
        await session.execute(delete(Claim).where(Claim.photo_id == photo_id))
        events.append(session, "queue.released", {"id": photo_id}, photo_id)


async def drop(session: AsyncSession, photo_id: str) -> None:
    """Forget any claim on a photo (it was just decided)."""
    await session.execute(delete(Claim).where(Claim.photo_id == photo_id))
