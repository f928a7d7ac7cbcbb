"""The manage link's private pages: thumbnail, share card, QR code, deletion in two steps."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import httpx
from PIL import Image

from tests.factories import decide, jpeg_bytes, sign_in, upload
from tests.test_share_card import assert_pixels_only
from tests.web.conftest import photo_row
from wall.config import Settings
from wall.web.invite import qr_svg

SECRET = b"adresse secrete de l'ecole"
NOT_THE_TOKEN = "A" * 32


async def uploaded(client: httpx.AsyncClient) -> dict[str, str]:
    response = await upload(client, jpeg_bytes((1200, 900), gps=True, comment=SECRET))
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def path(url: str) -> str:
    return urlsplit(url).path


def assert_private(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "private, no-store"
    assert "noindex" in response.headers["x-robots-tag"]


async def test_the_upload_answer_names_the_qr_code_and_the_share_card(
    client: httpx.AsyncClient,
) -> None:
    created = await uploaded(client)
    manage = created["manage_url"]
    assert created["manage_qr_url"] == manage + "/qr.svg"
    assert created["share_card_url"] == manage + "/share.jpg"
    english = await client.post(
        "/upload?lang=en",
        data={"consent": "yes", "age_confirmation": "14_or_older"},
        files={"photo": ("a.jpg", jpeg_bytes(), "image/jpeg")},
        headers={"Accept": "application/json"},
    )
    links = english.json()
    assert links["manage_url"].endswith("?lang=en")
    assert links["manage_qr_url"] == links["manage_url"].replace("?lang=en", "/qr.svg?lang=en")


async def test_the_share_card_has_no_metadata_and_only_the_link_holder_gets_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await uploaded(client)
    card = await client.get(created["share_card_url"])
    assert card.status_code == 200
    assert card.headers["content-type"] == "image/jpeg"
    assert_private(card)
    assert "perséVERT2024.jpg" in card.headers["content-disposition"] or (
        "pers%C3%A9VERT2024.jpg" in card.headers["content-disposition"]
    )
    assert_pixels_only(card.content)
    assert SECRET not in card.content and b"PhoneMaker" not in card.content
    with Image.open(io.BytesIO(card.content)) as image:
        assert image.size == (1080, 1350)

    for wrong in (NOT_THE_TOKEN, created["id"], ""):
        refused = await client.get(f"/manage/{wrong}/share.jpg")
        assert refused.status_code == 404, wrong
        assert refused.headers["content-type"].startswith("text/html")
    json = await client.get(
        f"/manage/{NOT_THE_TOKEN}/share.jpg", headers={"Accept": "application/json"}
    )
    assert json.json()["error"] == "unknown_manage_link"

    # Even a moderator needs the link: the card is not a media file.
    await sign_in(client, settings)
    assert (await client.get(f"/manage/{NOT_THE_TOKEN}/share.jpg")).status_code == 404


async def test_a_refused_photo_is_no_longer_offered_for_sharing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await uploaded(client)
    csrf = await sign_in(client, settings)
    assert (await decide(client, csrf, created["id"], "reject")).status_code == 200
    client.cookies.clear()
    refused = await client.get(created["share_card_url"], headers={"Accept": "application/json"})
    assert (refused.status_code, refused.json()["error"]) == (404, "not_shareable")
    page = await client.get(created["manage_url"])
    assert "non retenue" in page.text and "share.jpg" not in page.text
    assert (await client.get(path(created["manage_url"]) + "/photo.jpg")).status_code == 200


async def test_the_manage_page_shows_the_thumbnail_to_the_link_holder_only(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await uploaded(client)
    page = await client.get(created["manage_url"])
    assert page.status_code == 200
    assert_private(page)
    assert "en attente de validation" in page.text
    thumb_url = created["manage_url"] + "/photo.jpg"
    assert f'src="{thumb_url}"' in page.text
    thumb = await client.get(thumb_url)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert_private(thumb)
    assert_pixels_only(thumb.content)
    assert SECRET not in thumb.content
    photo = await photo_row(settings, created["id"])
    assert thumb.content == (settings.media_path / photo.media["thumb"]["name"]).read_bytes()
    assert (await client.get(f"/manage/{NOT_THE_TOKEN}/photo.jpg")).status_code == 404
    # The same file by its media name stays hidden from the public while pending.
    assert (await client.get(f"/media/{photo.media['thumb']['name']}")).status_code == 404

    qr = await client.get(created["manage_qr_url"])
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert_private(qr)
    assert qr.content == qr_svg(created["manage_url"], "Code QR du lien privé de ta photo")
    assert (await client.get(f"/manage/{NOT_THE_TOKEN}/qr.svg")).status_code == 404


async def test_deleting_needs_the_confirmation_step(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await uploaded(client)
    manage = created["manage_url"]
    page = (await client.get(manage)).text
    assert f'href="{manage}/withdraw"' in page and "<form" not in page  # a link, not a delete

    # A post without the confirmation deletes nothing: the page asks first.
    unconfirmed = await client.post(manage)
    assert (unconfirmed.status_code, unconfirmed.headers["location"]) == (303, manage + "/withdraw")
    as_json = await client.post(manage, headers={"Accept": "application/json"})
    assert (as_json.status_code, as_json.json()["error"]) == (422, "confirmation_required")
    wrong = await client.post(manage, data={"confirm": "no"})
    assert wrong.status_code == 303
    assert (await photo_row(settings, created["id"])).status == "pending"

    confirm = await client.get(manage + "/withdraw")
    assert confirm.status_code == 200
    assert_private(confirm)
    assert "Retirer ta photo\u00a0?" in confirm.text
    assert f'action="{manage}"' in confirm.text and 'name="confirm" value="yes"' in confirm.text
    english = await client.get(manage + "/withdraw?lang=en")
    assert "Remove your photo?" in english.text and f'action="{manage}?lang=en"' in english.text

    done = await client.post(manage, data={"confirm": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, manage)
    assert (await photo_row(settings, created["id"])).status == "erased"
    # Gone: no thumbnail, no card, and the confirmation page leads back.
    assert (await client.get(manage + "/photo.jpg")).status_code == 404
    assert (await client.get(created["share_card_url"])).status_code == 404
    back = await client.get(manage + "/withdraw")
    assert (back.status_code, back.headers["location"]) == (303, manage)
    assert (await client.get(f"/manage/{NOT_THE_TOKEN}/withdraw")).status_code == 404
    assert (
        await client.post(f"/manage/{NOT_THE_TOKEN}", data={"confirm": "yes"})
    ).status_code == 404


async def test_the_sign_in_page_says_its_language(client: httpx.AsyncClient) -> None:
    assert '<html lang="fr-CA">' in (await client.get("/login")).text
    assert '<html lang="en-CA">' in (await client.get("/login?lang=en")).text
