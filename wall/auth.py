"""Moderator accounts, second factor, server-side sessions and CSRF tokens.

Password hashing lives in ``wall.passwords``, sign-in throttling in
``wall.login_throttle``; ``wall.web.moderation_auth`` puts them together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wall import totp
from wall.models import Moderator, ModeratorSession, utcnow
from wall.passwords import hash_password

COOKIE_NAME = "wall_session"
CSRF_HEADER = "X-CSRF-Token"
IDLE_TIMEOUT = dt.timedelta(hours=4)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=24)
ROLES = ("admin", "moderator")


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    moderator: Moderator
    session: ModeratorSession

    @property
    def is_admin(self) -> bool:
        return self.moderator.role == "admin"


class SessionCookies:
    """Signs the session token carried by the cookie."""

    def __init__(self, secret_key: str) -> None:
        self._signer = Signer(secret_key, salt="wall.session")

    def dump(self, token: str) -> str:
        return self._signer.sign(token).decode()

    def load(self, value: str) -> str | None:
        try:
            return self._signer.unsign(value).decode()
        except BadSignature:
            return None


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def find_moderator(session: AsyncSession, email: str) -> Moderator | None:
    return await session.scalar(select(Moderator).where(Moderator.email == normalize_email(email)))


async def open_session(
    session: AsyncSession, moderator: Moderator, client: str | None
) -> tuple[str, ModeratorSession]:
    """Create a server-side session; returns the cookie token and the row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ModeratorSession(
        id=_token_id(token),
        moderator_id=moderator.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE_TIMEOUT,
        client=client,
    )
    session.add(row)
    await session.flush()
    return token, row


async def resolve_session(session: AsyncSession, token: str) -> SignedIn | None:
    """The signed-in moderator for a cookie token, if the session is still alive."""
    row = await session.get(ModeratorSession, _token_id(token))
    if row is None or not await session_alive(session, row):
        return None
    moderator = await session.get(Moderator, row.moderator_id)
    assert moderator is not None
    return SignedIn(moderator, row)


async def session_alive(session: AsyncSession, row: ModeratorSession) -> bool:
    """Neither expired (idle or absolute) nor belonging to a disabled account."""
    now = utcnow()
    if now >= row.expires_at or now - row.last_seen_at >= IDLE_TIMEOUT:
        return False
    moderator = await session.get(Moderator, row.moderator_id)
    return moderator is not None and not moderator.disabled


async def touch_session(session: AsyncSession, session_id: str) -> None:
    row = await session.get(ModeratorSession, session_id)
    if row is not None:
        row.last_seen_at = utcnow()


async def close_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(ModeratorSession).where(ModeratorSession.id == _token_id(token)))


async def close_all_sessions(session: AsyncSession, moderator_id: int) -> int:
    """End every session of a moderator (logout everywhere); returns how many."""
    result = await session.execute(
        delete(ModeratorSession).where(ModeratorSession.moderator_id == moderator_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def check_totp(moderator: Moderator, code: str) -> bool:
    """True when ``code`` is a fresh code of the moderator's enrolled secret (it is then used)."""
    if not moderator.totp_secret:
        return False
    step = totp.matching_step(moderator.totp_secret, code, after_step=moderator.totp_last_step)
    if step is None:
        return False
    moderator.totp_last_step = step
    return True


async def consume_totp_step(session: AsyncSession, moderator_id: int, step: int) -> bool:
    """Accept a TOTP time step once: an atomic compare-and-set on the last step used.

    Parallel sign-ins with one code all find the step fresh when they read
    it; only one of them moves ``totp_last_step`` past it.
    """
    result = await session.execute(
        update(Moderator)
        .where(
            Moderator.id == moderator_id,
            or_(Moderator.totp_last_step.is_(None), Moderator.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


async def upsert_moderator(
    session: AsyncSession, email: str, password: str, role: str
) -> Moderator:
    """Create a moderator or update their password and role (hashes on the caller's thread)."""
    return await save_moderator(session, email, hash_password(password), role)


async def save_moderator(
    session: AsyncSession, email: str, password_hash: str, role: str
) -> Moderator:
    """Create a moderator or update their password hash and role."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    address = normalize_email(email)
    moderator = await session.scalar(select(Moderator).where(Moderator.email == address))
    if moderator is None:
        moderator = Moderator(email=address, role=role, password_hash=password_hash)
        session.add(moderator)
    else:
        moderator.password_hash = password_hash
        moderator.role = role
        moderator.disabled = False
    await session.flush()
    return moderator
