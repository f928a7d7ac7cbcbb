"""The public "ask for removal" form and its handling by moderators."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from sqlalchemy import select

from tests.factories import decide, sign_in, upload
from tests.moderation.factories import database, network_photo
from tests.web.conftest import serving
from wall.config import Settings
from wall.consent import photo_number
from wall.media import MediaStore
from wall.models import AuditEntry, Photo
from wall.moderation import removals
from wall.moderation.states import Status
from wall.purge import purge


async def test_a_request_reaches_the_moderators_and_is_resolved(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = (await upload(client)).json()["id"]
    csrf = await sign_in(client, settings)
    await decide(client, csrf, photo_id, "approve")
    wall = await client.get("/")
    assert "/removal-request" in wall.text
    form = await client.get("/removal-request")
    assert form.status_code == 200 and "Demander le retrait" in form.text
    client.cookies.clear()  # the public has no session
    sent = await client.post(
        "/removal-request",
        data={
            "photo_ref": f"http://wall.test/#photo-{photo_id}",
            "reason": "C'est mon fils, je n'ai pas donné mon accord.",
            "contact": "parent@exemple.test",
        },
    )
    assert sent.status_code == 201
    missing = await client.post("/removal-request", data={"photo_ref": "x", "reason": ""})
    assert missing.status_code == 422

    csrf = await sign_in(client, settings)
    open_requests = (await client.get("/api/moderation/removal-requests")).json()["requests"]
    assert len(open_requests) == 1
    request = open_requests[0]
    assert (request["photo_id"], request["photo_status"]) == (photo_id, "approved")
    stats = (await client.get("/api/moderation/stats")).json()
    assert stats["removal_requests_open"] == 1

    resolved = await client.post(
        f"/api/moderation/removal-requests/{request['id']}/resolve",
        json={"resolution": "removed", "note": "retirée"},
        headers={"X-CSRF-Token": csrf},
    )
    body = resolved.json()
    # Granted: the photo is deleted for good, and so is what the request said about it.
    assert body["resolved_by"] == "admin@ecole.test" and body["photo_status"] == "erased"
    assert (body["reason"], body["contact"], body["note"], body["photo_ref"]) == (
        "",
        None,
        None,
        "",
    )
    assert (await client.get("/api/wall/photos")).json()["photos"] == []
    again = await client.post(
        f"/api/moderation/removal-requests/{request['id']}/resolve",
        json={"resolution": "dismissed"},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.status_code == 409
    assert (await client.get("/api/moderation/removal-requests")).json()["requests"] == []
    done = (await client.get("/api/moderation/removal-requests?status=resolved")).json()
    assert done["requests"][0]["resolution"] == "removed"


async def test_a_parent_without_a_link_gives_the_photo_number_or_a_description(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = (await upload(client)).json()["id"]
    number = photo_number(photo_id)
    form = html.unescape((await client.get("/removal-request")).text)
    assert "dans un délai de 24" in form and "toujours acceptée" in form
    assert "Seule l'équipe de modération le lit" in form
    assert 'name="photo_ref" required' not in form
    by_number = await client.post(
        "/removal-request",
        data={"photo_ref": f"n° {number.replace('-', ' ')}", "reason": "C'est ma fille."},
    )
    assert by_number.status_code == 201, by_number.text
    assert "dans un délai de 24 heures" in html.unescape(by_number.text)
    described = await client.post(
        "/removal-request",
        data={
            "description": "Vers 10 h 30, deux élèves en chandail vert devant l'école",
            "reason": "Mon fils est dessus.",
        },
    )
    assert described.status_code == 201, described.text
    neither = await client.post("/removal-request", data={"reason": "C'est moi."})
    assert neither.status_code == 422
    assert "Donnez le numéro de la photo, ou décrivez-la" in html.unescape(neither.text)

    await sign_in(client, settings)
    requests = (await client.get("/api/moderation/removal-requests")).json()["requests"]
    assert [(r["photo_id"], r["photo_number"]) for r in requests] == [
        (photo_id, number),
        (None, None),
    ]
    assert requests[1]["description"].startswith("Vers 10 h 30")


async def test_a_shorter_delay_is_what_the_form_promises(settings: Settings) -> None:
    async with serving(settings.replace(removal_delay_hours=6)) as http:
        form = html.unescape((await http.get("/removal-request")).text)
        english = html.unescape((await http.get("/removal-request?lang=en")).text)
    assert "dans un délai de 6 heures" in form and "within 6 hours" in english


async def test_the_removal_form_speaks_english_with_lang_en(client: httpx.AsyncClient) -> None:
    form = html.unescape((await client.get("/removal-request?lang=en")).text)
    assert '<html lang="en-CA">' in form and "Ask for a photo to be removed" in form
    assert "within 24 hours" in form
    assert re.search(r'action="[^"]*/removal-request\?lang=en"', form)
    for french in ("Retour au mur", "Demander le retrait", "facultatif", "Pourquoi"):
        assert french not in form, french
    refused = await client.post("/removal-request?lang=en", data={"reason": "It's me."})
    assert refused.status_code == 422
    assert "Give the photo's number, or describe it" in html.unescape(refused.text)
    sent = await client.post(
        "/removal-request?lang=en", data={"description": "Around 10, green hats", "reason": "Me."}
    )
    assert sent.status_code == 201
    assert "within 24 hours" in sent.text and "Back to the wall" in sent.text


# Two ids whose short numbers collide (found by search: one pair in a million).
SHARED_NUMBER = ("numero-partage-0000447", "numero-partage-0000854")


@pytest.mark.parametrize("shown", SHARED_NUMBER)
async def test_a_number_two_photos_share_points_at_the_one_on_the_wall(
    settings: Settings, shown: str
) -> None:
    """A parent copies the number from the wall: the approved photo wins, whichever came first."""
    assert photo_number(SHARED_NUMBER[0]) == photo_number(SHARED_NUMBER[1]) == "214-190"
    for photo_id in SHARED_NUMBER:
        await network_photo(settings, id=photo_id, source_id=photo_id)
    async with database(settings) as db, db.writing() as session:
        photo = await session.get(Photo, shown)
        assert photo is not None and photo.status == Status.PENDING.value
        photo.status = Status.APPROVED.value
    async with database(settings) as db, db.reading() as session:
        assert await removals.find_photo(session, "le n° 214 190, svp") == shown


async def test_a_dismissed_requests_note_is_kept_only_until_the_purge(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A moderator's note may name a child: the audit log keeps who dismissed it, not the note."""
    sent = await client.post(
        "/removal-request",
        data={"description": "Une élève en vert", "reason": "Ce n'est pas ma fille."},
    )
    assert sent.status_code == 201, sent.text
    csrf = await sign_in(client, settings)
    (request,) = (await client.get("/api/moderation/removal-requests")).json()["requests"]
    dismissed = await client.post(
        f"/api/moderation/removal-requests/{request['id']}/resolve",
        json={"resolution": "dismissed", "note": "la fille de Mme Tremblay, 5e B"},
        headers={"X-CSRF-Token": csrf},
    )
    assert dismissed.status_code == 200, dismissed.text

    async def entry() -> AuditEntry:
        async with database(settings) as db, db.reading() as session:
            found = await session.scalar(
                select(AuditEntry).where(AuditEntry.action == "removal.dismissed")
            )
        assert found is not None
        return found

    assert (await entry()).details == {"note": "la fille de Mme Tremblay, 5e B"}
    async with database(settings) as db:
        await purge(db, MediaStore(settings.media_path))
    after = await entry()
    assert (after.details, after.target, after.actor) == (
        {},
        str(request["id"]),
        "admin@ecole.test",
    )
