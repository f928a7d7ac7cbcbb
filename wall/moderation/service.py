"""``submit``, ``decide`` and ``undo``: the only writers of a photo's status.

Each locks the photo, applies a row of the tables in ``states``, and writes
the decision row, the audit row and the event rows in the caller's
transaction, so a decision is either wholly recorded or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from wall import events
from wall.db import locked
from wall.errors import Conflict, Forbidden, InvalidField, NotFound
from wall.models import Decision, MediaFile, Moderator, Photo, utcnow
from wall.moderation import audit, claims, erasure, reasons, rules
from wall.moderation.states import (
    ACTION_NAMES_FR,
    MODERATOR_ACTIONS,
    STATUS_NAMES_FR,
    TERMINAL_STATUSES,
    UNDO,
    UNDO_ACTION,
    UNDO_WINDOW,
    Action,
    Status,
    next_transition,
)
from wall.photos import photo_json

MAX_REASON = 500
DEFAULT_MAX_PINNED = 3
# Serialises pinning on PostgreSQL, so two pins at once cannot pass the cap.
PIN_LOCK_KEY = 0x57A11


def parse_action(raw: object) -> Action:
    try:
        return Action(str(raw))
    except ValueError:
        allowed = ", ".join(a.value for a in MODERATOR_ACTIONS)
        raise InvalidField(
            f"L'action doit être l'une de : {allowed}.", code="invalid_action"
        ) from None


async def submit(session: AsyncSession, photo: Photo, media_files: Iterable[MediaFile]) -> Photo:
    """Store a new photo as pending with its files, then run the automatic rules."""
    photo.status = Status.PENDING.value
    photo.submitted_at = photo.submitted_at or utcnow()
    photo.search_text = rules.search_text(
        photo.caption, photo.alt, photo.author_name, photo.author_handle
    )
    session.add(photo)
    await session.flush()
    session.add_all(media_files)
    await session.flush()
    await _apply_verdict(session, photo, await rules.verdict_for(session, photo))
    if photo.status == Status.PENDING.value:
        events.append(session, "queue.submitted", {"id": photo.id}, photo.id)
    return photo


async def _apply_verdict(session: AsyncSession, photo: Photo, verdict: rules.Verdict) -> None:
    """Add the rules' flags, and take their decision under the rule's name."""
    if verdict.flags:
        photo.flags = [*(photo.flags or []), *verdict.flags]
        await audit.record(
            session,
            "rule.flag",
            actor_label="rules",
            photo_id=photo.id,
            details={"flags": list(verdict.flags), "words": list(verdict.words)},
        )
        await session.flush()
    if verdict.action is not None and verdict.rule is not None:
        await decide(session, photo.id, verdict.action, rule=verdict.rule, reason=verdict.reason)


async def _lock(session: AsyncSession, photo_id: str) -> Photo:
    photo = await locked(session, Photo, photo_id)
    if photo is None:
        raise NotFound("Cette photo n'existe pas.", code="photo_not_found")
    return photo


async def last_decision(session: AsyncSession, photo_id: str) -> tuple[Decision, str] | None:
    """The photo's latest decision and who made it (an email or ``règle <name>``)."""
    row = (
        await session.execute(
            select(Decision, Moderator.email)
            .outerjoin(Moderator, Moderator.id == Decision.moderator_id)
            .where(Decision.photo_id == photo_id)
            .order_by(Decision.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    decision, email = row
    who = email or (f"règle {decision.rule}" if decision.rule else "le système")
    return decision, who


async def _forbidden(session: AsyncSession, photo: Photo, action: Action) -> Conflict:
    current = photo.status
    if Status(current) in TERMINAL_STATUSES:
        return Conflict(
            "Cette photo a été supprimée définitivement : plus rien ne peut la remettre.",
            code="withdrawn",
        )
    previous = await last_decision(session, photo.id)
    if previous is not None and current != Status.PENDING.value:
        return Conflict(
            f"Déjà décidée par {previous[1]} : la photo est « {STATUS_NAMES_FR[Status(current)]} "
            f"», impossible de {ACTION_NAMES_FR[action]}.",
            code="forbidden_transition",
        )
    return Conflict(
        f"Impossible de {ACTION_NAMES_FR[action]} une photo "
        f"« {STATUS_NAMES_FR[Status(current)]} ».",
        code="forbidden_transition",
    )


async def _check_pin_cap(session: AsyncSession, max_pinned: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PIN_LOCK_KEY})
    pinned = await session.scalar(
        select(func.count())
        .select_from(Photo)
        .where(Photo.status == Status.APPROVED.value, Photo.pinned.is_(True))
    )
    if int(pinned or 0) >= max_pinned:
        raise Conflict(
            f"Au plus {max_pinned} photos épinglées : il faut d'abord en désépingler une.",
            code="pin_limit_reached",
        )


async def decide(
    session: AsyncSession,
    photo_id: str,
    action: Action,
    *,
    moderator: Moderator | None = None,
    rule: str | None = None,
    reason: str | None = None,
    reason_code: str | None = None,
    client: str | None = None,
    max_pinned: int = DEFAULT_MAX_PINNED,
) -> Photo:
    """Apply ``action`` to a photo.

    ``Conflict`` when its status forbids it, when another moderator holds its
    claim or when the pin cap is reached; ``Forbidden`` when the transition
    needs a role the moderator lacks. ``reason_code`` (a quick rejection
    reason of ``reasons.REJECTION_REASONS``) goes with ``reject`` only.
    """
    reason_code = reasons.check(reason_code, rejecting=action is Action.REJECT)
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidField(
            f"La raison fait au plus {MAX_REASON} caractères.", code="reason_too_long"
        )
    photo = await _lock(session, photo_id)
    current = Status(photo.status)
    transition = next_transition(current, action, pinned=photo.pinned)
    if transition is None:
        raise await _forbidden(session, photo, action)
    if transition.role is not None and (moderator is None or moderator.role != transition.role):
        raise Forbidden("Réservé aux administrateurs.", code="admin_only")
    if moderator is not None:
        await claims.ensure_not_held_by_other(session, photo.id, moderator)
    if action is Action.PIN:
        await _check_pin_cap(session, max_pinned)
    await _apply(
        session,
        photo,
        to=transition.to,
        event=transition.event,
        pinned=transition.pinned,
        action=action.value,
        moderator=moderator,
        rule=rule,
        reason=reason,
        reason_code=reason_code,
        client=client,
    )
    return photo


async def undo(session: AsyncSession, moderator: Moderator, *, client: str | None = None) -> Photo:
    """Take back the moderator's own last decision (see ``states.UNDO``)."""
    last = await session.scalar(
        select(Decision)
        .where(Decision.moderator_id == moderator.id)
        .order_by(Decision.id.desc())
        .limit(1)
    )
    if last is None or last.action == UNDO_ACTION or Action(last.action) not in UNDO:
        raise Conflict("Aucune décision à annuler.", code="nothing_to_undo")
    if utcnow() - last.created_at > UNDO_WINDOW:
        raise Conflict(
            f"Trop tard pour annuler (plus de {int(UNDO_WINDOW.total_seconds())} secondes).",
            code="undo_expired",
        )
    photo = await _lock(session, last.photo_id)
    await claims.ensure_not_held_by_other(session, photo.id, moderator)
    latest = await last_decision(session, photo.id)
    if latest is None or latest[0].id != last.id or photo.status != last.to_status:
        raise Conflict(
            "La photo a changé depuis cette décision : impossible d'annuler.",
            code="undo_superseded",
        )
    rule = UNDO[Action(last.action)]
    await _apply(
        session,
        photo,
        to=Status(last.from_status),
        event=rule.event,
        pinned=rule.pinned,
        action=UNDO_ACTION,
        moderator=moderator,
        rule=None,
        reason=f"annule la décision {last.id} ({last.action})",
        reason_code=None,
        client=client,
    )
    return photo


async def _apply(
    session: AsyncSession,
    photo: Photo,
    *,
    to: Status,
    event: str | None,
    pinned: bool | None,
    action: str,
    moderator: Moderator | None,
    rule: str | None,
    reason: str | None,
    reason_code: str | None,
    client: str | None,
) -> None:
    now = utcnow()
    current = Status(photo.status)
    photo.status = to.value
    if pinned is not None:
        photo.pinned = pinned
    if to is not current:
        photo.decided_at = None if to is Status.PENDING else now
        if to is Status.APPROVED:
            photo.approved_at = now
        elif current is Status.APPROVED and to is Status.PENDING:
            photo.approved_at = None
    session.add(
        Decision(
            photo_id=photo.id,
            moderator_id=moderator.id if moderator else None,
            rule=rule,
            action=action,
            from_status=current.value,
            to_status=to.value,
            reason=reason,
            reason_code=reason_code,
            created_at=now,
        )
    )
    await audit.record(
        session,
        f"decision.{action}",
        actor=moderator,
        actor_label=f"rule:{rule}" if rule else None,
        client=client,
        photo_id=photo.id,
        details={
            "from": current.value,
            "to": to.value,
            **({"reason_code": reason_code} if reason_code else {}),
            **({"reason": reason} if reason else {}),
        },
    )
    if to is Status.ERASED:
        await erasure.erase(session, photo)
    if event == "photo.removed":
        events.append(session, "photo.removed", {"id": photo.id}, photo.id)
    elif event is not None:
        events.append(session, event, photo_json(photo), photo.id)
    await claims.drop(session, photo.id)
    by = moderator.email if moderator else f"règle {rule}" if rule else "système"
    events.append(
        session,
        "queue.decided",
        {"id": photo.id, "status": to.value, "pinned": photo.pinned, "by": by, "action": action},
        photo.id,
    )
    if to is Status.ERASED:
        await erasure.tell_hubs(session, photo.id)
    await session.flush()
