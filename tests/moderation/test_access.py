"""Every moderation route checks the session, the role and the CSRF token."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from tests.factories import sign_in
from wall.config import Settings

# (method, path, role needed): "admin", "moderator", or "public" for no check.
ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/api/moderation/photos", "moderator"),
    ("POST", "/api/moderation/photos/bulk", "moderator"),
    ("POST", "/api/moderation/photos/x/decision", "moderator"),
    ("POST", "/api/moderation/photos/x/claim", "moderator"),
    ("POST", "/api/moderation/claims/release", "moderator"),
    ("POST", "/api/moderation/next", "moderator"),
    ("POST", "/api/moderation/undo", "moderator"),
    ("GET", "/api/moderation/events", "moderator"),
    ("GET", "/api/moderation/stats", "moderator"),
    ("POST", "/api/moderation/intake", "admin"),
    ("GET", "/api/moderation/moderators", "admin"),
    ("POST", "/api/moderation/moderators", "admin"),
    ("PATCH", "/api/moderation/moderators/1", "admin"),
    ("POST", "/api/moderation/moderators/1/logout", "admin"),
    ("GET", "/api/moderation/rules", "admin"),
    ("PUT", "/api/moderation/rules", "admin"),
    ("GET", "/api/moderation/audit", "admin"),
    ("GET", "/api/moderation/audit.csv", "admin"),
    ("GET", "/api/moderation/schools", "admin"),
    ("POST", "/api/moderation/schools", "admin"),
    ("POST", "/api/moderation/schools/1/revoke", "admin"),
    ("GET", "/api/moderation/export.zip", "admin"),
    ("GET", "/api/moderation/removal-requests", "moderator"),
    ("POST", "/api/moderation/removal-requests/1/resolve", "moderator"),
    ("GET", "/api/moderation/sources", "moderator"),
    ("POST", "/api/moderation/sources", "admin"),
    ("PATCH", "/api/moderation/sources/x", "admin"),
    ("DELETE", "/api/moderation/sources/x", "admin"),
    ("POST", "/api/auth/logout", "moderator"),
    ("POST", "/api/auth/logout-all", "moderator"),
    ("POST", "/api/auth/totp", "moderator"),
    ("POST", "/api/auth/totp/confirm", "moderator"),
]
PUBLIC = {("POST", "/api/auth/login")}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _route_exists(app: Starlette, method: str, path: str) -> bool:
    return any(
        isinstance(route, Route)
        and method in (route.methods or set())
        and route.path_regex.match(path)
        for route in app.routes
    )


def test_the_table_covers_every_moderation_route(app: Starlette) -> None:
    listed = {(m, p) for m, p, _ in ROUTES} | PUBLIC
    missing = []
    for route in app.routes:
        if not isinstance(route, Route) or not route.path.startswith(
            ("/api/moderation", "/api/auth")
        ):
            continue
        for method in (route.methods or set()) - {"HEAD"}:
            if not any(m == method and route.path_regex.match(p) for m, p in listed):
                missing.append((method, route.path))
    assert missing == []


def _present(app: Starlette, routes: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The table's rows this build serves (the poller's route may land later)."""
    return [r for r in routes if _route_exists(app, r[0], r[1])]


# One test per check and backend, walking the whole table; every mismatch is listed.
async def test_no_session_is_401_everywhere(app: Starlette, client: httpx.AsyncClient) -> None:
    wrong = []
    for method, path, _ in _present(app, ROUTES):
        response = await client.request(method, path, json={})
        if (response.status_code, response.json().get("error")) != (401, "not_signed_in"):
            wrong.append((method, path, response.status_code))
    assert wrong == []


async def test_missing_or_forged_csrf_is_403_everywhere(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_in(client, settings, role="admin")
    wrong = []
    for method, path, _ in _present(app, ROUTES):
        if method not in STATE_CHANGING:
            continue
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            response = await client.request(method, path, json={}, headers=headers)
            if (response.status_code, response.json().get("error")) != (403, "csrf_failed"):
                wrong.append((method, path, headers, response.status_code))
    assert wrong == []


async def test_a_moderator_on_every_admin_route_is_403(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings, email="benevole@ecole.test", role="moderator")
    admin_routes = [r for r in _present(app, ROUTES) if r[2] == "admin"]
    assert len(admin_routes) == 16
    wrong = []
    for method, path, _ in admin_routes:
        response = await client.request(method, path, json={}, headers={"X-CSRF-Token": csrf})
        if (response.status_code, response.json().get("error")) != (403, "admin_only"):
            wrong.append((method, path, response.status_code))
    assert wrong == []


async def test_a_moderator_passes_the_checks_on_moderator_routes(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    """The other side of the coin: the checks do not refuse the right person."""
    csrf = await sign_in(client, settings, email="benevole@ecole.test", role="moderator")
    refused = []
    for method, path, role in _present(app, ROUTES):
        if role != "moderator" or path.startswith("/api/auth") or path.endswith("/events"):
            continue
        response = await client.request(method, path, json={}, headers={"X-CSRF-Token": csrf})
        if response.status_code in (401, 403):
            refused.append((method, path, response.status_code))
    assert refused == []


async def test_admin_pages_redirect(client: httpx.AsyncClient, settings: Settings) -> None:
    assert (await client.get("/moderation/admin")).status_code == 303
    await sign_in(client, settings, email="benevole@ecole.test", role="moderator")
    page = await client.get("/moderation/admin")
    assert page.status_code == 303 and page.headers["location"].endswith("/moderation")
