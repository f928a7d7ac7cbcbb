"""Who is signed in, and the checks every moderation route makes."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request

from wall import auth
from wall.errors import Forbidden, Unauthorized
from wall.models import utcnow

# Keep idle expiry honest without a write on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def signed_in(request: Request) -> auth.SignedIn | None:
    """The moderator behind the session cookie, or None."""
    raw = request.cookies.get(auth.COOKIE_NAME)
    if not raw:
        return None
    cookies: auth.SessionCookies = request.state.cookies
    token = cookies.load(raw)
    if token is None:
        return None
    async with request.state.db.reading() as session:
        return await auth.resolve_session(session, token)


async def require_moderator(request: Request, *, role: str | None = None) -> auth.SignedIn:
    """``401`` without a live session, ``403`` without a valid CSRF token or the role."""
    who = await signed_in(request)
    if who is None:
        raise Unauthorized("Connecte-toi pour modérer.", code="not_signed_in")
    if request.method not in SAFE_METHODS and not auth.csrf_matches(
        who.session.csrf_token, request.headers.get(auth.CSRF_HEADER)
    ):
        raise Forbidden("Jeton CSRF manquant ou invalide.", code="csrf_failed")
    if role == "admin" and not who.is_admin:
        raise Forbidden("Réservé aux administrateurs.", code="admin_only")
    if utcnow() - who.session.last_seen_at > TOUCH_EVERY:
        async with request.state.db.writing() as session:
            await auth.touch_session(session, who.session.id)
    return who


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
