"""The campaign's archive: approved photos only, credits as the wall shows them,
consent records; from ``wall export`` and from the admin page's download."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import httpx

from tests.factories import decide, jpeg_bytes, sign_in, upload
from tests.processes import wall_command, wall_environment
from wall.config import Settings


async def _a_day(client: httpx.AsyncClient, settings: Settings) -> dict[str, str]:
    """Photos in every state an archive must sort out; their ids by what happened."""
    csrf = await sign_in(client, settings)

    async def sent(color: tuple[int, int, int], **fields: str) -> dict[str, str]:
        response = await upload(client, jpeg_bytes(color=color), **fields)
        assert response.status_code == 201, response.text
        body: dict[str, str] = response.json()
        return body

    # Decided as they come: a client may have only a few photos pending at once.
    # Keeping a photo in the archive is a use of its own, with its own box.
    kept = {"share_archive": "yes"}
    named = await sent((40, 170, 70), display_name="Zoé", show_name="yes", caption="Vert!", **kept)
    unnamed = await sent((30, 160, 60), display_name="Secret Nom", caption="Sans nom", **kept)
    guardian = await sent((20, 150, 50), age_confirmation="guardian_consent", **kept)
    wall_only = await sent((35, 165, 65), caption="Pour le mur seulement")
    for photo in (named, unnamed, guardian, wall_only):
        assert (await decide(client, csrf, photo["id"], "approve")).status_code == 200
    rejected = await sent((60, 190, 90))
    assert (await decide(client, csrf, rejected["id"], "reject")).status_code == 200
    removed = await sent((70, 200, 100), **kept)
    withdrawn = await sent((80, 210, 110), **kept)
    erased = await sent((90, 220, 120), **kept)
    for photo in (removed, withdrawn, erased):
        assert (await decide(client, csrf, photo["id"], "approve")).status_code == 200
    assert (await decide(client, csrf, removed["id"], "remove")).status_code == 200
    confirmed = {"confirm": "yes"}
    assert (await client.post(withdrawn["manage_url"], data=confirmed)).status_code == 303
    assert (await decide(client, csrf, erased["id"], "erase")).status_code == 200
    pending = await sent((50, 180, 80))
    return {
        "named": named["id"],
        "unnamed": unnamed["id"],
        "guardian": guardian["id"],
        "wall_only": wall_only["id"],
        "pending": pending["id"],
        "rejected": rejected["id"],
        "removed": removed["id"],
        "withdrawn": withdrawn["id"],
        "erased": erased["id"],
    }


def _rows(text: str) -> dict[str, dict[str, str]]:
    return {row["photo_id"]: row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}


async def _check(
    client: httpx.AsyncClient,
    ids: dict[str, str],
    rows: dict[str, dict[str, str]],
    files: dict[str, bytes],
) -> None:
    assert set(rows) == {ids["named"], ids["unnamed"], ids["guardian"]}
    named, unnamed, guardian = rows[ids["named"]], rows[ids["unnamed"]], rows[ids["guardian"]]
    assert (named["credit_name"], named["caption"]) == ("Zoé", "Vert!")
    assert unnamed["credit_name"] == "" and "Secret Nom" not in str(rows)
    assert guardian["age_confirmation"] == "guardian_consent"
    assert named["age_confirmation"] == "14_or_older"
    for row in rows.values():
        assert row["consent_version"] and row["consent_at"] and row["approved_at"]
        assert row["source"] == "upload"
        # The file is the wall's own public image, byte for byte.
        name = row["file"].removeprefix("media/")
        served = await client.get(f"/media/{name}")
        assert served.status_code == 200
        assert files[row["file"]] == served.content
    assert set(files) == {row["file"] for row in rows.values()}


async def test_the_admin_downloads_the_archive(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ids = await _a_day(client, settings)
    response = await client.get("/api/moderation/export.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        rows = _rows(archive.read("photos.csv").decode("utf-8"))
        files = {name: archive.read(name) for name in names if name.startswith("media/")}
    await _check(client, ids, rows, files)
    audit = (
        await client.get("/api/moderation/audit", params={"action": "archive.exported"})
    ).json()
    assert audit["entries"][0]["details"] == {"photos": 3}


async def test_moderators_who_are_not_admins_cannot_download_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await client.get("/api/moderation/export.zip")).status_code == 401
    await sign_in(client, settings, email="mod@ecole.test", role="moderator")
    assert (await client.get("/api/moderation/export.zip")).status_code == 403


async def test_wall_export_writes_the_same_archive(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    ids = await _a_day(client, settings)
    env = wall_environment(WALL_DATABASE_URL=settings.database_url, WALL_DATA_DIR=settings.data_dir)
    dest = tmp_path / "archive"
    out = wall_command("export", str(dest), env=env)
    assert "3 approved photos, 3 files" in out
    rows = _rows((dest / "photos.csv").read_text(encoding="utf-8"))
    files = {f"media/{p.name}": p.read_bytes() for p in (dest / "media").iterdir()}
    await _check(client, ids, rows, files)
