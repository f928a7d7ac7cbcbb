"""Class uploads through a school invite: the page, the batch, refusals, the invite's cap."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import io

import httpx
from PIL import Image
from sqlalchemy import func, select, update
from starlette.datastructures import FormData

from tests.factories import (
    class_files,
    class_upload,
    jpeg_bytes,
    school_invite,
    sign_in,
    upload,
)
from tests.media.factories import synthetic_face
from tests.web.conftest import Stored, serving, stored
from wall.config import Settings
from wall.db import Database
from wall.media import MediaStore
from wall.models import AuditEntry, Photo, SchoolInvite, UploadSlot, utcnow
from wall.school_invites import invite_client
from wall.uploads import validate_class_fields, validate_fields


def _text(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def _photos(settings: Settings) -> list[Photo]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return list((await session.scalars(select(Photo).order_by(Photo.id))).all())
    finally:
        await db.dispose()


async def _audit(settings: Settings, action: str) -> list[AuditEntry]:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
            return list(rows.all())
    finally:
        await db.dispose()


async def _slots(settings: Settings) -> int:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return int(await session.scalar(select(func.count()).select_from(UploadSlot)) or 0)
    finally:
        await db.dispose()


async def _change_invite(settings: Settings, invite_id: int, **values: object) -> None:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            await session.execute(
                update(SchoolInvite).where(SchoolInvite.id == invite_id).values(**values)
            )
    finally:
        await db.dispose()


async def test_a_class_of_25_photos_becomes_25_pending_photos_of_the_school(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    invite_id, token = await school_invite(settings)
    response = await class_upload(client, token, class_files(25), caption="La 5e B en vert")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["school"] == "École primaire des Bois"
    assert [p["file"] for p in body["photos"]] == [f"eleve-{n:02d}.jpg" for n in range(25)]
    assert body["refused"] == []
    photos = await _photos(settings)
    assert len(photos) == 25
    assert {p.id for p in photos} == {p["id"] for p in body["photos"]}
    for photo in photos:
        assert photo.status == "pending"
        assert photo.source == "upload"
        assert photo.school == "École primaire des Bois"
        assert photo.region == "Gaspésie–Îles-de-la-Madeleine"
        assert photo.caption == "La 5e B en vert"
        assert photo.age_confirmation == "school_consent"  # consent given by the school
        assert photo.client_hash == invite_client(invite_id)
        assert photo.show_name is False and photo.author_name is None
    # Each photo went through the pipeline: its stored copies carry no EXIF (the GPS is gone).
    store = MediaStore(settings.media_path)
    for kind in ("display", "thumb"):
        path = store.path(photos[0].media[kind]["name"])
        assert path is not None
        with Image.open(io.BytesIO(path.read_bytes())) as picture:
            assert len(picture.getexif()) == 0 and not picture.getexif().get_ifd(0x8825)
    # The audit log names the invite of every photo.
    entries = await _audit(settings, "photo.uploaded_via_invite")
    assert sorted(e.photo_id or "" for e in entries) == sorted(p.id for p in photos)
    assert {e.details["invite_id"] for e in entries} == {invite_id}
    assert {e.details["consent"] for e in entries} == {"school"}
    assert await _slots(settings) == 0
    # Moderators see them in the queue like any upload, with the school.
    await sign_in(client, settings, role="moderator")
    pending = (await client.get("/api/moderation/photos?status=pending&limit=50")).json()
    queued = {p["id"]: p["school"] for p in pending["photos"]}
    assert queued == {p.id: "École primaire des Bois" for p in photos}


async def test_the_page_is_french_for_teachers_and_english_on_request(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await school_invite(settings)
    page = await client.get(f"/classe/{token}")
    assert page.status_code == 200
    assert 'lang="fr-CA"' in _text(page)
    assert "École primaire des Bois" in _text(page)
    assert 'name="photos"' in _text(page) and "multiple" in _text(page)
    assert "Envoyez en une fois jusqu'à 30 photos" in _text(page)
    assert "Je confirme que l'école détient l'autorisation" in _text(page)
    english = await client.get(f"/classe/{token}?lang=en")
    assert 'lang="en-CA"' in _text(english)
    assert "I confirm that the school holds an image release" in _text(english)


async def test_a_browser_form_gets_a_french_page_listing_what_was_received(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await school_invite(settings)
    files = [*class_files(2), ("photos", ("abime.jpg", b"\xff\xd8\xff\xe0 pas une image"))]
    page = await class_upload(client, token, files, json=False)
    assert page.status_code == 201
    assert "2 photo(s) reçue(s), en attente de validation." in _text(page)
    assert "abime.jpg" in _text(page) and "Photos refusées" in _text(page)


async def test_a_revoked_invite_is_403_in_french_and_stores_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    invite_id, token = await school_invite(settings)
    await _change_invite(settings, invite_id, revoked_at=utcnow())
    page = await client.get(f"/classe/{token}")
    assert page.status_code == 403
    assert "Ce lien d'envoi pour les classes a été révoqué." in _text(page)
    assert 'name="photos"' not in _text(page)
    answer = await class_upload(client, token, class_files(3))
    assert answer.status_code == 403
    assert answer.json()["error"] == "invite_revoked"
    assert answer.json()["message"].startswith("Ce lien d'envoi pour les classes a été révoqué.")
    english = await class_upload(client, token, class_files(1), json=False, lang="en")
    assert english.status_code == 403 and "This class upload link was revoked." in _text(english)
    assert (await stored(settings)).photos == 0
    assert (await stored(settings)).files == []


async def test_an_expired_invite_is_403_in_french(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    invite_id, token = await school_invite(settings)
    await _change_invite(settings, invite_id, expires_at=utcnow() - dt.timedelta(seconds=1))
    page = await client.get(f"/classe/{token}")
    assert page.status_code == 403
    assert "Ce lien d'envoi pour les classes est expiré." in _text(page)
    answer = await class_upload(client, token, class_files(2))
    assert (answer.status_code, answer.json()["error"]) == (403, "invite_expired")
    assert (await stored(settings)).photos == 0


async def test_an_unknown_link_is_404(client: httpx.AsyncClient, settings: Settings) -> None:
    await school_invite(settings)
    answer = await class_upload(client, "pas-un-vrai-lien-0123456789abcdef", class_files(1))
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown_invite")
    page = await client.get("/classe/pas-un-vrai-lien")
    assert page.status_code == 404 and "n'est pas valide" in _text(page)


async def test_the_school_must_confirm_the_parents_consent(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await school_invite(settings)
    answer = await class_upload(client, token, class_files(2), school_consent="")
    assert (answer.status_code, answer.json()["error"]) == (422, "school_consent_required")
    page = await class_upload(client, token, class_files(2), school_consent="", json=False)
    assert page.status_code == 422 and "Confirmez que l'école détient" in _text(page)
    assert (await stored(settings)).photos == 0


async def test_at_most_30_photos_and_at_least_one(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await school_invite(settings)
    many = await class_upload(client, token, class_files(31, size=(200, 200)))
    assert (many.status_code, many.json()["error"]) == (422, "too_many_photos")
    none = await class_upload(client, token, [("photos", ("", b""))])
    assert (none.status_code, none.json()["error"]) == (422, "photos_required")
    assert (await stored(settings)).photos == 0


async def test_a_bad_photo_is_reported_and_the_good_ones_are_stored_whole(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await school_invite(settings)
    files = [
        *class_files(3),
        ("photos", ("abime.jpg", b"\xff\xd8\xff\xe0 pas une image")),
        ("photos", ("minuscule.jpg", jpeg_bytes((40, 40)))),
    ]
    answer = await class_upload(client, token, files)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert len(body["photos"]) == 3
    refused = {r["file"]: r["error"] for r in body["refused"]}
    assert refused["minuscule.jpg"] == "image_too_small"
    assert set(refused) == {"abime.jpg", "minuscule.jpg"}
    assert all(r["message"] for r in body["refused"])
    after = await stored(settings)
    assert after.photos == 3
    # Nothing of the refused files is left: every stored file belongs to a stored photo.
    assert len(after.files) == after.media_rows
    assert await _slots(settings) == 0


async def test_a_batch_of_only_bad_photos_is_422_with_each_reason(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await school_invite(settings)
    files = [("photos", (f"vide-{n}.jpg", b"")) for n in range(1, 3)]
    files[0] = ("photos", ("texte.jpg", b"bonjour"))
    answer = await class_upload(client, token, files)
    assert answer.status_code == 422
    assert answer.json()["error"] == "photos_refused"
    assert [r["file"] for r in answer.json()["refused"]] == ["texte.jpg", "vide-2.jpg"]
    assert await stored(settings) == Stored(0, 0, [])
    assert await _slots(settings) == 0


async def test_a_resent_form_finds_its_photos_instead_of_storing_them_twice(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await school_invite(settings)
    files = class_files(4)
    key = "cle-de-formulaire-0123456789"
    first = await class_upload(client, token, files, upload_key=key)
    assert first.status_code == 201
    # The teacher fixes nothing but sends again, reordered, plus one more photo.
    again = await class_upload(
        client, token, [*reversed(files), *class_files(5)[4:]], upload_key=key
    )
    assert again.status_code == 201
    replayed = {p["file"]: p["replayed"] for p in again.json()["photos"]}
    assert replayed == {**{f"eleve-{n:02d}.jpg": True for n in range(4)}, "eleve-04.jpg": False}
    assert (await stored(settings)).photos == 5
    same = await class_upload(client, token, files[:2], upload_key=key)
    assert same.status_code == 200
    assert (await stored(settings)).photos == 5


async def test_the_same_form_sent_twice_at_once_stores_its_photos_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A double tap (each time with one more photo picked): neither request finds the
    photos stored yet; the first to commit stores its batch, the other is told they
    are on their way and leaves no file of its own nor slot behind."""
    _, token = await school_invite(settings, upload_limit=10)
    files = class_files(5)
    common, extras = files[:3], files[3:]
    key = "cle-double-envoi-0123456789"
    answers = await asyncio.gather(
        *(class_upload(client, token, [*common, extra], upload_key=key) for extra in extras)
    )
    outcomes = sorted((a.status_code, a.json().get("error", "")) for a in answers)
    assert outcomes == [(201, ""), (409, "batch_in_progress")], [a.text for a in answers]
    after = await stored(settings)
    assert after.photos == 4 and len(after.files) == after.media_rows
    assert await _slots(settings) == 0
    # Sent again later, the form finds its photos.
    again = await class_upload(client, token, common, upload_key=key)
    assert again.status_code == 200
    assert [p["replayed"] for p in again.json()["photos"]] == [True] * 3


async def test_a_batch_past_the_invite_cap_is_refused_whole(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await school_invite(settings, upload_limit=5)
    assert (await class_upload(client, token, class_files(3))).status_code == 201
    refused = await class_upload(client, token, class_files(3))
    assert (refused.status_code, refused.json()["error"]) == (429, "invite_limit_reached")
    assert "encore 2 photo(s) sur 5" in refused.json()["message"]
    assert int(refused.headers["retry-after"]) > 0
    assert (await stored(settings)).photos == 3
    assert (await class_upload(client, token, class_files(2))).status_code == 201
    assert (await stored(settings)).photos == 5


async def test_class_photos_do_not_count_against_the_school_address(settings: Settings) -> None:
    """Students at the school (one address) can still send their own photo."""
    capped = settings.replace(max_pending_per_client=1, upload_limit_per_hour=1)
    _, token = await school_invite(settings)
    async with serving(capped) as http:
        assert (await class_upload(http, token, class_files(6))).status_code == 201
        assert (await upload(http, jpeg_bytes((240, 240)))).status_code == 201
        assert (await upload(http, jpeg_bytes((240, 240)))).status_code == 429
    assert (await stored(settings)).photos == 7


async def test_outside_the_upload_window_the_page_says_so_and_nothing_is_stored(
    settings: Settings,
) -> None:
    closed = settings.replace(uploads_close_at=utcnow() - dt.timedelta(minutes=1))
    _, token = await school_invite(settings)
    async with serving(closed) as http:
        page = await http.get(f"/classe/{token}")
        assert page.status_code == 200
        assert "Le dépôt de photos est fermé." in _text(page)
        assert 'name="photos"' not in page.text
        answer = await class_upload(http, token, class_files(2))
        assert (answer.status_code, answer.json()["error"]) == (403, "uploads_closed")
    assert (await stored(settings)).photos == 0


async def test_the_honeypot_and_the_body_cap_hold_for_class_uploads(settings: Settings) -> None:
    _, token = await school_invite(settings)
    small = settings.replace(max_class_upload_mb=1)
    async with serving(small) as http:
        robot = await class_upload(http, token, class_files(1), website="http://spam.example")
        assert (robot.status_code, robot.json()["error"]) == (422, "spam_suspected")
        padded = jpeg_bytes((900, 900)) + b"\0" * 400_000
        heavy = await class_upload(
            http, token, [("photos", (f"grande-{n}.jpg", padded)) for n in range(3)]
        )
        assert (heavy.status_code, heavy.json()["error"]) == (413, "too_large")
    assert (await stored(settings)).photos == 0


async def test_with_guardian_consent_blurring_class_photos_are_blurred(settings: Settings) -> None:
    """Class photos show children: the under-14 blurring policy covers them."""
    blurring = settings.replace(blur_faces="guardian_consent")
    _, token = await school_invite(settings)
    buffer = io.BytesIO()
    synthetic_face(600).convert("RGB").save(buffer, "JPEG", quality=92)
    async with serving(blurring) as http:
        answer = await class_upload(http, token, [("photos", ("visage.jpg", buffer.getvalue()))])
        assert answer.status_code == 201, answer.text
    (photo,) = await _photos(settings)
    assert "display_private" in photo.media  # the public copy is the blurred one


def test_the_upload_path_says_whether_a_photo_came_through_an_invite() -> None:
    """``via_invite``: what a consent rule such as ``WALL_UNDER_14=school`` reads."""
    visitor = FormData([("consent", "yes"), ("age_confirmation", "14_or_older")])
    assert validate_fields(visitor, Settings()).via_invite is False
    teacher = FormData([("school_consent", "yes")])
    fields = validate_class_fields(teacher, "École du Cap", None)
    assert fields.via_invite is True
    assert (fields.school, fields.age_confirmation) == ("École du Cap", "school_consent")
