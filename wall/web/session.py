"""Who is signed in, the checks every moderation route makes, and their JSON bodies."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.requests import Request

from wall import auth
from wall.config import Settings
from wall.errors import BadRequest, Forbidden, Unauthorized
from wall.models import utcnow
from wall.pseudonyms import pseudonym
from wall.state import app_state
from wall.web.inputs import check_json

# Keep idle expiry honest without a write on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_JSON = 64 * 1024


async def signed_in(request: Request) -> auth.SignedIn | None:
    """The moderator behind the session cookie, or None."""
    raw = request.cookies.get(auth.COOKIE_NAME)
    if not raw:
        return None
    cookies: auth.SessionCookies = app_state(request)["cookies"]
    token = cookies.load(raw)
    if token is None:
        return None
    async with app_state(request)["db"].reading() as session:
        return await auth.resolve_session(session, token)


def needs_totp_enrolment(request: Request, who: auth.SignedIn) -> bool:
    settings: Settings = app_state(request)["settings"]
    return settings.require_admin_totp and who.is_admin and not who.moderator.totp_enabled


async def require_moderator(
    request: Request,
    *,
    role: str | None = None,
    enrolling: bool = False,
    csrf_token: str | None = None,
) -> auth.SignedIn:
    """``401`` without a live session, ``403`` without a valid CSRF token or the role.

    The token comes in the ``X-CSRF-Token`` header; ``csrf_token`` is one read
    from the body instead, for the one request that cannot set a header
    (``navigator.sendBeacon`` when a tab closes).

    With ``WALL_REQUIRE_ADMIN_TOTP``, an admin without a second factor may
    only reach the enrolment routes (``enrolling``) until they enrol.
    """
    who = await signed_in(request)
    if who is None:
        raise Unauthorized("Connecte-toi pour modérer.", code="not_signed_in")
    if request.method not in SAFE_METHODS and not auth.csrf_matches(
        who.session.csrf_token, request.headers.get(auth.CSRF_HEADER) or csrf_token
    ):
        raise Forbidden("Jeton CSRF manquant ou invalide.", code="csrf_failed")
    if role == "admin" and not who.is_admin:
        raise Forbidden("Réservé aux administrateurs.", code="admin_only")
    if not enrolling and needs_totp_enrolment(request, who):
        raise Forbidden(
            "Active d'abord la double authentification (TOTP).", code="totp_enrolment_required"
        )
    if utcnow() - who.session.last_seen_at > TOUCH_EVERY:
        async with app_state(request)["db"].writing() as session:
            await auth.touch_session(session, who.session.id)
    return who


def client_ip(request: Request) -> str:
    """The peer's address, for throttles that hash it themselves; never store it as is."""
    return request.client.host if request.client else "unknown"


def audit_client(request: Request) -> str:
    """The client as the audit log and the sessions table keep it: a keyed hash of its address.

    The same address always gives the same value, so an admin can still see
    that two rows came from one place, but the address cannot be read back.
    """
    return pseudonym(app_state(request)["secret_key"], "audit client", client_ip(request))


async def read_json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_JSON:
        raise BadRequest("Le corps de la requête est trop long.", code="body_too_large")
    try:
        data = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("Le corps doit être du JSON valide.", code="malformed_json") from None
    if not isinstance(data, dict):
        raise BadRequest("Le corps doit être un objet JSON.", code="malformed_json")
    check_json(data)
    return data
