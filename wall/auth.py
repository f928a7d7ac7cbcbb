"""Moderator passwords, second factor, server-side sessions, CSRF tokens and throttling."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wall import totp
from wall.errors import TooManyRequests
from wall.models import LoginFailure, Moderator, ModeratorSession, utcnow

COOKIE_NAME = "wall_session"
CSRF_HEADER = "X-CSRF-Token"
IDLE_TIMEOUT = dt.timedelta(hours=4)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=24)
ROLES = ("admin", "moderator")

_hasher = PasswordHasher()
# Verified when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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


async def authenticate(session: AsyncSession, email: str, password: str) -> Moderator | None:
    moderator = await session.scalar(
        select(Moderator).where(Moderator.email == email.strip().lower())
    )
    if moderator is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(moderator.password_hash, password) or moderator.disabled:
        return None
    return moderator


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


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


async def upsert_moderator(
    session: AsyncSession, email: str, password: str, role: str
) -> Moderator:
    """Create a moderator or update their password and role."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    address = email.strip().lower()
    moderator = await session.scalar(select(Moderator).where(Moderator.email == address))
    if moderator is None:
        moderator = Moderator(email=address, role=role, password_hash=hash_password(password))
        session.add(moderator)
    else:
        moderator.password_hash = hash_password(password)
        moderator.role = role
        moderator.disabled = False
    await session.flush()
    return moderator


class LoginThrottle:
    """Failed sign-ins per email and per client in a sliding window.

    Failures are rows in ``login_failures``, so every worker shares the count.
    Unknown emails are counted like known ones: the answers never tell which
    accounts exist. A client gets more room than an account (a school's
    moderators may share one address).
    """

    def __init__(
        self, max_failures: int = 5, window_seconds: float = 900, max_client_failures: int = 20
    ) -> None:
        self.max_failures = max_failures
        self.max_client_failures = max_client_failures
        self.window = dt.timedelta(seconds=window_seconds)

    @staticmethod
    def _keys(email: str, client: str) -> tuple[str, str]:
        return f"email:{email.strip().lower()[:250]}", f"client:{client}"

    async def check(self, session: AsyncSession, email: str, client: str) -> None:
        """Raise ``TooManyRequests`` while either key is over its budget."""
        now = utcnow()
        since = now - self.window
        for key, budget in zip(
            self._keys(email, client), (self.max_failures, self.max_client_failures), strict=True
        ):
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(LoginFailure.created_at)).where(
                        LoginFailure.key == key, LoginFailure.created_at > since
                    )
                )
            ).one()
            if count >= budget and oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
                raise TooManyRequests(
                    "Trop de tentatives de connexion. Réessaie dans quelques minutes.",
                    code="login_throttled",
                    retry_after=int((oldest + self.window - now).total_seconds()) + 1,
                )

    async def failed(self, session: AsyncSession, email: str, client: str) -> None:
        now = utcnow()
        await session.execute(
            delete(LoginFailure).where(LoginFailure.created_at < now - self.window)
        )
        session.add_all(LoginFailure(key=key, created_at=now) for key in self._keys(email, client))
        await session.flush()

    async def succeeded(self, session: AsyncSession, email: str) -> None:
        key = self._keys(email, "")[0]
        await session.execute(delete(LoginFailure).where(LoginFailure.key == key))
