"""Text the database refuses and numbers past its columns: 422 and 400, never a 5xx."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Route

from tests.factories import sign_in
from wall.config import Settings
from wall.db import Database
from wall.models import RemovalRequest

HUGE = str(2**70)
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
QUERY_NUL = "?q=%00&status=%00&before=%00&after=%00&limit=%00&photo=%00&action=%00&actor=%00"
QUERY_HUGE = f"?limit={HUGE}&before={HUGE}&after={HUGE}"
JSON_NUL = {
    "email": "a\x00@ecole.test",
    "password": "mot\x00de-passe",
    "action": "approve",
    "reason": "\x00",
    "note": "\ud800",
    "ids": ["\x00"],
    "resolution": "removed",
    "role": "moderator",
    "code": "\x00",
    "\x00": 1,
}
JSON_HUGE = {"ids": [HUGE], "max_pinned": 2**70, "id": 2**70, "before": 2**70}
JSON_TYPE = {"Content-Type": "application/json"}
FORM_NUL = {
    "email": "a\x00b",
    "password": "x\x00",
    "photo_ref": "\x00",
    "reason": "\x00",
    "contact": "\x00",
    "caption": "\x00",
    "consent": "yes",
    "everyone_agrees": "yes",
    "age_confirmation": "14_or_older",
}


def _requests(app: Starlette) -> list[tuple[str, str, dict[str, object]]]:
    """(method, path, httpx keyword arguments) for every route, each with NUL and huge inputs."""
    out: list[tuple[str, str, dict[str, object]]] = []
    routes = [r for r in app.routes if isinstance(r, Route)]
    # Signing out ends the walk's session: those routes go last.
    routes.sort(key=lambda r: "logout" in r.path)
    for route in routes:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths = [route.path]
            if PARAM.search(route.path):
                paths = [PARAM.sub("%00", route.path), PARAM.sub(HUGE, route.path)]
            for path in paths:
                out.append((method, path + QUERY_NUL, {}))
                out.append((method, path + QUERY_HUGE, {"headers": {"Last-Event-ID": HUGE}}))
                if method != "GET":
                    for body in (JSON_NUL, JSON_HUGE):
                        # Escaped (\\u0000, \\ud800) as a client would send them.
                        encoded = json.dumps(body).encode()
                        out.append((method, path, {"content": encoded, "headers": JSON_TYPE}))
                    out.append((method, path, {"data": FORM_NUL}))
                    out.append((method, path, {"data": FORM_NUL, "files": {"f": ("\x00", b"x")}}))
    return out


async def _walk(
    client: httpx.AsyncClient, app: Starlette, csrf: str | None
) -> list[tuple[str, str, str, int | str]]:
    wrong: list[tuple[str, str, str, int | str]] = []
    for method, path, kwargs in _requests(app):
        headers = dict(kwargs.pop("headers", {}))  # type: ignore[call-overload]
        if csrf is not None:
            headers["X-CSRF-Token"] = csrf
        try:
            async with asyncio.timeout(30):
                answer = await client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
        except TimeoutError:
            wrong.append((method, path, str(sorted(kwargs)), "no answer"))
            continue
        if answer.status_code >= 500:
            wrong.append((method, path, str(sorted(kwargs)), answer.status_code))
    return wrong


async def test_no_route_answers_5xx_to_nul_or_huge_numbers_signed_out(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    assert await _walk(client, app, None) == []


async def test_no_route_answers_5xx_to_nul_or_huge_numbers_signed_in(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    assert await _walk(client, app, csrf) == []


async def test_a_nul_in_the_sign_in_email_is_422(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/api/auth/login", json={"email": "admin\x00@ecole.test", "password": "x" * 12}
    )
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_text")
    assert answer.json()["message_en"]


async def test_a_nul_in_the_sign_in_form_shows_the_page_again(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/login", data={"email": "admin\x00@ecole.test", "password": "x" * 12}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "caractères invalides" in response.text
    assert 'value="admin@ecole.test"' in response.text


async def test_a_lone_surrogate_in_json_is_422(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    answer = await client.post(
        "/api/moderation/photos/abc/decision",
        content=b'{"action": "reject", "reason": "\\ud800"}',
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_text")


async def _removal_requests(settings: Settings) -> int:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return int(await session.scalar(select(func.count()).select_from(RemovalRequest)) or 0)
    finally:
        await db.dispose()


async def test_a_nul_in_the_removal_form_shows_the_form_again_with_the_text(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    typed = {
        "photo_ref": "https://mur.example/photo/abc",
        "reason": "C'est ma fille\x00, retirez la photo svp",
        "contact": "parent@example.com",
    }
    refused = await client.post("/removal-request", data=typed)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    assert "caractères invalides" in refused.text
    assert "C&#39;est ma fille, retirez la photo svp" in refused.text
    assert await _removal_requests(settings) == 0
    typed["reason"] = typed["reason"].replace("\x00", "")
    assert (await client.post("/removal-request", data=typed)).status_code == 201
    assert await _removal_requests(settings) == 1


async def test_a_nul_in_the_moderation_search_is_422(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_in(client, settings)
    answer = await client.get("/api/moderation/photos", params={"q": "vert\x00"})
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_text")


async def test_huge_numbers_are_400(client: httpx.AsyncClient, settings: Settings) -> None:
    await sign_in(client, settings)
    cases = {
        f"/api/moderation/audit?before={HUGE}": "bad_cursor",
        f"/api/moderation/audit?before={2**63}": "bad_cursor",
        f"/api/wall/events?after={HUGE}": "bad_last_event_id",
        f"/api/moderation/events?after={2**63}": "bad_last_event_id",
        f"/api/wall/photos?limit={HUGE}": "bad_limit",
    }
    for path, code in cases.items():
        answer = await client.get(path)
        assert (answer.status_code, answer.json()["error"]) == (400, code), path
    resumed = await client.get("/api/wall/events", headers={"Last-Event-ID": HUGE})
    assert (resumed.status_code, resumed.json()["error"]) == (400, "bad_last_event_id")


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


async def test_cursors_the_database_cannot_compare_are_400(client: httpx.AsyncClient) -> None:
    for raw in ("2024-02-15T10:00:00Z|abc\x00", "0001-01-01T00:00:00+14:00|abc", "x|" + "a" * 40):
        answer = await client.get("/api/wall/photos", params={"before": _cursor(raw)})
        assert (answer.status_code, answer.json()["error"]) == (400, "bad_cursor"), raw


async def test_an_id_past_the_column_is_not_found(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    answer = await client.patch(
        f"/api/moderation/moderators/{2**40}",
        json={"role": "moderator"},
        headers={"X-CSRF-Token": csrf},
    )
    assert (answer.status_code, answer.json()["error"]) == (404, "moderator_not_found")
    assert json.loads((await client.get("/healthz")).text) == {"status": "ok"}
