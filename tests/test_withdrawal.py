"""A withdrawn photo is gone for good: files, personal fields and every copy of them.

The manage link, a granted removal request and an admin's "erase" all leave
an anonymous tombstone that no action can bring back (``409 withdrawn``).
"""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select

from tests.factories import add_moderator, decide, jpeg_bytes, sign_in, upload
from wall.config import Settings
from wall.db import Database
from wall.models import AuditEntry, Base, Decision, Event, MediaFile, Photo

# ASCII, so that a JSON column's \u escapes cannot hide a copy.
CAPTION = "CANARYCAPTION4417 sous les erables"
NAME = "CANARYNAME9021"
SCHOOL = "CANARYSCHOOL3355"
REASON = "visage de CANARYREASON7788"
CONTACT = "canarycontact5120@parent.test"
# The manage page's confirmation step posts this; without it nothing is deleted.
CONFIRM = {"confirm": "yes"}
NOTE = "CANARYNOTE6064 rappeler la mere"
CANARIES = (
    "CANARYCAPTION4417",
    NAME,
    SCHOOL,
    "CANARYREASON7788",
    "canarycontact5120",
    "CANARYNOTE6064",
)


async def _every_row(settings: Settings) -> str:
    """Every row of every table, as text."""
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            dump = []
            for table in Base.metadata.sorted_tables:
                rows = (await session.execute(select(table))).all()
                dump += [f"{table.name}: {tuple(row)!r}" for row in rows]
    finally:
        await db.dispose()
    return "\n".join(dump)


async def _names(settings: Settings, photo_id: str) -> set[str]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            rows = await session.scalars(
                select(MediaFile.name).where(MediaFile.photo_id == photo_id)
            )
            return set(rows.all())
    finally:
        await db.dispose()


async def _rows(settings: Settings, model: type[Base], photo_id: str) -> list[object]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            column = model.photo_id if model is not Photo else Photo.id  # type: ignore[attr-defined]
            return list((await session.scalars(select(model).where(column == photo_id))).all())
    finally:
        await db.dispose()


async def _canary_upload(client: httpx.AsyncClient, image: bytes | None = None) -> dict[str, str]:
    answer = await upload(
        client, image, caption=CAPTION, display_name=NAME, show_name="yes", school=SCHOOL
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, str] = answer.json()
    return created


async def _ask_removal(client: httpx.AsyncClient, photo_id: str) -> None:
    cookies = dict(client.cookies)
    client.cookies.clear()  # the public has no session
    sent = await client.post(
        "/removal-request",
        data={
            "photo_ref": f"http://wall.test/#photo-{photo_id}",
            "reason": REASON,
            "contact": CONTACT,
        },
    )
    assert sent.status_code == 201, sent.text
    client.cookies.update(cookies)


def _present(media: Path, names: set[str]) -> set[str]:
    return {name for name in names if (media / name).exists()}


async def test_a_withdrawal_deletes_files_and_every_copy_of_what_names_the_child(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await _canary_upload(client)
    photo_id = created["id"]
    csrf = await sign_in(client, settings)
    assert (await decide(client, csrf, photo_id, "approve", reason=REASON)).status_code == 200
    assert (await decide(client, csrf, photo_id, "pin")).status_code == 200  # a photo.updated copy
    await _ask_removal(client, photo_id)
    names = await _names(settings, photo_id)
    assert len(names) >= 4 and _present(settings.media_path, names) == names
    before = await _every_row(settings)
    assert all(canary in before for canary in CANARIES[:5]), "the canaries must be stored first"

    page = await client.get(created["manage_url"])
    assert "affichée sur le mur" in page.text and "supprimés définitivement" in page.text
    withdrawn = await client.post(created["manage_url"], data=CONFIRM)
    assert withdrawn.status_code == 303

    assert _present(settings.media_path, names) == set()
    after = await _every_row(settings)
    assert [canary for canary in CANARIES if canary in after] == []
    # An anonymous tombstone stays, so that screens and the audit log agree.
    tombstone = (await _rows(settings, Photo, photo_id))[0]
    assert isinstance(tombstone, Photo)
    assert (tombstone.status, tombstone.media, tombstone.caption) == ("erased", {}, "")
    actions = [d.action for d in await _rows(settings, Decision, photo_id)]  # type: ignore[attr-defined]
    assert actions == ["approve", "pin", "withdraw"]
    audit = {e.action for e in await _rows(settings, AuditEntry, photo_id)}  # type: ignore[attr-defined]
    assert {"decision.approve", "decision.withdraw", "removal.requested"} <= audit
    kinds = [e.type for e in await _rows(settings, Event, photo_id)]  # type: ignore[attr-defined]
    assert "photo.approved" not in kinds and "photo.updated" not in kinds
    assert kinds[-3:] == ["photo.removed", "queue.decided", "photo.erased"]
    assert (await client.get("/api/wall/photos")).json()["photos"] == []

    # Nothing brings it back.
    for action in ("restore", "approve", "remove", "erase"):
        refused = await decide(client, csrf, photo_id, action)
        assert (refused.status_code, refused.json()["error"]) == (409, "withdrawn"), action
    listed = await client.get("/api/moderation/photos", params={"status": "erased"})
    assert [p["id"] for p in listed.json()["photos"]] == [photo_id]
    assert listed.json()["photos"][0]["image"] is None

    french = await client.get(created["manage_url"])
    assert french.status_code == 200 and "supprimée définitivement" in french.text
    assert "<form" not in french.text
    english = await client.get(created["manage_url"] + "?lang=en")
    assert "permanently deleted" in english.text
    assert (
        await client.post(created["manage_url"], data=CONFIRM)
    ).status_code == 303  # a second click


async def test_a_file_another_photo_shares_is_kept(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    image = jpeg_bytes((900, 700), (30, 160, 60))
    first = await _canary_upload(client, image)
    second = (await upload(client, image, caption="la meme photo")).json()
    shared = await _names(settings, first["id"])
    assert shared == await _names(settings, second["id"])  # content-addressed
    assert (await client.post(first["manage_url"], data=CONFIRM)).status_code == 303
    assert _present(settings.media_path, shared) == shared
    csrf = await sign_in(client, settings)
    assert (await decide(client, csrf, second["id"], "approve")).status_code == 200
    photo = (await client.get("/api/wall/photos")).json()["photos"][0]
    client.cookies.clear()
    assert (await client.get(photo["image"]["url"])).status_code == 200
    assert (await client.post(second["manage_url"], data=CONFIRM)).status_code == 303
    assert _present(settings.media_path, shared) == set()


async def test_a_granted_removal_request_erases_the_photo(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await _canary_upload(client)
    photo_id = created["id"]
    csrf = await sign_in(client, settings)
    assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
    names = await _names(settings, photo_id)
    await _ask_removal(client, photo_id)
    request = (await client.get("/api/moderation/removal-requests")).json()["requests"][0]
    assert request["contact"] == CONTACT
    resolved = await client.post(
        f"/api/moderation/removal-requests/{request['id']}/resolve",
        json={"resolution": "removed", "note": NOTE},
        headers={"X-CSRF-Token": csrf},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["photo_status"] == "erased"
    assert _present(settings.media_path, names) == set()
    after = await _every_row(settings)
    assert [canary for canary in CANARIES if canary in after] == []
    restore = await decide(client, csrf, photo_id, "restore")
    assert (restore.status_code, restore.json()["error"]) == (409, "withdrawn")
    assert "supprimée définitivement" in (await client.get(created["manage_url"])).text


async def test_an_admin_erases_a_removed_photo_and_only_an_admin(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await _canary_upload(client)
    photo_id = created["id"]
    await add_moderator(settings, email="benevole@ecole.test", role="moderator")
    volunteer = await sign_in(client, settings, email="benevole@ecole.test", role="moderator")
    assert (await decide(client, volunteer, photo_id, "remove", reason=REASON)).status_code == 200
    refused = await decide(client, volunteer, photo_id, "erase")
    assert (refused.status_code, refused.json()["error"]) == (403, "admin_only")
    request_only = await decide(client, volunteer, photo_id, "erase_on_request")
    assert request_only.status_code == 422
    names = await _names(settings, photo_id)
    admin = await sign_in(client, settings)
    erased = await decide(client, admin, photo_id, "erase")
    assert erased.status_code == 200, erased.text
    assert (erased.json()["status"], erased.json()["image"], erased.json()["caption"]) == (
        "erased",
        None,
        "",
    )
    assert _present(settings.media_path, names) == set()
    assert [canary for canary in CANARIES if canary in await _every_row(settings)] == []
    assert "supprimée définitivement" in (await client.get(created["manage_url"])).text
