"""Sources managed live from the admin page: added, paused, changed and removed with no restart.

A fake Mastodon (a real HTTP server) records every request with its
``Authorization`` header, so the tests see when the running wall starts and
stops polling a source and which token it sends. The token is a secret: it
must reach the network and nothing else (pages, API answers, the audit log,
logs, the database file in clear).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.factories import sign_in
from tests.fake_mastodon import FakeMastodon, FakeStatus
from tests.live import running
from tests.processes import ROOT, wall_environment
from tests.sources.test_poller import direct_poller, eventually, make_settings, photos, state
from wall.accounts import Actor
from wall.app import create_app
from wall.config import Settings
from wall.db import Database
from wall.media import MediaStore
from wall.models import AuditEntry, ManagedSource
from wall.purge import purge
from wall.sources.base import SourceConfig
from wall.sources.catalogue import Catalogue
from wall.sources.sealing import CredentialBox, UnreadableCredentials
from wall.sources.toml import parse_sources

SECRET = "tok-SECRET-7f3a9c2e1b"
OTHER_SECRET = "tok-OTHER-0d4e8a6b5c"
TIMELINE = "/api/v1/timelines/tag/"


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    fake = FakeMastodon().start()
    fake.add(FakeStatus(101, "zoe", "Notre cour en vert!"), seeds=(1,))
    try:
        yield fake
    finally:
        fake.stop()


def wall_settings(database_url: str, tmp_path: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "WALL_DATABASE_URL": database_url,
            "WALL_DATA_DIR": str(tmp_path / "data"),
            "WALL_SECRET_KEY": "test-secret-managed-sources",
            "WALL_UPLOAD_LIMIT_PER_HOUR": "0",
            "WALL_EVENT_POLL_SECONDS": "0.2",
            "WALL_SOURCES_REFRESH_SECONDS": "0.2",
            **extra,
        }
    )


@asynccontextmanager
async def admin(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The running wall (its poller included) and an admin signed in to it."""
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            yield http, await sign_in(http, settings)


def requests_with(mastodon: FakeMastodon, token: str) -> int:
    return sum(1 for seen in mastodon.seen(TIMELINE) if seen.authorization == f"Bearer {token}")


async def settles(mastodon: FakeMastodon, seconds: float = 1.5) -> int:
    """The number of timeline requests once it has stopped growing for ``seconds``."""
    count = len(mastodon.seen(TIMELINE))
    async with asyncio.timeout(20):
        while True:
            await asyncio.sleep(seconds)
            now = len(mastodon.seen(TIMELINE))
            if now == count:
                return count
            count = now


async def rows(settings: Settings, model: Any) -> list[Any]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return list((await session.scalars(select(model))).all())
    finally:
        await db.dispose()


def database_bytes(folder: Path) -> bytes:
    """The SQLite database file and its WAL and journal, as stored."""
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("wall.db"))


def source_body(url: str, **extra: Any) -> dict[str, Any]:
    return {"name": "fake-social", "type": "mastodon", "base_url": url, "interval": 1, **extra}


async def test_an_admin_adds_pauses_and_removes_a_source_with_no_restart(
    mastodon: FakeMastodon,
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = wall_settings(database_url, tmp_path)
    async with admin(settings) as (http, csrf):
        headers = {"X-CSRF-Token": csrf}
        assert (await http.get("/api/moderation/sources")).json() == []
        added = await http.post(
            "/api/moderation/sources",
            json=source_body(mastodon.url, credentials={"token": SECRET}),
            headers=headers,
        )
        assert added.status_code == 201, added.text
        assert added.json()["credentials_set"] == ["token"]
        assert added.json()["origin"] == "admin"

        # Polled within seconds, with the token the admin gave.
        await eventually(lambda: asyncio.sleep(0, requests_with(mastodon, SECRET)), bool)
        stored = await eventually(lambda: photos(settings), lambda found: len(found) == 1)
        assert stored[0].status == "pending"

        async def health() -> list[tuple[str, str]]:
            listed = (await http.get("/api/moderation/sources")).json()
            return [(s["name"], s["health"]) for s in listed]

        await eventually(health, lambda found: found == [("fake-social", "ok")])

        # Paused: polling stops; resumed: it starts again.
        paused = await http.patch(
            "/api/moderation/sources/fake-social", json={"paused": True}, headers=headers
        )
        assert paused.status_code == 200 and paused.json()["paused"] is True
        before = await settles(mastodon)
        await asyncio.sleep(2.5)  # more than two intervals
        assert len(mastodon.seen(TIMELINE)) == before
        listed = (await http.get("/api/moderation/sources")).json()
        assert listed[0]["health"] == "paused"
        resumed = await http.patch(
            "/api/moderation/sources/fake-social", json={"paused": False}, headers=headers
        )
        assert resumed.status_code == 200
        await eventually(
            lambda: asyncio.sleep(0, len(mastodon.seen(TIMELINE))), lambda n: n > before
        )

        # A new token is used from the next round on, the old one no more.
        changed = await http.patch(
            "/api/moderation/sources/fake-social",
            json={"credentials": {"token": OTHER_SECRET}},
            headers=headers,
        )
        assert changed.status_code == 200 and changed.json()["credentials_set"] == ["token"]
        await eventually(lambda: asyncio.sleep(0, requests_with(mastodon, OTHER_SECRET)), bool)
        # The old loop ended before the new one started: no old token from now on.
        old = requests_with(mastodon, SECRET)
        await asyncio.sleep(2.5)
        assert requests_with(mastodon, SECRET) == old

        # Removed: polling stops for good; the photo stays in the queue.
        removed = await http.delete("/api/moderation/sources/fake-social", headers=headers)
        assert removed.status_code == 204
        after = await settles(mastodon)
        await asyncio.sleep(2.5)
        assert len(mastodon.seen(TIMELINE)) == after
        assert (await http.get("/api/moderation/sources")).json() == []
        assert len(await photos(settings)) == 1

        # The secrets appear in no page or answer an admin can read.
        for path in (
            "/api/moderation/sources",
            "/moderation/admin",
            "/moderation/sources",
            "/api/moderation/audit",
            "/api/moderation/audit.csv",
            "/metrics",
        ):
            answer = await http.get(path)
            assert SECRET not in answer.text and OTHER_SECRET not in answer.text, path
            if path.startswith(("/api/moderation", "/moderation")):  # never kept by a proxy
                assert "no-store" in answer.headers["cache-control"], path

    actions = [(e.action, e.target) for e in await rows(settings, AuditEntry)]
    assert [a for a in actions if a[0].startswith("source.")] == [
        ("source.added", "fake-social"),
        ("source.changed", "fake-social"),
        ("source.changed", "fake-social"),
        ("source.changed", "fake-social"),
        ("source.removed", "fake-social"),
    ]
    for entry in await rows(settings, AuditEntry):
        assert SECRET not in str(entry.details) and OTHER_SECRET not in str(entry.details)
    [row] = await rows(settings, ManagedSource)
    assert row.removed_at is not None and row.sealed_credentials is None
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "fake-social" in logged  # the logs were captured
    assert SECRET not in logged and OTHER_SECRET not in logged


async def test_the_token_is_stored_sealed_not_in_clear(
    mastodon: FakeMastodon, tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "wall.db"
    shutil.copy(sqlite_template, path)
    settings = wall_settings(f"sqlite+aiosqlite:///{path}", tmp_path)
    async with admin(settings) as (http, csrf):
        added = await http.post(
            "/api/moderation/sources",
            json=source_body(mastodon.url, credentials={"token": SECRET}),
            headers={"X-CSRF-Token": csrf},
        )
        assert added.status_code == 201
        [row] = await rows(settings, ManagedSource)
        assert row.sealed_credentials is not None and row.sealed_credentials.startswith("v1.")
        box = CredentialBox(settings.secret_key or "")
        assert box.open("fake-social", row.sealed_credentials) == {"token": SECRET}
        assert SECRET.encode() not in database_bytes(tmp_path)  # neither the file nor its WAL


async def test_bad_requests_get_a_clear_error_and_store_nothing(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    settings = wall_settings(database_url, tmp_path)
    async with admin(settings) as (http, csrf):
        headers = {"X-CSRF-Token": csrf}
        cases: list[tuple[dict[str, Any], str]] = [
            ({**source_body(mastodon.url), "type": "myspace"}, "type"),
            ({**source_body("ftp://example.org")}, "serveur"),
            ({**source_body(mastodon.url), "interval": 0}, "intervalle"),
            ({**source_body(mastodon.url), "hashtags": []}, "mot-clic"),
            ({**source_body(mastodon.url), "name": "  "}, "nom"),
            ({**source_body(mastodon.url), "name": "ecole/classe"}, "nom"),
            ({**source_body(mastodon.url), "type": "pixelfed"}, "token"),
            ({**source_body(mastodon.url), "credentials": {"password": "x"}}, "password"),
            ({**source_body(mastodon.url), "credentials": {"token": ""}}, "token"),
            ({**source_body(mastodon.url), "color": "green"}, "color"),
        ]
        for body, word in cases:
            answer = await http.post("/api/moderation/sources", json=body, headers=headers)
            assert answer.status_code == 422, body
            assert answer.json()["error"] == "invalid_source"
            assert word in answer.json()["message"].lower(), (body, answer.json())
            assert answer.json()["message_en"]
        assert await rows(settings, ManagedSource) == []

        ok = await http.post(
            "/api/moderation/sources", json=source_body(mastodon.url), headers=headers
        )
        assert ok.status_code == 201
        again = await http.post(
            "/api/moderation/sources", json=source_body(mastodon.url), headers=headers
        )
        assert (again.status_code, again.json()["error"]) == (409, "source_exists")
        missing = await http.patch(
            "/api/moderation/sources/nope", json={"paused": True}, headers=headers
        )
        assert (missing.status_code, missing.json()["error"]) == (404, "source_not_found")
        gone = await http.delete("/api/moderation/sources/nope", headers=headers)
        assert (gone.status_code, gone.json()["error"]) == (404, "source_not_found")
        renamed = await http.patch(
            "/api/moderation/sources/fake-social", json={"name": "other"}, headers=headers
        )
        assert (renamed.status_code, renamed.json()["error"]) == (422, "invalid_source")
        bad_change = await http.patch(
            "/api/moderation/sources/fake-social", json={"interval": -5}, headers=headers
        )
        assert bad_change.status_code == 422
        [row] = await rows(settings, ManagedSource)
        assert (row.interval, row.version, row.edited) == (1.0, 1, False)
        no_csrf = await http.post("/api/moderation/sources", json=source_body(mastodon.url))
        assert no_csrf.status_code == 403


async def test_only_admins_manage_sources(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    settings = wall_settings(database_url, tmp_path)
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            csrf = await sign_in(http, settings, email="mod@ecole.test", role="moderator")
            headers = {"X-CSRF-Token": csrf}
            answer = await http.post(
                "/api/moderation/sources", json=source_body(mastodon.url), headers=headers
            )
            assert answer.status_code == 403
            gone = await http.delete("/api/moderation/sources/x", headers=headers)
            assert gone.status_code == 403
            assert (await http.get("/api/moderation/sources")).status_code == 200
    assert await rows(settings, ManagedSource) == []


async def test_two_admins_adding_one_name_at_once_get_one_source(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    settings = wall_settings(database_url, tmp_path)
    async with admin(settings) as (http, csrf):
        headers = {"X-CSRF-Token": csrf}
        answers = await asyncio.gather(
            *(
                http.post(
                    "/api/moderation/sources",
                    json=source_body(mastodon.url, credentials={"token": f"t{n}"}),
                    headers=headers,
                )
                for n in range(6)
            )
        )
        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409, 409]
    assert len(await rows(settings, ManagedSource)) == 1
    added = [e for e in await rows(settings, AuditEntry) if e.action == "source.added"]
    assert len(added) == 1


# -- wall.toml seeds the catalogue ---------------------------------------------


def file_sources(settings: Settings, *tables: str) -> list[SourceConfig]:
    return parse_sources("\n".join(tables), settings)


def table(name: str, interval: int = 60, token: str | None = None) -> str:
    text = f"[[sources]]\nname = '{name}'\ntype = 'mastodon'\nbase_url = 'https://m.example'\n"
    text += f"interval = {interval}\n"
    return text + (f"token = '{token}'\n" if token else "")


async def test_the_file_seeds_the_catalogue_and_the_admin_page_then_wins(
    database_url: str, tmp_path: Path
) -> None:
    settings = wall_settings(database_url, tmp_path)
    db = Database(settings.database_url, null_pool=True)
    catalogue = Catalogue(db, CredentialBox("seed-key"), settings)
    admin_actor = Actor(label="test")

    async def state() -> dict[str, tuple[float, bool, str, tuple[str, ...]]]:
        async with db.reading() as session:
            return {
                e.name: (e.interval, e.paused, e.origin, e.credentials_set)
                for e in await catalogue.entries(session)
            }

    try:
        await catalogue.seed(file_sources(settings, table("a", token=SECRET), table("b")))
        assert await state() == {
            "a": (60.0, False, "file", ("token",)),
            "b": (60.0, False, "file", ()),
        }
        assert [c.token for c in await catalogue.active_configs()] == [SECRET, None]

        # A restart with an edited file refreshes the sources no admin touched.
        await catalogue.seed(file_sources(settings, table("a", 30, SECRET), table("b", 90)))
        assert (await state())["a"][0] == 30.0 and (await state())["b"][0] == 90.0

        # An admin changes "a" and removes "b": the file no longer has its say on them.
        async with db.writing() as session:
            await catalogue.change(session, "a", {"interval": 5}, admin_actor)
            await catalogue.remove(session, "b", admin_actor)
        await catalogue.seed(file_sources(settings, table("a", 30, SECRET), table("b", 90)))
        assert await state() == {"a": (5.0, False, "file", ("token",))}

        # A file source nobody edited leaves the catalogue when it leaves the file.
        await catalogue.seed(file_sources(settings, table("a", 30, SECRET), table("c")))
        assert set(await state()) == {"a", "c"}
        await catalogue.seed(file_sources(settings, table("a", 30, SECRET)))
        assert set(await state()) == {"a"}
        # ... and comes back with it (unlike "b", which an admin removed).
        await catalogue.seed(file_sources(settings, table("a", 30, SECRET), table("c", 45)))
        assert (await state())["c"] == (45.0, False, "file", ())
        await catalogue.seed(file_sources(settings, table("a", 30, SECRET)))

        # A paused file source stays paused across a restart.
        async with db.writing() as session:
            await catalogue.change(session, "a", {"paused": True}, admin_actor)
        await catalogue.seed(file_sources(settings, table("a", 30, SECRET)))
        assert (await state())["a"][1] is True
        assert await catalogue.active_configs() == []
    finally:
        await db.dispose()


async def test_a_changed_secret_key_makes_credentials_unreadable_until_set_again(
    database_url: str, tmp_path: Path
) -> None:
    settings = wall_settings(database_url, tmp_path)
    db = Database(settings.database_url, null_pool=True)
    try:
        old = Catalogue(db, CredentialBox("old-key"), settings)
        await old.seed(file_sources(settings, table("a", token=SECRET)))
        new = Catalogue(db, CredentialBox("new-key"), settings)
        async with db.reading() as session:
            [entry] = await new.entries(session)
        assert entry.credentials_unreadable and entry.credentials_set == ()
        assert await new.active_configs() == []  # never polled with no token
        async with db.writing() as session:
            await new.change(session, "a", {"credentials": {"token": OTHER_SECRET}}, Actor())
        [config] = await new.active_configs()
        assert config.token == OTHER_SECRET
    finally:
        await db.dispose()


def test_sealed_credentials_open_only_with_their_key_and_their_source() -> None:
    box = CredentialBox("key-one")
    sealed = box.seal("a", {"token": SECRET})
    assert sealed is not None and SECRET not in sealed
    assert box.open("a", sealed) == {"token": SECRET}
    assert box.seal("a", {"token": SECRET}) != sealed  # a fresh nonce each time
    assert box.seal("a", {}) is None and box.open("a", None) == {}
    with pytest.raises(UnreadableCredentials):
        CredentialBox("key-two").open("a", sealed)
    with pytest.raises(UnreadableCredentials):
        box.open("b", sealed)  # copied onto another source's row
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(UnreadableCredentials):
        box.open("a", tampered)
    with pytest.raises(UnreadableCredentials):
        box.open("a", "plain-text-token")


# -- the production shape: another process follows the catalogue ----------------


def start_poll(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    """``wall poll`` in the foreground, its output in ``log``."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "wall", "poll"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


async def test_a_separate_poll_process_follows_the_admin_pages_changes(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    """``wall poll`` beside the web process: it starts with no source, then
    polls the one an admin adds (written to the database by another process),
    and stops when it is paused, with no restart."""
    settings = wall_settings(database_url, tmp_path)
    env = wall_environment(
        WALL_DATABASE_URL=database_url,
        WALL_DATA_DIR=str(tmp_path / "data"),
        WALL_SECRET_KEY=settings.secret_key or "",
        WALL_SOURCES_REFRESH_SECONDS="0.3",
    )
    log = tmp_path / "poll.log"
    process = start_poll(env, log)
    db = Database(settings.database_url, null_pool=True)
    catalogue = Catalogue(db, CredentialBox(settings.secret_key or ""), settings)
    try:
        await eventually(
            lambda: asyncio.to_thread(log.read_text), lambda text: "no source yet" in text
        )
        async with db.writing() as session:
            await catalogue.add(
                session, source_body(mastodon.url, credentials={"token": SECRET}), Actor()
            )
        await eventually(lambda: asyncio.sleep(0, requests_with(mastodon, SECRET)), bool)
        async with db.writing() as session:
            await catalogue.change(session, "fake-social", {"paused": True}, Actor())
        before = await settles(mastodon)
        await asyncio.sleep(2.5)
        assert len(mastodon.seen(TIMELINE)) == before
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0
        assert SECRET not in await asyncio.to_thread(log.read_text)
    finally:
        if process.poll() is None:
            process.kill()
        await db.dispose()


async def test_an_error_that_echoes_a_credential_is_stored_and_logged_without_it(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A network library may put the request's URL, query and all, in its error:
    the sources panel, the API and the logs get the error with the token cut."""

    def echoing(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}?access_token={SECRET}")

    source = {"name": "fake-social", "type": "mastodon", "base_url": "https://m.example"}
    settings = make_settings(database_url, tmp_path, [{**source, "token": SECRET}])
    async with direct_poller(settings, transport=httpx.MockTransport(echoing)) as poller:
        [result] = await poller.run_once()
    assert result.error is not None and "access_token=…" in result.error
    stored = await state(settings, "fake-social")
    assert stored.last_error is not None and "access_token=…" in stored.last_error
    assert SECRET not in result.error and SECRET not in stored.last_error
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "access_token=…" in logged and SECRET not in logged


async def test_the_purge_pauses_every_source_and_erases_its_credentials(
    database_url: str, tmp_path: Path
) -> None:
    settings = wall_settings(database_url, tmp_path)
    db = Database(settings.database_url, null_pool=True)
    catalogue = Catalogue(db, CredentialBox("purge-key"), settings)
    try:
        await catalogue.seed(file_sources(settings, table("a", token=SECRET), table("b")))
        assert len(await catalogue.active_configs()) == 2
        await purge(db, MediaStore(settings.media_path))
        async with db.reading() as session:
            entries = await catalogue.entries(session)
        assert [(e.name, e.paused, e.credentials_set) for e in entries] == [
            ("a", True, ()),
            ("b", True, ()),
        ]
        assert await catalogue.active_configs() == []
        assert all(row.sealed_credentials is None for row in await rows(settings, ManagedSource))
    finally:
        await db.dispose()


async def test_workers_starting_at_once_seed_each_source_once(
    database_url: str, tmp_path: Path
) -> None:
    """``wall serve --workers 4`` beside ``wall poll``: five processes seed the same
    file at the same moment, each with its own connections (five starts in a row,
    three new sources each time, so the race for a new row is run often)."""
    settings = wall_settings(database_url, tmp_path)
    databases = [Database(settings.database_url, null_pool=True) for _ in range(5)]
    try:
        names: list[str] = []
        for start in range(5):
            names += [f"s{start}-{letter}" for letter in "abc"]  # the file grows
            configs = file_sources(settings, *(table(name, token=SECRET) for name in names))
            await asyncio.gather(
                *(Catalogue(db, CredentialBox("k"), settings).seed(configs) for db in databases)
            )
        found = await rows(settings, ManagedSource)
        assert len(found) == 15 and {row.version for row in found} == {1}
        catalogue = Catalogue(databases[0], CredentialBox("k"), settings)
        assert {c.token for c in await catalogue.active_configs()} == {SECRET}
    finally:
        for db in databases:
            await db.dispose()
