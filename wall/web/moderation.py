"""The moderators' side: sign-in, the queue API and page, decisions."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from wall import auth, photos
from wall.errors import BadRequest, InvalidField, TooManyRequests, Unauthorized
from wall.moderation import service
from wall.moderation.states import Action, Status
from wall.web.responses import render
from wall.web.session import client_ip, require_moderator, signed_in

MAX_JSON = 16 * 1024


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
    return data


def _set_cookie(request: Request, response: Response, token: str) -> None:
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


async def _sign_in(request: Request, email: str, password: str) -> tuple[str, Any, str]:
    throttle: auth.LoginThrottle = request.state.login_throttle
    client = client_ip(request)
    throttle.check(email, client)
    async with request.state.db.writing() as session:
        moderator = await auth.authenticate(session, email, password)
        if moderator is None:
            throttle.failed(email, client)
            raise Unauthorized("Courriel ou mot de passe incorrect.", code="bad_credentials")
        throttle.succeeded(email)
        token, row = await auth.open_session(session, moderator, client)
        return token, row.csrf_token, moderator.role


async def api_login(request: Request) -> Response:
    data = await read_json(request)
    email, password = data.get("email"), data.get("password")
    if not isinstance(email, str) or not isinstance(password, str) or len(password) > 1024:
        raise InvalidField("Donne un courriel et un mot de passe.", code="credentials_required")
    token, csrf, role = await _sign_in(request, email, password)
    response = JSONResponse({"csrf_token": csrf, "role": role})
    _set_cookie(request, response, token)
    return response


async def api_logout(request: Request) -> Response:
    await require_moderator(request)
    cookies: auth.SessionCookies = request.state.cookies
    token = cookies.load(request.cookies.get(auth.COOKIE_NAME, ""))
    if token is not None:
        async with request.state.db.writing() as session:
            await auth.close_session(session, token)
    response = JSONResponse({"status": "signed_out"})
    response.delete_cookie(auth.COOKIE_NAME, path="/")
    return response


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "login.html", {"error": None, "email": ""})
    form = await request.form(max_files=0, max_fields=5, max_part_size=4096)
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    try:
        token, _csrf, _role = await _sign_in(request, email, password)
    except (Unauthorized, TooManyRequests) as exc:
        response = render(
            request, "login.html", {"error": exc.message, "email": email}, status=exc.status
        )
        response.headers.update(exc.headers)
        return response
    response = RedirectResponse(request.url_for("moderation_page"), status_code=303)
    _set_cookie(request, response, token)
    return response


async def moderation_page(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return RedirectResponse(request.url_for("login"), status_code=303)
    return render(
        request,
        "moderation.html",
        {
            "csrf_token": who.session.csrf_token,
            "email": who.moderator.email,
            "role": who.moderator.role,
        },
    )


def _status_param(raw: str | None) -> Status:
    try:
        return Status(raw or "pending")
    except ValueError:
        raise BadRequest("Statut inconnu.", code="bad_status") from None


async def list_photos(request: Request) -> Response:
    await require_moderator(request)
    status = _status_param(request.query_params.get("status"))
    limit = photos.parse_limit(request.query_params.get("limit"))
    async with request.state.db.reading() as session:
        rows, next_cursor = await photos.page_by_status(
            session, status, limit, request.query_params.get("before")
        )
        total = await photos.count_by_status(session, status)
    return JSONResponse(
        {"photos": [photos.mod_photo_json(p) for p in rows], "next": next_cursor, "count": total}
    )


async def decision(request: Request) -> Response:
    who = await require_moderator(request)
    data = await read_json(request)
    action = service.parse_action(data.get("action"))
    if action is Action.WITHDRAW:
        raise InvalidField(
            "Action réservée à la personne qui a envoyé la photo.", code="invalid_action"
        )
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidField("La raison doit être du texte.", code="invalid_reason")
    async with request.state.db.writing() as session:
        photo = await service.decide(
            session,
            request.path_params["photo_id"],
            action,
            moderator=who.moderator,
            reason=reason or None,
        )
    request.state.hub.wake()
    return JSONResponse(photos.mod_photo_json(photo))


routes = [
    Route("/login", login_page, methods=["GET", "POST"], name="login"),
    Route("/moderation", moderation_page, name="moderation_page"),
    Route("/api/auth/login", api_login, methods=["POST"], name="api_login"),
    Route("/api/auth/logout", api_logout, methods=["POST"], name="api_logout"),
    Route("/api/moderation/photos", list_photos, name="moderation_photos"),
    Route(
        "/api/moderation/photos/{photo_id}/decision",
        decision,
        methods=["POST"],
        name="moderation_decision",
    ),
]
