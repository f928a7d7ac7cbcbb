"""The accounts service behind ``wall moderator`` and the admin page, on both databases."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from tests.factories import sign_in
from tests.moderation.factories import database
from wall import accounts, cli
from wall.config import Settings
from wall.errors import Conflict, InvalidField, NotFound
from wall.models import AuditEntry
from wall.passwords import hash_password


async def test_add_list_disable_with_audit_rows(settings: Settings) -> None:
    password_hash = hash_password("mot-de-passe-solide")
    actor = accounts.Actor(label="cli")
    async with database(settings) as db:
        async with db.writing() as session:
            added = await accounts.add(
                session, " Zoe@Ecole.TEST ", password_hash, "moderator", actor
            )
        assert added.email == "zoe@ecole.test" and added.role == "moderator"
        with pytest.raises(Conflict) as exists:
            async with db.writing() as session:
                await accounts.add(session, "zoe@ecole.test", password_hash, "admin", actor)
        assert exists.value.code == "moderator_exists"
        async with db.writing() as session:
            await accounts.add(
                session, "zoe@ecole.test", password_hash, "admin", actor, replace=True
            )
        for bad_email, bad_role in (("pas-un-courriel", "moderator"), ("a@b.test", "chef")):
            with pytest.raises(InvalidField):
                async with db.writing() as session:
                    await accounts.add(session, bad_email, password_hash, bad_role, actor)
        async with db.writing() as session:
            zoe = await accounts.locked(session, email="ZOE@ecole.test")
            assert await accounts.set_disabled(session, zoe, True, actor) == 0  # no session open
            await accounts.set_role(session, zoe, "moderator", actor)
        with pytest.raises(NotFound):
            async with db.writing() as session:
                await accounts.locked(session, email="nobody@ecole.test")
        async with db.reading() as session:
            (listed,) = await accounts.listing(session)
            rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert (listed.email, listed.role, listed.disabled) == ("zoe@ecole.test", "moderator", True)
    assert [(r.actor, r.action, r.target) for r in rows] == [
        ("cli", "moderator.added", "zoe@ecole.test"),
        ("cli", "moderator.added", "zoe@ecole.test"),
        ("cli", "moderator.disabled", "zoe@ecole.test"),
        ("cli", "moderator.role_changed", "zoe@ecole.test"),
    ]


async def test_the_cli_and_the_admin_page_write_the_same_rows(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    answer = await client.post(
        "/api/moderation/moderators",
        json={"email": "Web@Ecole.test", "password": "mot-de-passe-solide", "role": "moderator"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 201 and answer.json()["email"] == "web@ecole.test"
    await cli._add_moderator(settings, "Cli@Ecole.test", "mot-de-passe-solide", "moderator")
    web_id = answer.json()["id"]
    patched = await client.patch(
        f"/api/moderation/moderators/{web_id}",
        json={"disabled": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert patched.status_code == 200 and patched.json()["disabled"] is True
    await cli._disable_moderator(settings, "cli@ecole.test")
    listed = (await client.get("/api/moderation/moderators")).json()["moderators"]
    assert {m["email"]: m["disabled"] for m in listed} == {
        "admin@ecole.test": False,
        "cli@ecole.test": True,
        "web@ecole.test": True,
    }
    async with database(settings) as db, db.reading() as session:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.startswith("moderator."))
                .order_by(AuditEntry.id)
            )
        ).all()
    shapes = [(r.actor, r.action, r.target, sorted(r.details)) for r in rows]
    assert shapes == [
        ("admin@ecole.test", "moderator.added", "web@ecole.test", ["role"]),
        ("cli", "moderator.added", "cli@ecole.test", ["role"]),
        ("admin@ecole.test", "moderator.disabled", "web@ecole.test", ["sessions"]),
        ("cli", "moderator.disabled", "cli@ecole.test", ["sessions"]),
    ]
