"""Sign-in, sessions, CSRF and throttling on the moderation API."""

from __future__ import annotations

import httpx

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator, decide, sign_in, upload
from wall.config import Settings


async def test_moderation_api_needs_a_session(client: httpx.AsyncClient) -> None:
    listing = await client.get("/api/moderation/photos")
    assert listing.status_code == 401
    assert listing.json()["error"] == "not_signed_in"
    decision = await client.post("/api/moderation/photos/x/decision", json={"action": "approve"})
    assert decision.status_code == 401


async def test_state_changes_need_the_csrf_token(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = (await upload(client)).json()["id"]
    csrf = await sign_in(client, settings)
    assert (await client.get("/api/moderation/photos")).status_code == 200
    missing = await client.post(
        f"/api/moderation/photos/{photo_id}/decision", json={"action": "approve"}
    )
    assert missing.status_code == 403
    assert missing.json()["error"] == "csrf_failed"
    wrong = await decide(client, csrf + "x", photo_id, "approve")
    assert wrong.status_code == 403
    assert (await decide(client, csrf, photo_id, "approve")).status_code == 200


async def test_bad_credentials_are_refused_alike(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await add_moderator(settings)
    wrong_password = await client.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": "pas le bon"}
    )
    unknown_email = await client.post(
        "/api/auth/login", json={"email": "personne@ecole.test", "password": ADMIN_PASSWORD}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert "set-cookie" not in wrong_password.headers


async def test_repeated_failures_are_throttled(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await add_moderator(settings)
    for _ in range(5):
        response = await client.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": "devine"}
        )
        assert response.status_code == 401
    throttled = await client.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert throttled.json()["error"] == "login_throttled"


async def test_logout_ends_the_session_server_side(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    cookie = client.cookies.get("wall_session")
    assert cookie
    assert (
        await client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    ).status_code == 200
    # Replaying the old cookie does not work: the session is gone from the database.
    client.cookies.set("wall_session", cookie)
    assert (await client.get("/api/moderation/photos")).status_code == 401


async def test_session_cookie_is_httponly_and_forged_cookies_fail(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await add_moderator(settings)
    response = await client.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    client.cookies.set("wall_session", "forged.value")
    assert (await client.get("/api/moderation/photos")).status_code == 401


async def test_moderation_page_redirects_to_login(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    page = await client.get("/moderation")
    assert page.status_code == 303 and page.headers["location"].endswith("/login")
    await add_moderator(settings)
    signed = await client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert signed.status_code == 303
    page = await client.get("/moderation")
    assert page.status_code == 200
    assert 'name="csrf-token"' in page.text


async def test_malformed_login_bodies_get_clear_errors(client: httpx.AsyncClient) -> None:
    garbage = await client.post(
        "/api/auth/login", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 400 and garbage.json()["error"] == "malformed_json"
    missing = await client.post("/api/auth/login", json={"email": ADMIN_EMAIL})
    assert missing.status_code == 422 and missing.json()["error"] == "credentials_required"
