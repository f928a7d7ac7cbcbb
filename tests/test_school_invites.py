"""``wall school add|list|revoke`` against a real database, and the links they make."""

from __future__ import annotations

import asyncio
import io
import sys

import httpx
import pytest
from sqlalchemy import select

from tests.factories import class_files, class_upload, school_invite
from wall import cli
from wall.config import Settings
from wall.db import Database
from wall.models import AuditEntry, SchoolInvite

PUBLIC = "https://mur.example.org/vague"


async def _run(monkeypatch: pytest.MonkeyPatch, settings: Settings, *argv: str) -> int:
    """``wall ARGV`` as typed (in a thread: the command runs its own event loop)."""
    monkeypatch.setenv("WALL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WALL_DATA_DIR", settings.data_dir)
    monkeypatch.setenv("WALL_SECRET_KEY", str(settings.secret_key))
    monkeypatch.setenv("WALL_PUBLIC_URL", PUBLIC)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return await asyncio.to_thread(cli.main, list(argv))


async def _invites(settings: Settings) -> list[SchoolInvite]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return list((await session.scalars(select(SchoolInvite))).all())
    finally:
        await db.dispose()


async def _audit_actions(settings: Settings) -> list[tuple[str, str, str | None]]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(e.action, e.actor, e.target) for e in rows.all()]
    finally:
        await db.dispose()


async def test_add_list_revoke(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    client: httpx.AsyncClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await _run(
        monkeypatch,
        settings,
        "school",
        "add",
        "--school",
        "École secondaire du Littoral",
        "--region",
        "Côte-Nord",
        "--days",
        "10",
        "--limit",
        "40",
    )
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "invite 1 for École secondaire du Littoral; the link is shown only now:"
    link = out[1]
    assert link.startswith(PUBLIC + "/classe/")  # follows WALL_PUBLIC_URL
    token = link.rpartition("/")[2]
    # Only a keyed hash of the secret is stored.
    (invite,) = await _invites(settings)
    assert token not in (invite.token_hash, invite.school, invite.created_by)
    assert (invite.school, invite.region, invite.upload_limit) == (
        "École secondaire du Littoral",
        "Côte-Nord",
        40,
    )
    assert 9.9 < (invite.expires_at - invite.created_at).total_seconds() / 86400 <= 10
    # The link works on the site (same secret key), and its photos are counted.
    assert (await client.get(f"/classe/{token}")).status_code == 200
    assert (await class_upload(client, token, class_files(2))).status_code == 201

    assert await _run(monkeypatch, settings, "school", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 1
    assert listed[0].startswith("1\tÉcole secondaire du Littoral\tCôte-Nord\tactive\t2/40\t")

    assert await _run(monkeypatch, settings, "school", "revoke", "1") == 0
    assert capsys.readouterr().out == "invite 1 (École secondaire du Littoral) revoked\n"
    assert await _run(monkeypatch, settings, "school", "list") == 0
    assert "\trevoked\t2/40\t" in capsys.readouterr().out
    assert (await client.get(f"/classe/{token}")).status_code == 403
    assert await _run(monkeypatch, settings, "school", "revoke", "1") == 1
    assert "invite_already_revoked" in capsys.readouterr().err
    assert await _run(monkeypatch, settings, "school", "revoke", "99") == 1
    assert "invite_not_found" in capsys.readouterr().err
    actions = await _audit_actions(settings)
    assert ("school_invite.created", "cli", "École secondaire du Littoral") in actions
    assert ("school_invite.revoked", "cli", "École secondaire du Littoral") in actions


@pytest.mark.parametrize(
    "argv",
    [
        ["--school", "  "],
        ["--school", "École", "--region", "Atlantide"],
        ["--school", "École", "--days", "0"],
        ["--school", "École", "--limit", "0"],
    ],
)
async def test_bad_values_are_usage_errors_and_store_nothing(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    assert await _run(monkeypatch, settings, "school", "add", *argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("wall: ") and len(err.strip().splitlines()) == 1
    assert await _invites(settings) == []


async def test_a_link_without_the_servers_secret_key_does_not_work(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    """The stored hash is keyed: a token hashed under another key matches nothing."""
    _, token = await school_invite(settings.replace(secret_key="une-autre-cle"))
    assert (await client.get(f"/classe/{token}")).status_code == 404
