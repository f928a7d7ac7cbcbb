"""``submit`` and ``decide``: the only writers of a photo's status.

``decide`` locks the photo, applies the transition from the table in
``states``, and writes the audit row and the event row in the same
transaction, so a decision is either wholly recorded or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wall import events
from wall.errors import Conflict, InvalidField, NotFound
from wall.models import Decision, MediaFile, Moderator, Photo, utcnow
from wall.moderation.states import Action, Status, next_transition
from wall.photos import photo_json

MAX_REASON = 500


def parse_action(raw: object) -> Action:
    try:
        return Action(str(raw))
    except ValueError:
        allowed = ", ".join(a.value for a in Action if a is not Action.WITHDRAW)
        raise InvalidField(
            f"L'action doit être l'une de : {allowed}.", code="invalid_action"
        ) from None


async def submit(session: AsyncSession, photo: Photo, media_files: Iterable[MediaFile]) -> Photo:
    """Store a new photo as pending, with the rows of its stored files."""
    photo.status = Status.PENDING.value
    photo.submitted_at = photo.submitted_at or utcnow()
    session.add(photo)
    await session.flush()
    session.add_all(media_files)
    await session.flush()
    return photo


async def decide(
    session: AsyncSession,
    photo_id: str,
    action: Action,
    *,
    moderator: Moderator | None = None,
    rule: str | None = None,
    reason: str | None = None,
) -> Photo:
    """Apply ``action`` to a photo; ``Conflict`` when its current status forbids it."""
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidField(
            f"La raison fait au plus {MAX_REASON} caractères.", code="reason_too_long"
        )
    photo = await session.scalar(select(Photo).where(Photo.id == photo_id).with_for_update())
    if photo is None:
        raise NotFound("Cette photo n'existe pas.", code="photo_not_found")
    current = Status(photo.status)
    transition = next_transition(current, action, pinned=photo.pinned)
    if transition is None:
        raise Conflict(
            f"Impossible de faire « {action.value} » sur une photo à l'état « {current.value} ».",
            code="forbidden_transition",
        )
    now = utcnow()
    photo.status = transition.to.value
    if transition.pinned is not None:
        photo.pinned = transition.pinned
    if action not in (Action.PIN, Action.UNPIN):
        photo.decided_at = now
    if transition.to is Status.APPROVED and current is not Status.APPROVED:
        photo.approved_at = now
    session.add(
        Decision(
            photo_id=photo.id,
            moderator_id=moderator.id if moderator else None,
            rule=rule,
            action=action.value,
            from_status=current.value,
            to_status=transition.to.value,
            reason=reason,
            created_at=now,
        )
    )
    if transition.event == "photo.removed":
        await events.append(session, "photo.removed", {"id": photo.id}, photo.id)
    elif transition.event is not None:
        await events.append(session, transition.event, photo_json(photo), photo.id)
    await session.flush()
    return photo
