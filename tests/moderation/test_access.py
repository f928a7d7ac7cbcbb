"""Every moderation route checks the session, the role and the CSRF token."""

from __future__ import annotations

import httpx
import pytest
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
    ("GET", "/api/moderation/removal-requests", "moderator"),
    ("POST", "/api/moderation/removal-requests/1/resolve", "moderator"),
    ("GET", "/api/moderation/sources", "moderator"),  # the poller's; checked once it lands
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


@pytest.mark.parametrize(("method", "path", "role"), ROUTES)
async def test_no_session_is_401(
    app: Starlette, client: httpx.AsyncClient, method: str, path: str, role: str
) -> None:
    if not _route_exists(app, method, path):
        pytest.skip(f"{method} {path} is not in this build")
    response = await client.request(method, path, json={})
    assert response.status_code == 401
    assert response.json()["error"] == "not_signed_in"


@pytest.mark.parametrize(("method", "path", "role"), [r for r in ROUTES if r[0] in STATE_CHANGING])
async def test_missing_csrf_is_403(
    app: Starlette,
    client: httpx.AsyncClient,
    settings: Settings,
    method: str,
    path: str,
    role: str,
) -> None:
    if not _route_exists(app, method, path):
        pytest.skip(f"{method} {path} is not in this build")
    await sign_in(client, settings, role="admin")
    response = await client.request(method, path, json={})
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"
    wrong = await client.request(method, path, json={}, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403


@pytest.mark.parametrize(("method", "path", "role"), [r for r in ROUTES if r[2] == "admin"])
async def test_moderator_on_admin_route_is_403(
    client: httpx.AsyncClient, settings: Settings, method: str, path: str, role: str
) -> None:
    csrf = await sign_in(client, settings, email="benevole@ecole.test", role="moderator")
    response = await client.request(method, path, json={}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    assert response.json()["error"] == "admin_only"


async def test_admin_pages_redirect(client: httpx.AsyncClient, settings: Settings) -> None:
    assert (await client.get("/moderation/admin")).status_code == 303
    await sign_in(client, settings, email="benevole@ecole.test", role="moderator")
    page = await client.get("/moderation/admin")
    assert page.status_code == 303 and page.headers["location"].endswith("/moderation")
