"""Admins' routes: moderators and their roles (through ``wall.accounts``), rules, the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from wall import accounts, auth, photos
from wall.errors import Conflict, InvalidField, NotFound
from wall.models import Moderator
from wall.moderation import audit, rules
from wall.passwords import PasswordHashing
from wall.sources.registry import ADAPTERS
from wall.sources.toml import CREDENTIALS
from wall.state import app_state
from wall.web import school_admin
from wall.web.inputs import parse_id, parse_int
from wall.web.responses import render
from wall.web.session import audit_client, read_json, require_moderator, signed_in


async def admin_page(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return RedirectResponse(request.url_for("login"), status_code=303)
    if not who.is_admin:
        return RedirectResponse(request.url_for("moderation_page"), status_code=303)
    return render(
        request,
        "moderation_admin.html",
        {
            "csrf_token": who.session.csrf_token,
            "email": who.moderator.email,
            "role": "admin",
            "regions": app_state(request)["settings"].regions,
            "source_types": sorted(ADAPTERS),
            "credential_fields": CREDENTIALS,
        },
    )


async def list_moderators(request: Request) -> Response:
    await require_moderator(request, role="admin")
    async with app_state(request)["db"].reading() as session:
        found = await accounts.listing(session)
    return JSONResponse({"moderators": [account.to_json() for account in found]})


async def add_moderator(request: Request) -> Response:
    who = await require_moderator(request, role="admin")
    data = await read_json(request)
    email = accounts.check_email(data.get("email"))
    role = accounts.check_role(data.get("role", "moderator"))
    password = accounts.check_password(data.get("password"))
    hashing: PasswordHashing = app_state(request)["password_hashing"]
    password_hash = await hashing.hash(password)  # in the pool, before the transaction
    actor = accounts.Actor(who.moderator, client=audit_client(request))
    async with app_state(request)["db"].writing() as session:
        account = await accounts.add(session, email, password_hash, role, actor)
    return JSONResponse(account.to_json(), status_code=201)


async def _target(request: Request, session: Any) -> Moderator:
    moderator_id = parse_id(request.path_params["moderator_id"])
    if moderator_id is None:
        raise NotFound("Ce compte n'existe pas.", code="moderator_not_found")
    return await accounts.locked(session, moderator_id=moderator_id)


async def update_moderator(request: Request) -> Response:
    """Change a moderator's role or disable/enable them (disabling ends their sessions)."""
    who = await require_moderator(request, role="admin")
    data = await read_json(request)
    if set(data) - {"role", "disabled"} or not data:
        raise InvalidField("On change « role » ou « disabled ».", code="invalid_change")
    role = accounts.check_role(data["role"]) if "role" in data else None
    disabled = data.get("disabled")
    if disabled is not None and not isinstance(disabled, bool):
        raise InvalidField("disabled vaut true ou false.", code="invalid_change")
    actor = accounts.Actor(who.moderator, client=audit_client(request))
    async with app_state(request)["db"].writing() as session:
        moderator = await _target(request, session)
        if moderator.id == who.moderator.id:
            raise Conflict(
                "Impossible de changer son propre rôle ou de se désactiver.",
                code="cannot_change_self",
            )
        if role is not None:
            await accounts.set_role(session, moderator, role, actor)
        if disabled is not None:
            await accounts.set_disabled(session, moderator, disabled, actor)
        body = accounts.Account.of(moderator, 0).to_json()
    return JSONResponse(body)


async def end_sessions(request: Request) -> Response:
    """End every session of a moderator (a lost phone, a volunteer gone home)."""
    who = await require_moderator(request, role="admin")
    async with app_state(request)["db"].writing() as session:
        moderator = await _target(request, session)
        ended = await auth.close_all_sessions(session, moderator.id)
        await audit.record(
            session,
            "moderator.sessions_ended",
            actor=who.moderator,
            client=audit_client(request),
            target=moderator.email,
            details={"sessions": ended},
        )
    return JSONResponse({"sessions_ended": ended})


async def get_rules(request: Request) -> Response:
    await require_moderator(request, role="admin")
    async with app_state(request)["db"].reading() as session:
        config = await rules.load(session)
    return JSONResponse(config.to_json())


async def put_rules(request: Request) -> Response:
    """Replace some or all rule settings; the others keep their value."""
    who = await require_moderator(request, role="admin")
    data = await read_json(request)
    async with app_state(request)["db"].writing() as session:
        config = await rules.save(session, data, who.moderator, audit_client(request))
    return JSONResponse(config.to_json())


def _audit_filters(request: Request) -> tuple[str | None, str | None]:
    params = request.query_params
    return params.get("action") or None, params.get("actor") or None


async def audit_log(request: Request) -> Response:
    await require_moderator(request, role="admin")
    limit = photos.parse_limit(request.query_params.get("limit"))
    raw_before = request.query_params.get("before")
    before = (
        parse_int(raw_before, code="bad_cursor", message="before est un numéro d'entrée.")
        if raw_before
        else None
    )
    action, actor = _audit_filters(request)
    async with app_state(request)["db"].reading() as session:
        entries = await audit.page(session, limit, before, action=action, actor=actor)
    next_id = entries[-1].id if len(entries) == limit else None
    return JSONResponse({"entries": [audit.entry_json(e) for e in entries], "next": next_id})


async def audit_csv(request: Request) -> Response:
    who = await require_moderator(request, role="admin")
    action, actor = _audit_filters(request)
    async with app_state(request)["db"].writing() as session:
        entries = await audit.stream_all(session, action=action, actor=actor)
        await audit.record(
            session, "audit.exported", actor=who.moderator, client=audit_client(request)
        )

    async def body() -> AsyncIterator[bytes]:
        for line in audit.csv_lines(entries):
            yield line.encode()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="journal-moderation.csv"'},
    )


routes = [
    Route("/moderation/admin", admin_page, name="moderation_admin_page"),
    Route("/api/moderation/moderators", list_moderators, name="moderation_moderators"),
    Route(
        "/api/moderation/moderators",
        add_moderator,
        methods=["POST"],
        name="moderation_moderator_add",
    ),
    Route(
        "/api/moderation/moderators/{moderator_id}",
        update_moderator,
        methods=["PATCH"],
        name="moderation_moderator_update",
    ),
    Route(
        "/api/moderation/moderators/{moderator_id}/logout",
        end_sessions,
        methods=["POST"],
        name="moderation_moderator_logout",
    ),
    Route("/api/moderation/rules", get_rules, name="moderation_rules"),
    Route("/api/moderation/rules", put_rules, methods=["PUT"], name="moderation_rules_put"),
    Route("/api/moderation/audit", audit_log, name="moderation_audit"),
    Route("/api/moderation/audit.csv", audit_csv, name="moderation_audit_csv"),
    *school_admin.routes,
]
