"""Signing in and out, and enrolling the second factor (TOTP)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from wall import auth, totp
from wall.errors import InvalidField, TooManyRequests, Unauthorized
from wall.models import Moderator
from wall.moderation import audit
from wall.web.responses import render
from wall.web.session import client_ip, needs_totp_enrolment, read_json, require_moderator

LOGIN_TEXT = {
    "fr": {
        "title": "Connexion à la modération",
        "email": "Courriel",
        "password": "Mot de passe",
        "totp": "Code de double authentification (si activée)",
        "submit": "Se connecter",
        "switch": "English",
        "switch_lang": "en",
    },
    "en": {
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
    cookies: auth.SessionCookies = request.state.cookies
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
    """Check the throttle, the password and (when enrolled) the TOTP code; open a session.

    Every attempt is audited, without the password.
    """
    throttle: auth.LoginThrottle = request.state.login_throttle
    client = client_ip(request)
    async with request.state.db.reading() as session:
        await throttle.check(session, email, client)
    failure: Unauthorized | None = None
    async with request.state.db.writing() as session:
        moderator = await auth.authenticate(session, email, password)
        if moderator is not None and moderator.totp_enabled:
            if not code:
                failure = Unauthorized(
                    "Entre le code de ton application de double authentification.",
                    code="totp_required",
                )
            elif not auth.check_totp(moderator, code):
                moderator = None
        if moderator is None:
            failure = Unauthorized("Courriel ou mot de passe incorrect.", code="bad_credentials")
            await throttle.failed(session, email, client)
        if failure is not None:
            await audit.record(
                session,
                "auth.login_failed",
                actor_label=email.strip().lower()[:254] or "?",
                client=client,
                details={"reason": failure.code},
            )
        else:
            assert moderator is not None
            await throttle.succeeded(session, email)
            token, row = await auth.open_session(session, moderator, client)
            await audit.record(session, "auth.login", actor=moderator, client=client)
            result = SignInResult(
                token,
                row.csrf_token,
                moderator.role,
                needs_totp_enrolment(request, auth.SignedIn(moderator, row)),
            )
    if failure is not None:
        raise failure
    return result


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
    cookies: auth.SessionCookies = request.state.cookies
    token = cookies.load(request.cookies.get(auth.COOKIE_NAME, ""))
    async with request.state.db.writing() as session:
        if token is not None:
            await auth.close_session(session, token)
        await audit.record(session, "auth.logout", actor=who.moderator, client=client_ip(request))
    response = JSONResponse({"status": "signed_out"})
    response.delete_cookie(auth.COOKIE_NAME, path="/")
    return response


async def api_logout_all(request: Request) -> Response:
    """End every session of the signed-in moderator, this one included."""
    who = await require_moderator(request, enrolling=True)
    async with request.state.db.writing() as session:
        ended = await auth.close_all_sessions(session, who.moderator.id)
        await audit.record(
            session,
            "auth.logout_all",
            actor=who.moderator,
            client=client_ip(request),
            details={"sessions": ended},
        )
    response = JSONResponse({"status": "signed_out", "sessions_ended": ended})
    response.delete_cookie(auth.COOKIE_NAME, path="/")
    return response


async def api_totp_enrol(request: Request) -> Response:
    """Start (or restart) enrolment: a new secret and its otpauth:// URI, not yet active."""
    who = await require_moderator(request, enrolling=True)
    secret = totp.new_secret()
    async with request.state.db.writing() as session:
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
    async with request.state.db.writing() as session:
        moderator = await session.get(Moderator, who.moderator.id, with_for_update=True)
        assert moderator is not None
        if not moderator.totp_secret or moderator.totp_enabled:
            raise InvalidField("Commence par demander un secret.", code="totp_not_started")
        if not auth.check_totp(moderator, code):
            raise InvalidField("Ce code n'est pas valide.", code="invalid_totp")
        moderator.totp_enabled = True
        await audit.record(session, "auth.totp_enabled", actor=moderator, client=client_ip(request))
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
        result = await sign_in(request, email, password, code)
    except (Unauthorized, TooManyRequests) as exc:
        context.update(error=exc.message, email=email)
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
