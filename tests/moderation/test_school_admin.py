"""School invites on the admin page: create (the link once), list, revoke; admins only."""

from __future__ import annotations

import html

import httpx
from sqlalchemy import select

from tests.factories import class_files, class_upload, sign_in
from tests.live import running
from wall.app import create_app
from wall.config import Settings
from wall.db import Database
from wall.models import AuditEntry, SchoolInvite


async def _create(client: httpx.AsyncClient, csrf: str, **body: object) -> httpx.Response:
    return await client.post("/api/moderation/schools", json=body, headers={"X-CSRF-Token": csrf})


async def _audit(settings: Settings) -> list[AuditEntry]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return list((await session.scalars(select(AuditEntry))).all())
    finally:
        await db.dispose()


async def test_an_admin_creates_lists_and_revokes_an_invite(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    page = await client.get("/moderation/admin")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'id="add-school-invite"' in text and "Liens d'envoi pour les écoles" in text
    assert "<option>Côte-Nord</option>" in text

    created = await _create(
        client, csrf, school="École Les Trois-Pignons", region="Côte-Nord", days=3, upload_limit=60
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["school"] == "École Les Trois-Pignons" and body["state"] == "active"
    assert (body["region"], body["upload_limit"], body["uploads"]) == ("Côte-Nord", 60, 0)
    assert body["created_by"] == "admin@ecole.test"
    link = body["link"]
    assert link.startswith("http://wall.test/classe/")
    path = link.removeprefix("http://wall.test")
    token = path.rpartition("/")[2]
    assert (await client.get(path)).status_code == 200
    assert (await class_upload(client, token, class_files(2))).status_code == 201

    listed = (await client.get("/api/moderation/schools")).json()["invites"]
    assert [(i["id"], i["uploads"], i["state"]) for i in listed] == [(body["id"], 2, "active")]
    assert "link" not in listed[0]  # shown once, never again
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            row = await session.get(SchoolInvite, body["id"])
    finally:
        await db.dispose()
    assert row is not None and token not in row.token_hash

    revoke = f"/api/moderation/schools/{body['id']}/revoke"
    revoked = await client.post(revoke, headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 200
    assert (revoked.json()["state"], revoked.json()["uploads"]) == ("revoked", 2)
    assert revoked.json()["revoked_at"] is not None
    again = await client.post(revoke, headers={"X-CSRF-Token": csrf})
    assert (again.status_code, again.json()["error"]) == (409, "invite_already_revoked")
    assert (await client.get(path)).status_code == 403
    refused = await class_upload(client, token, class_files(1))
    assert (refused.status_code, refused.json()["error"]) == (403, "invite_revoked")

    entries = {(e.action, e.actor, e.target) for e in await _audit(settings)}
    assert ("school_invite.created", "admin@ecole.test", "École Les Trois-Pignons") in entries
    assert ("school_invite.revoked", "admin@ecole.test", "École Les Trois-Pignons") in entries


async def test_the_link_follows_the_public_address(settings: Settings) -> None:
    public = settings.replace(public_url="https://mur.example.org")
    async with running(create_app(public, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        # https, as the public address says: the session cookie is Secure.
        async with httpx.AsyncClient(transport=transport, base_url="https://wall.test") as http:
            csrf = await sign_in(http, public)
            created = await _create(http, csrf, school="École du Cap")
    assert created.status_code == 201, created.text
    assert created.json()["link"].startswith("https://mur.example.org/classe/")
    assert created.json()["region"] is None


async def test_bad_values_are_422_and_store_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    cases: list[tuple[dict[str, object], str]] = [
        ({"school": ""}, "invalid_school"),
        ({"school": "É" * 121}, "invalid_school"),
        ({"school": "École", "region": "Atlantide"}, "unknown_region"),
        ({"school": "École", "days": 0}, "invalid_days"),
        ({"school": "École", "days": "deux"}, "invalid_days"),
        ({"school": "École", "upload_limit": 10_001}, "invalid_upload_limit"),
        ({"school": "École", "upload_limit": True}, "invalid_upload_limit"),
    ]
    for body, code in cases:
        answer = await _create(client, csrf, **body)
        assert (answer.status_code, answer.json()["error"]) == (422, code), body
    assert (await client.get("/api/moderation/schools")).json()["invites"] == []
    missing = await client.post("/api/moderation/schools/99/revoke", headers={"X-CSRF-Token": csrf})
    assert (missing.status_code, missing.json()["error"]) == (404, "invite_not_found")
