"""Moderators' accounts: the one service behind ``wall moderator`` and the admin page.

Adding, listing, disabling and changing the role of a moderator are written
here once; the command line and the admin routes only parse their input and
print or render the result. Each change writes its audit row in the caller's
transaction, with the acting admin or a label (``cli``) as the actor.
Password hashes are computed by the caller before the write transaction
opens (argon2 holds a core for about 0.3 s).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wall import auth
from wall.errors import Conflict, InvalidField, NotFound
from wall.models import Moderator, ModeratorSession
from wall.moderation import audit
from wall.photos import iso

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_EMAIL = 254


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an admin signed in, or a label such as ``cli``."""

    moderator: Moderator | None = None
    label: str | None = None
    client: str | None = None

    async def record(
        self, session: AsyncSession, action: str, target: str, details: dict[str, Any]
    ) -> None:
        """One audit row of this actor's change to ``target``, in the caller's transaction."""
        await audit.record(
            session,
            action,
            actor=self.moderator,
            actor_label=self.label,
            client=self.client,
            target=target,
            details=details,
        )


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    role: str
    disabled: bool
    totp_enabled: bool
    created_at: dt.datetime
    active_sessions: int

    @classmethod
    def of(cls, moderator: Moderator, sessions: int) -> Account:
        return cls(
            moderator.id,
            moderator.email,
            moderator.role,
            moderator.disabled,
            moderator.totp_enabled,
            moderator.created_at,
            sessions,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "role": self.role,
            "disabled": self.disabled,
            "totp_enabled": self.totp_enabled,
            "created_at": iso(self.created_at),
            "active_sessions": self.active_sessions,
        }


def check_role(raw: object) -> str:
    if not isinstance(raw, str) or raw not in auth.ROLES:
        raise InvalidField("Le rôle est « admin » ou « moderator ».", code="invalid_role")
    return raw


def check_email(raw: object) -> str:
    if not isinstance(raw, str) or "@" not in raw or len(raw.strip()) > MAX_EMAIL:
        raise InvalidField("Donne un courriel valide.", code="invalid_email")
    return auth.normalize_email(raw)


def check_password(raw: object) -> str:
    if not isinstance(raw, str) or not MIN_PASSWORD <= len(raw) <= MAX_PASSWORD:
        raise InvalidField(
            f"Le mot de passe a au moins {MIN_PASSWORD} caractères.", code="weak_password"
        )
    return raw


async def add(
    session: AsyncSession,
    email: str,
    password_hash: str,
    role: str,
    actor: Actor,
    *,
    replace: bool = False,
) -> Account:
    """Create a moderator; with ``replace``, an existing one gets the new password and role.

    ``409 moderator_exists`` when the address has an account and ``replace`` is off.
    """
    address = check_email(email)
    role = check_role(role)
    existing = await auth.find_moderator(session, address)
    if existing is not None and not replace:
        raise Conflict("Ce courriel a déjà un compte.", code="moderator_exists")
    moderator = await auth.save_moderator(session, address, password_hash, role)
    await _record(session, actor, "moderator.added", moderator, {"role": role})
    return Account.of(moderator, 0)


async def listing(session: AsyncSession) -> list[Account]:
    """Every moderator by address, with their open sessions."""
    counts: dict[int, int] = {
        moderator_id: int(n)
        for moderator_id, n in (
            await session.execute(
                select(ModeratorSession.moderator_id, func.count()).group_by(
                    ModeratorSession.moderator_id
                )
            )
        ).all()
    }
    rows = (await session.scalars(select(Moderator).order_by(Moderator.email))).all()
    return [Account.of(m, counts.get(m.id, 0)) for m in rows]


async def locked(
    session: AsyncSession, *, moderator_id: int | None = None, email: str = ""
) -> Moderator:
    """The moderator row, locked for a change; ``404 moderator_not_found`` otherwise."""
    query = select(Moderator).with_for_update()
    if moderator_id is not None:
        query = query.where(Moderator.id == moderator_id)
    else:
        query = query.where(Moderator.email == auth.normalize_email(email))
    moderator = await session.scalar(query)
    if moderator is None:
        raise NotFound("Ce compte n'existe pas.", code="moderator_not_found")
    return moderator


async def set_disabled(
    session: AsyncSession, moderator: Moderator, disabled: bool, actor: Actor
) -> int:
    """Disable (ending every session) or enable an account; returns the sessions ended."""
    if disabled == moderator.disabled:
        return 0
    moderator.disabled = disabled
    ended = await auth.close_all_sessions(session, moderator.id) if disabled else 0
    await _record(
        session,
        actor,
        "moderator.disabled" if disabled else "moderator.enabled",
        moderator,
        {"sessions": ended} if disabled else {},
    )
    return ended


async def set_role(session: AsyncSession, moderator: Moderator, role: str, actor: Actor) -> None:
    role = check_role(role)
    if role == moderator.role:
        return
    await _record(
        session, actor, "moderator.role_changed", moderator, {"from": moderator.role, "to": role}
    )
    moderator.role = role


async def _record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    moderator: Moderator,
    details: dict[str, Any],
) -> None:
    await actor.record(session, action, moderator.email, details)
