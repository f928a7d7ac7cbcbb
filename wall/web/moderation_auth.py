"""Signing in and out, and enrolling the second factor (TOTP)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from wall import auth, totp
from wall.errors import InvalidField, TooManyRequests, Unauthorized
from wall.login_throttle import LoginThrottle, ThrottleKeys
from wall.models import Moderator
from wall.moderation import audit
from wall.passwords import PasswordHashing, SignInBusy
from wall.pseudonyms import pseudonym
from wall.state import app_state
from wall.web.inputs import check_form, strip_refused
from wall.web.responses import render
from wall.web.session import (
    audit_client,
    client_ip,
    needs_totp_enrolment,
    read_json,
    require_moderator,
)

LOGIN_TEXT = {
    "fr": {
        "html_lang": "fr-CA",
        "title": "Connexion à la modération",
        "email": "Courriel",
        "password": "Mot de passe",
        "totp": "Code de double authentification (si activée)",
        "submit": "Se connecter",
        "switch": "English",
        "switch_lang": "en",
    },
    "en": {
        "html_lang": "en-CA",
        "title": "Moderation sign-in",
        "email": "Email",
        "password": "Password",
        "totp": "Two-factor code (if enabled)",
        "submit": "Sign in",
        "switch": "Français",
        "switch_lang": "fr",
    },
}


@dataclass(frozen=True)
class SignInResult:
    token: str
    csrf_token: str
    role: str
    totp_enrolment_required: bool


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    cookies: auth.SessionCookies = app_state(request)["cookies"]
    response.set_cookie(
        auth.COOKIE_NAME,
        cookies.dump(token),
        max_age=int(auth.ABSOLUTE_TIMEOUT.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


async def sign_in(request: Request, email: str, password: str, code: str | None) -> SignInResult:
    """Throttle, check the password (and the TOTP code when enrolled), open a session.

        The attempt is reserved in the throttle before any hash runs; the hash
        runs in the bounded pool, outside every transaction; a TOTP step is taken
        by compare-and-set. Every attempt is audited, without the password, and a
    failed one without the typed email (see ``failed_actor``).
    """
    hashing: PasswordHashing = app_state(request)["password_hashing"]
    throttle: LoginThrottle = app_state(request)["login_throttle"]
    db = app_state(request)["db"]
    client = client_ip(request)
    secret_key: str = app_state(request)["secret_key"]
    keys = ThrottleKeys.of(email, client, secret_key)
    async with hashing.admission():
        async with db.reading() as session:
            await throttle.refuse_early(session, keys)
        async with db.writing() as session:
            await throttle.reserve(session, keys)
        async with db.reading() as session:
            moderator = await auth.find_moderator(session, email)
        checked_hash = moderator.password_hash if moderator is not None else None
        password_ok = await hashing.verify(checked_hash, password)
    failure, step = _verdict(moderator, password_ok, code)
    if failure is None:
        assert moderator is not None
        async with db.writing() as session:
            result = await _open_signed_session(request, session, moderator, checked_hash, step)
            if result is not None:
                await throttle.succeeded(session, keys)
                await audit.record(
                    session, "auth.login", actor=moderator, client=audit_client(request)
                )
                return result
        failure = "bad_credentials"
    async with db.writing() as session:
        if failure == "totp_required":
            await throttle.refund(session, keys)
        await throttle.sweep(session)
        await audit.record(
            session,
            "auth.login_failed",
            actor_label=failed_actor(secret_key, email, moderator),
            client=audit_client(request),
            details={"reason": failure},
        )
    if failure == "totp_required":
        raise Unauthorized(
            "Le code de l'application de double authentification est requis.", code="totp_required"
        )
    raise Unauthorized("Courriel ou mot de passe incorrect.", code="bad_credentials")


def failed_actor(secret_key: str, email: str, moderator: Moderator | None) -> str:
    """Who a failed attempt names in the audit log: never the typed text.

    People type names, even a child's, into the email field. A known account
    is named by its own stored address; anything else only by a keyed hash,
    which still shows repeated tries of one value.
    """
    if moderator is not None:
        return moderator.email
    return "unknown:" + pseudonym(secret_key, "sign-in email", auth.normalize_email(email))


def _verdict(
    moderator: Moderator | None, password_ok: bool, code: str | None
) -> tuple[str | None, int | None]:
    """(the failure's code or None, the TOTP time step to take if any)."""
    if moderator is None or not password_ok or moderator.disabled:
        return "bad_credentials", None
    if not moderator.totp_enabled:
        return None, None
    if not code:
        return "totp_required", None
    assert moderator.totp_secret is not None
    step = totp.matching_step(moderator.totp_secret, code, after_step=moderator.totp_last_step)
    return (None, step) if step is not None else ("bad_credentials", None)


async def _open_signed_session(
    request: Request,
    session: AsyncSession,
    moderator: Moderator,
    checked_hash: str | None,
    step: int | None,
) -> SignInResult | None:
    """Open the session if the account is as it was checked; None if it changed meanwhile."""
    current = await session.get(Moderator, moderator.id, with_for_update=True)
    if current is None or current.disabled or current.password_hash != checked_hash:
        return None
    if step is not None and not await auth.consume_totp_step(session, moderator.id, step):
        return None  # the same code won a parallel sign-in first
    token, row = await auth.open_session(session, current, audit_client(request))
    return SignInResult(
        token,
        row.csrf_token,
        current.role,
        needs_totp_enrolment(request, auth.SignedIn(current, row)),
    )


async def api_login(request: Request) -> Response:
    data = await read_json(request)
    email, password, code = data.get("email"), data.get("password"), data.get("totp")
    if not isinstance(email, str) or not isinstance(password, str) or len(password) > 1024:
        raise InvalidField("Donne un courriel et un mot de passe.", code="credentials_required")
    if code is not None and not isinstance(code, str):
        raise InvalidField("Le code TOTP est un texte de six chiffres.", code="invalid_totp")
    result = await sign_in(request, email, password, code)
    body: dict[str, object] = {"csrf_token": result.csrf_token, "role": result.role}
    if result.totp_enrolment_required:
        body["totp_enrolment_required"] = True
    response = JSONResponse(body)
    set_session_cookie(request, response, result.token)
    return response


async def api_logout(request: Request) -> Response:
    who = await require_moderator(request, enrolling=True)
    cookies: auth.SessionCookies = app_state(request)["cookies"]
    token = cookies.load(request.cookies.get(auth.COOKIE_NAME, ""))
    async with app_state(request)["db"].writing() as session:
        if token is not None:
            await auth.close_session(session, token)
        await audit.record(
            session, "auth.logout", actor=who.moderator, client=audit_client(request)
        )
    response = JSONResponse({"status": "signed_out"})
    response.delete_cookie(auth.COOKIE_NAME, path="/")
    return response


async def api_logout_all(request: Request) -> Response:
    """End every session of the signed-in moderator, this one included."""
    who = await require_moderator(request, enrolling=True)
    async with app_state(request)["db"].writing() as session:
        ended = await auth.close_all_sessions(session, who.moderator.id)
        await audit.record(
            session,
            "auth.logout_all",
            actor=who.moderator,
            client=audit_client(request),
            details={"sessions": ended},
        )
    response = JSONResponse({"status": "signed_out", "sessions_ended": ended})
    response.delete_cookie(auth.COOKIE_NAME, path="/")
    return response


async def api_totp_enrol(request: Request) -> Response:
    """Start (or restart) enrolment: a new secret and its otpauth:// URI, not yet active."""
    who = await require_moderator(request, enrolling=True)
    secret = totp.new_secret()
    async with app_state(request)["db"].writing() as session:
        moderator = await session.get(Moderator, who.moderator.id, with_for_update=True)
        assert moderator is not None
        if moderator.totp_enabled:
            raise InvalidField(
                "La double authentification est déjà active.", code="totp_already_enabled"
            )
        moderator.totp_secret = secret
    return JSONResponse(
        {"secret": secret, "otpauth_uri": totp.provisioning_uri(secret, who.moderator.email)}
    )


async def api_totp_confirm(request: Request) -> Response:
    """Activate the second factor with a first valid code."""
    who = await require_moderator(request, enrolling=True)
    data = await read_json(request)
    code = data.get("code")
    if not isinstance(code, str):
        raise InvalidField("Donne le code à six chiffres.", code="invalid_totp")
    async with app_state(request)["db"].writing() as session:
        moderator = await session.get(Moderator, who.moderator.id, with_for_update=True)
        assert moderator is not None
        if not moderator.totp_secret or moderator.totp_enabled:
            raise InvalidField("Commence par demander un secret.", code="totp_not_started")
        if not auth.check_totp(moderator, code):
            raise InvalidField("Ce code n'est pas valide.", code="invalid_totp")
        moderator.totp_enabled = True
        await audit.record(
            session, "auth.totp_enabled", actor=moderator, client=audit_client(request)
        )
    return JSONResponse({"totp_enabled": True})


async def login_page(request: Request) -> Response:
    lang = "en" if request.query_params.get("lang") == "en" else "fr"
    context = {"error": None, "email": "", "t": LOGIN_TEXT[lang], "lang": lang}
    if request.method == "GET":
        return render(request, "login.html", context)
    form = await request.form(max_files=0, max_fields=6, max_part_size=4096)
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    code = str(form.get("totp") or "").strip() or None
    try:
        check_form(form)  # refused text never reaches the database; the page comes back
        result = await sign_in(request, email, password, code)
    except (Unauthorized, TooManyRequests, SignInBusy, InvalidField) as exc:
        context.update(error=exc.message, email=strip_refused(email))
        response = render(request, "login.html", context, status=exc.status)
        response.headers.update(exc.headers)
        return response
    response = RedirectResponse(request.url_for("moderation_page"), status_code=303)
    set_session_cookie(request, response, result.token)
    return response


routes = [
    Route("/login", login_page, methods=["GET", "POST"], name="login"),
    Route("/api/auth/login", api_login, methods=["POST"], name="api_login"),
    Route("/api/auth/logout", api_logout, methods=["POST"], name="api_logout"),
    Route("/api/auth/logout-all", api_logout_all, methods=["POST"], name="api_logout_all"),
    Route("/api/auth/totp", api_totp_enrol, methods=["POST"], name="api_totp_enrol"),
    Route("/api/auth/totp/confirm", api_totp_confirm, methods=["POST"], name="api_totp_confirm"),
]
