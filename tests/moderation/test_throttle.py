"""Sign-in throttling per account and per client, kept in the database."""

from __future__ import annotations

import datetime as dt
import time

import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator
from tests.live import running
from tests.moderation.factories import database
from wall import auth, totp
from wall.app import create_app, load_secret_key
from wall.config import Settings
from wall.login_throttle import WINDOW, ThrottleKeys
from wall.models import LoginAttempts, utcnow


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def test_unknown_and_known_accounts_are_throttled_alike(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await add_moderator(settings)
    answers = {}
    for email in (ADMIN_EMAIL, "personne@ecole.test"):
        for _ in range(5):
            assert (await _login(client, email, "devine")).status_code == 401
        answers[email] = await _login(client, email, ADMIN_PASSWORD)
    known, unknown = answers[ADMIN_EMAIL], answers["personne@ecole.test"]
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()
    assert int(known.headers["retry-after"]) > 0


async def test_one_client_trying_many_accounts_is_throttled(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await add_moderator(settings)
    for n in range(20):
        assert (await _login(client, f"essai{n}@ecole.test", "devine")).status_code == 401
    # A fresh account, the right password: the client itself is over budget.
    assert (await _login(client, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 429


async def test_the_count_is_shared_by_every_worker(app: Starlette, settings: Settings) -> None:
    await add_moderator(settings)
    other_worker = create_app(settings, null_pool=True)
    async with (
        running(app) as first_asgi,
        running(other_worker) as second_asgi,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=first_asgi), base_url="http://wall.test"
        ) as first,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=second_asgi), base_url="http://wall.test"
        ) as second,
    ):
        for worker in (first, second, first, second, first):
            assert (await _login(worker, ADMIN_EMAIL, "devine")).status_code == 401
        assert (await _login(second, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 429


async def test_a_success_clears_the_accounts_failures(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await add_moderator(settings)
    for _ in range(4):
        await _login(client, ADMIN_EMAIL, "devine")
    assert (await _login(client, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await _login(client, ADMIN_EMAIL, "devine")).status_code == 401
    assert (await _login(client, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 200


async def test_a_missing_totp_code_gives_the_attempt_back(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await add_moderator(settings)
    secret = totp.new_secret()
    async with database(settings) as db, db.writing() as session:
        moderator = await auth.find_moderator(session, ADMIN_EMAIL)
        assert moderator is not None
        moderator.totp_secret, moderator.totp_enabled = secret, True
    # The password was right each time: asking for the code is not a failure.
    for _ in range(settings.login_max_failures + 1):
        missing = await _login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert missing.status_code == 401 and missing.json()["error"] == "totp_required"
    signed = await client.post(
        "/api/auth/login",
        json={
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "totp": totp.code_at(secret, time.time()),
        },
    )
    assert signed.status_code == 200


async def test_counters_quiet_for_a_window_are_swept(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    old = utcnow() - WINDOW - dt.timedelta(minutes=1)
    async with database(settings) as db, db.writing() as session:
        session.add(LoginAttempts(key="client:ancien", attempts=3, last_attempt_at=old))
    assert (await _login(client, "personne@ecole.test", "devine")).status_code == 401
    async with database(settings) as db, db.reading() as session:
        keys = set(await session.scalars(select(LoginAttempts.key)))
    assert "client:ancien" not in keys
    assert (
        ThrottleKeys.of("personne@ecole.test", "127.0.0.1", load_secret_key(settings)).pair in keys
    )
