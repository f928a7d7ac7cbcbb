"""What the upload accepts from phones, retries, anti-abuse rules and face blurring."""

from __future__ import annotations

import asyncio
import io
import struct
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image, ImageDraw

from tests.factories import decide, jpeg_bytes, sign_in, upload
from tests.live import running
from tests.media import factories as make
from tests.web.conftest import serving, stored
from wall.app import create_app
from wall.config import Settings
from wall.media.faces import detect_faces


def sof_resized(jpeg: bytes, width: int, height: int) -> bytes:
    """A JPEG whose frame header claims another size (what a camera's header says)."""
    at = jpeg.index(b"\xff\xc0")
    return jpeg[: at + 5] + struct.pack(">HH", height, width) + jpeg[at + 9 :]


def fifty_megapixel_jpeg() -> bytes:
    """8160 x 6120 (49.9 MP), the size of a recent Android phone's full-resolution photo."""
    image = Image.new("RGB", (8160, 6120), (30, 140, 60))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.rectangle((i * 600, i * 400, i * 600 + 900, i * 400 + 700), fill=(20 * i, 200, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


async def test_heic_from_an_iphone_is_accepted(client: httpx.AsyncClient) -> None:
    response = await upload(client, make.heic(make.photo(640, 480)), filename="IMG_0001.HEIC")
    assert response.status_code == 201, response.text


async def test_a_50_megapixel_android_photo_is_accepted(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    data = fifty_megapixel_jpeg()
    assert len(data) < settings.max_upload_bytes
    response = await upload(client, data)
    assert response.status_code == 201, response.text
    csrf = await sign_in(client, settings)
    approved = await decide(client, csrf, response.json()["id"], "approve")
    assert (approved.json()["image"]["width"], approved.json()["image"]["height"]) == (1600, 1200)


async def test_a_photo_no_bigger_than_a_thumbnail_is_stored_once_per_encoding(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # Display and thumbnail are the same bytes then: one file, one row each.
    response = await upload(client, jpeg_bytes((400, 300)))
    assert response.status_code == 201, response.text
    state = await stored(settings)
    assert (state.photos, state.media_rows) == (1, 2)


async def test_a_200_megapixel_photo_is_refused_cleanly(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    data = sof_resized(jpeg_bytes((400, 300)), 16320, 12240)
    response = await upload(client, data)
    assert response.status_code == 413
    assert response.json()["error"] == "too_many_pixels"
    assert (await stored(settings)).photos == 0


async def test_a_retry_with_the_same_key_returns_the_same_photo_and_stores_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    key = "0b7c1e9e-5c2a-4c51-9b1b-2f3f5a8e9d10"
    first = await upload(client, jpeg_bytes(), upload_key=key, caption="un")
    assert first.status_code == 201, first.text
    after_first = await stored(settings)
    again = await upload(client, jpeg_bytes(color=(1, 2, 3)), upload_key=key, caption="deux")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert await stored(settings) == after_first
    assert (await client.get(again.json()["manage_url"])).status_code == 200

    other = await upload(client, jpeg_bytes(), upload_key=key.replace("0b7c", "9999"))
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert (await stored(settings)).photos == 2


async def test_the_same_key_from_another_client_is_another_upload(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    key = "shared-key-0123456789abcdef"
    mine = await upload(client, upload_key=key)
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi, client=("203.0.113.9", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as theirs:
            response = await upload(theirs, upload_key=key)
    assert response.status_code == 201
    assert response.json()["id"] != mine.json()["id"]
    assert response.json()["manage_url"] != mine.json()["manage_url"]


async def test_two_attempts_at_once_store_one_photo(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    key = "racing-key-0123456789abcdef"
    answers = await asyncio.gather(*(upload(client, upload_key=key) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert answers[0].json() == answers[1].json()
    state = await stored(settings)
    assert state.photos == 1 and state.media_rows == 4
    assert len([f for f in state.files if f.startswith("media/")]) == 4


@pytest.mark.parametrize("key", ["short", "a" * 65, "../../etc/passwd", "clé-avec-accent-123456"])
async def test_a_malformed_upload_key_is_refused(
    client: httpx.AsyncClient, settings: Settings, key: str
) -> None:
    response = await upload(client, upload_key=key)
    assert (response.status_code, response.json()["error"]) == (422, "invalid_upload_key")
    assert (await stored(settings)).photos == 0


async def test_a_filled_honeypot_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await upload(client, website="http://spam.example")
    assert (response.status_code, response.json()["error"]) == (422, "spam_suspected")
    assert (await stored(settings)).photos == 0


async def test_the_hourly_limit_answers_429_with_retry_after(settings: Settings) -> None:
    async with serving(settings.replace(upload_limit_per_hour=2)) as client:
        for _ in range(2):
            assert (await upload(client)).status_code == 201
        refused = await upload(client, upload_key="a-new-key-0123456789")
        assert refused.status_code == 429
        assert refused.json()["error"] == "upload_rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert (await stored(settings)).photos == 2


async def test_a_retry_is_answered_even_at_the_hourly_limit(settings: Settings) -> None:
    key = "stalled-upload-0123456789"
    async with serving(settings.replace(upload_limit_per_hour=1)) as client:
        first = await upload(client, upload_key=key)
        assert first.status_code == 201
        retry = await upload(client, upload_key=key)
        assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
        assert (await upload(client)).status_code == 429


async def test_pending_uploads_per_client_are_capped(settings: Settings) -> None:
    async with serving(settings.replace(max_pending_per_client=2)) as client:
        ids = [(await upload(client)).json()["id"] for _ in range(2)]
        refused = await upload(client)
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_pending"
        assert int(refused.headers["retry-after"]) > 0
        assert (await stored(settings)).photos == 2
        csrf = await sign_in(client, settings)
        assert (await decide(client, csrf, ids[0], "approve")).status_code == 200
        assert (await upload(client)).status_code == 201


@dataclass(frozen=True)
class Blurring:
    public_url: str
    moderator_url: str
    faces_public: int
    faces_moderator: int
    moderator_url_for_anyone: int


def faces_in(response: httpx.Response) -> int:
    assert response.status_code == 200
    return len(detect_faces(Image.open(io.BytesIO(response.content)).convert("RGB")))


async def blurred_upload(settings: Settings, age: str) -> Blurring:
    """Upload the drawn face and approve it; what the public and moderators see."""
    async with serving(settings) as client:
        face = make.encoded(make.synthetic_face(400), "PNG")
        created = await upload(client, face, filename="face.png", age_confirmation=age)
        assert created.status_code == 201, created.text
        csrf = await sign_in(client, settings)
        approved = (await decide(client, csrf, created.json()["id"], "approve")).json()
        public_url, moderator_url = approved["image"]["url"], approved["media_url"]
        faces_moderator = faces_in(await client.get(moderator_url))
        client.cookies.clear()
        return Blurring(
            public_url=public_url,
            moderator_url=moderator_url,
            faces_public=faces_in(await client.get(public_url)),
            faces_moderator=faces_moderator,
            moderator_url_for_anyone=(await client.get(moderator_url)).status_code,
        )


async def test_guardian_consent_uploads_have_faces_blurred_for_the_public_only(
    settings: Settings,
) -> None:
    seen = await blurred_upload(settings.replace(blur_faces="guardian_consent"), "guardian_consent")
    assert seen.public_url != seen.moderator_url
    assert (seen.faces_public, seen.faces_moderator) == (0, 1)
    assert seen.moderator_url_for_anyone == 404  # the unblurred file is never public


async def test_guardian_consent_setting_leaves_older_uploaders_unblurred(
    settings: Settings,
) -> None:
    seen = await blurred_upload(settings.replace(blur_faces="guardian_consent"), "14_or_older")
    assert seen.public_url == seen.moderator_url
    assert seen.faces_public == 1


async def test_blur_faces_all_blurs_every_upload(settings: Settings) -> None:
    seen = await blurred_upload(settings.replace(blur_faces="all"), "14_or_older")
    assert seen.public_url != seen.moderator_url
    assert (seen.faces_public, seen.faces_moderator) == (0, 1)


async def test_blur_faces_uploads_blurs_every_upload(settings: Settings) -> None:
    seen = await blurred_upload(settings.replace(blur_faces="uploads"), "14_or_older")
    assert seen.public_url != seen.moderator_url
    assert (seen.faces_public, seen.faces_moderator) == (0, 1)
