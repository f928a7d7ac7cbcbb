"""Consent Québec's law accepts: who consents for an under-14, the box for
everyone in the photo, and one box per further use that filters obey."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select
from starlette.datastructures import FormData

from tests.factories import jpeg_bytes, upload
from tests.moderation.factories import database, network_photo
from tests.web.conftest import Stored, photo_row, serving, stored
from wall import consent, uploads
from wall.config import Settings
from wall.errors import WallError
from wall.models import Photo

PUBLIC_FORM = {"consent": "yes", "everyone_agrees": "yes"}


@pytest.mark.parametrize(
    ("policy", "via_invite", "allowed"),
    [
        ("parent", False, True),
        ("parent", True, True),
        ("school", False, False),
        ("school", True, True),
        ("refuse", False, False),
        ("refuse", True, False),
    ],
)
def test_who_may_consent_for_an_under_14(policy: str, via_invite: bool, allowed: bool) -> None:
    assert consent.under_14_allowed(policy, via_invite) is allowed


async def test_a_child_whose_parent_has_not_read_the_page_is_stopped_kindly_and_nothing_is_kept(
    settings: Settings,
) -> None:
    async with serving(settings) as http:
        response = await upload(http, age_confirmation="under_14_without_parent", caption="Moi")
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "parent_consent_needed"
        assert "ton parent doit d'abord lire cette page" in body["message"]
        assert "Merci de vouloir participer!" in body["message"]
        assert "your parent must first read this page" in body["message_en"]
        page = await http.post(
            "/upload",
            data={**PUBLIC_FORM, "age_confirmation": "under_14_without_parent"},
            files={"photo": ("p.jpg", b"whatever", "image/jpeg")},
        )
        assert page.status_code == 422
        assert "Ta photo n'a pas été envoyée." in html.unescape(page.text)
    assert await stored(settings) == Stored(0, 0, [])


async def test_each_answer_records_who_consented(settings: Settings) -> None:
    async with serving(settings) as http:
        parent = await upload(http, age_confirmation="guardian_consent")
        older = await upload(http, age_confirmation="14_or_older")
    assert parent.status_code == 201 and older.status_code == 201
    parent_row = await photo_row(settings, parent.json()["id"])
    assert (parent_row.age_confirmation, parent_row.consent_by) == ("guardian_consent", "parent")
    assert parent_row.consent_version == consent.CONSENT_VERSION == "2024-03"
    assert (await photo_row(settings, older.json()["id"])).consent_by == "self"


@pytest.mark.parametrize(
    ("policy", "code"), [("school", "under_14_through_school"), ("refuse", "under_14_refused")]
)
async def test_under_14_uploads_on_the_public_page_follow_wall_under_14(
    settings: Settings, policy: str, code: str
) -> None:
    async with serving(settings.replace(under_14=policy)) as http:
        refused = await upload(http, age_confirmation="guardian_consent")
        assert (refused.status_code, refused.json()["error"]) == (403, code)
        assert (await upload(http, age_confirmation="14_or_older")).status_code == 201
    assert (await stored(settings)).photos == 1


def _form(**fields: str) -> FormData:
    return FormData({**PUBLIC_FORM, **fields})


def test_with_wall_under_14_school_only_an_invite_lets_an_under_14_through() -> None:
    school = Settings(under_14="school")
    with pytest.raises(WallError) as refused:
        uploads.validate_fields(_form(age_confirmation="guardian_consent"), school)
    assert refused.value.code == "under_14_through_school"
    fields = uploads.validate_fields(
        _form(age_confirmation="guardian_consent"), school, via_invite=True
    )
    assert fields.consent_by == "school"
    assert fields.uses == {"school_wall": True, "embed": False, "archive": False}
    # A parent consenting on a class upload under the parent policy stays the parent.
    parent = uploads.validate_fields(
        _form(age_confirmation="guardian_consent"), Settings(), via_invite=True
    )
    assert parent.consent_by == "parent"
    assert parent.uses["school_wall"] is True  # a class upload counts through its invite
    public = uploads.validate_fields(_form(age_confirmation="14_or_older"), Settings())
    assert public.uses["school_wall"] is False
    with pytest.raises(WallError) as never:
        uploads.validate_fields(
            _form(age_confirmation="guardian_consent"),
            Settings(under_14="refuse"),
            via_invite=True,
        )
    assert never.value.code == "under_14_refused"


async def test_the_box_for_everyone_in_the_photo_is_required(settings: Settings) -> None:
    async with serving(settings) as http:
        response = await upload(http, everyone_agrees="")
    assert (response.status_code, response.json()["error"]) == (422, "everyone_consent_required")
    assert response.json()["message_en"] == (
        "Tick the box saying that everyone in the photo agrees."
    )
    assert await stored(settings) == Stored(0, 0, [])


async def test_the_contracts_older_form_still_works_under_the_older_wording_only(
    settings: Settings,
) -> None:
    """A client of the contract's form (no ``everyone_agrees``, no version) is
    still served, and its photo is recorded under the wording it answered, so
    no later purpose ever uses it; the page's form is held to the new one."""
    contract_form = {"consent": "yes", "age_confirmation": "14_or_older", "share_embed": "yes"}
    files = {"photo": ("photo.jpg", jpeg_bytes(), "image/jpeg")}
    json_answer = {"Accept": "application/json"}
    async with serving(settings) as http:
        older = await http.post("/upload", data=contract_form, files=files, headers=json_answer)
        page_form = {**contract_form, "consent_version": consent.CONSENT_VERSION}
        refused = await http.post("/upload", data=page_form, files=files, headers=json_answer)
        page = (await http.get("/upload")).text
    assert older.status_code == 201, older.text
    row = await photo_row(settings, older.json()["id"])
    assert row.consent_version == consent.PREVIOUS_CONSENT_VERSION
    assert (row.consent_school_wall, row.consent_embed, row.consent_archive) == (
        False,
        False,
        False,
    )
    assert not consent.may_appear(row, "embed")
    assert (refused.status_code, refused.json()["error"]) == (422, "everyone_consent_required")
    assert f'name="consent_version" value="{consent.CONSENT_VERSION}"' in page


async def test_each_further_use_is_its_own_box_stored_with_the_photo(settings: Settings) -> None:
    async with serving(settings) as http:
        none = await upload(http)
        school = await upload(http, share_school_wall="yes")
        every = await upload(http, share_school_wall="yes", share_embed="yes", share_archive="yes")
    rows = [await photo_row(settings, r.json()["id"]) for r in (none, school, every)]
    flags = [(p.consent_school_wall, p.consent_embed, p.consent_archive) for p in rows]
    assert flags == [(False, False, False), (True, False, False), (True, True, True)]


async def test_filters_show_a_photo_only_for_the_uses_its_consent_names(
    settings: Settings,
) -> None:
    def made(**fields: object) -> dict[str, object]:
        return {"source": "upload", "school": "École du Parc", **fields}

    ids = {
        "old_version": await network_photo(settings, **made(consent_version="2024-02")),
        "nothing_ticked": await network_photo(settings, **made(consent_by="self")),
        "school_box": await network_photo(
            settings, **made(consent_by="parent", consent_school_wall=True)
        ),
        "class_upload": await network_photo(settings, **made(consent_by="school")),
        "embed_box": await network_photo(settings, **made(consent_by="self", consent_embed=True)),
        "archive_box": await network_photo(
            settings, **made(consent_by="self", consent_archive=True)
        ),
        "hashtag_post": await network_photo(settings),
    }
    expected = {
        "school_wall": {"school_box", "class_upload"},
        "embed": {"embed_box", "hashtag_post"},
        "archive": {"archive_box"},
    }
    names = {photo_id: name for name, photo_id in ids.items()}
    async with database(settings) as db, db.reading() as session:
        photos = list((await session.scalars(select(Photo))).all())
        for use in consent.USES:
            by_rule = {names[p.id] for p in photos if consent.may_appear(p, use)}
            by_query = set(
                (await session.scalars(select(Photo.id).where(consent.appears_clause(use)))).all()
            )
            assert by_rule == expected[use], use
            assert {names[i] for i in by_query} == expected[use], use


def test_a_photo_number_is_short_stable_and_found_in_what_a_parent_writes() -> None:
    number = consent.photo_number("Zx3kP0aQ9vT2rL8mN1bC4w")
    assert number == consent.photo_number("Zx3kP0aQ9vT2rL8mN1bC4w")
    assert len(number) == 7 and number[3] == "-" and number.replace("-", "").isdigit()
    assert number != consent.photo_number("Zx3kP0aQ9vT2rL8mN1bC4x")
    plain = number.replace("-", "")
    spaced = number.replace("-", " ")
    for written in (number, plain, spaced, f"la photo n° {number} vers 7 h"):
        assert consent.numbers_in(written) == [number], written
    assert consent.numbers_in("en 2024 vers 19 h 30, tél. 4185551234") == []
