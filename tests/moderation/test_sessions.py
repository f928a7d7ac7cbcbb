"""Server-side sessions: expiry, logout everywhere, admins ending sessions, TOTP."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator, sign_in
from tests.live import running
from tests.moderation.factories import age, database
from wall import totp
from wall.app import create_app
from wall.config import Settings
from wall.models import Moderator, ModeratorSession


@pytest.mark.parametrize(
    ("columns", "by", "alive"),
    [
        (("last_seen_at",), dt.timedelta(hours=3, minutes=50), True),
        (("last_seen_at",), dt.timedelta(hours=4, minutes=1), False),
        # Active all along (recently seen) but opened more than 24 h ago.
        (("created_at", "expires_at"), dt.timedelta(hours=24, minutes=1), False),
    ],
)
async def test_idle_and_absolute_expiry(
    client: httpx.AsyncClient,
    settings: Settings,
    columns: tuple[str, ...],
    by: dt.timedelta,
    alive: bool,
) -> None:
    await sign_in(client, settings)
    assert await age(settings, ModeratorSession, columns, by) == 1
    expected = 200 if alive else 401
    assert (await client.get("/api/moderation/photos")).status_code == expected


async def test_logout_all_ends_every_session(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], settings: Settings
) -> None:
    laptop, phone = clients
    csrf = await sign_in(laptop, settings)
    await sign_in(phone, settings)
    response = await laptop.post("/api/auth/logout-all", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.json()["sessions_ended"] == 2
    assert (await phone.get("/api/moderation/photos")).status_code == 401
    assert (await laptop.get("/api/moderation/photos")).status_code == 401


async def test_an_admin_ends_a_moderators_sessions_and_disables_them(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], settings: Settings
) -> None:
    admin, volunteer = clients
    csrf = await sign_in(admin, settings)
    await sign_in(volunteer, settings, email="benevole@ecole.test", role="moderator")
    listing = (await admin.get("/api/moderation/moderators")).json()["moderators"]
    target = next(m for m in listing if m["email"] == "benevole@ecole.test")
    assert target["active_sessions"] == 1
    ended = await admin.post(
        f"/api/moderation/moderators/{target['id']}/logout", headers={"X-CSRF-Token": csrf}
    )
    assert ended.json() == {"sessions_ended": 1}
    assert (await volunteer.get("/api/moderation/photos")).status_code == 401
    # Disabled: the right password no longer opens a session.
    disabled = await admin.patch(
        f"/api/moderation/moderators/{target['id']}",
        json={"disabled": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    again = await volunteer.post(
        "/api/auth/login", json={"email": "benevole@ecole.test", "password": ADMIN_PASSWORD}
    )
    assert again.status_code == 401


async def _enrol(client: httpx.AsyncClient, csrf: str) -> str:
    started = await client.post("/api/auth/totp", headers={"X-CSRF-Token": csrf})
    assert started.status_code == 200
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/Vague%20verte%3A")
    secret: str = body["secret"]
    wrong = await client.post(
        "/api/auth/totp/confirm", json={"code": "000000"}, headers={"X-CSRF-Token": csrf}
    )
    if totp.code_at(secret, time.time()) != "000000":
        assert wrong.status_code == 422
    confirmed = await client.post(
        "/api/auth/totp/confirm",
        json={"code": totp.code_at(secret, time.time() - 30)},
        headers={"X-CSRF-Token": csrf},
    )
    assert confirmed.json() == {"totp_enabled": True}
    return secret


async def test_totp_is_asked_once_enrolled_and_codes_work_once(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], settings: Settings
) -> None:
    first, second = clients
    secret = await _enrol(first, await sign_in(first, settings))
    credentials = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    missing = await second.post("/api/auth/login", json=credentials)
    assert missing.status_code == 401 and missing.json()["error"] == "totp_required"
    code = totp.code_at(secret, time.time() + 30)
    ok = await second.post("/api/auth/login", json={**credentials, "totp": code})
    assert ok.status_code == 200
    replay = await second.post("/api/auth/login", json={**credentials, "totp": code})
    assert replay.status_code == 401 and replay.json()["error"] == "bad_credentials"


def test_rfc_6238_reference_vector() -> None:
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits) → last 6 digits.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert totp.code_at(secret, 59) == "287082"
    assert totp.code_at(secret, 1111111109) == "081804"


async def test_required_admin_totp_blocks_until_enrolled(
    settings: Settings,
) -> None:
    app: Starlette = create_app(settings.replace(require_admin_totp=True), null_pool=True)
    async with running(app) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            await add_moderator(settings)
            login = await http.post(
                "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            assert login.json()["totp_enrolment_required"] is True
            csrf = login.json()["csrf_token"]
            blocked = await http.get("/api/moderation/photos")
            assert blocked.status_code == 403
            assert blocked.json()["error"] == "totp_enrolment_required"
            await _enrol(http, csrf)
            assert (await http.get("/api/moderation/photos")).status_code == 200
    async with database(settings) as db, db.reading() as session:
        enabled = await session.scalar(select(Moderator.totp_enabled))
    assert enabled is True


async def test_the_login_page_speaks_french_then_english(client: httpx.AsyncClient) -> None:
    french = await client.get("/login")
    assert "Connexion à la modération" in french.text and 'hreflang="en"' in french.text
    english = await client.get("/login?lang=en")
    assert "Moderation sign-in" in english.text and '/login?lang=en"' in english.text


async def test_the_form_sign_in_takes_the_totp_code_too(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    secret = await _enrol(client, await sign_in(client, settings))
    client.cookies.clear()
    form = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    missing = await client.post("/login", data=form)
    assert missing.status_code == 401 and "code" in missing.text
    code = totp.code_at(secret, time.time() + 30)
    signed = await client.post("/login", data={**form, "totp": code})
    assert signed.status_code == 303
