"""Served images carry no EXIF, GPS, XMP or comments, whatever the upload had."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from tests.factories import decide, jpeg_bytes, sign_in, upload
from wall.config import Settings


async def test_served_images_have_no_metadata(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    original = jpeg_bytes((1200, 900), gps=True, comment=b"secret school address")
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get_ifd(0x8825), "the factory must really write GPS"
    photo_id = (await upload(client, original)).json()["id"]
    csrf = await sign_in(client, settings)
    assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
    photo = (await client.get("/api/wall/photos")).json()["photos"][0]
    urls = [photo["image"]["url"], photo["image"]["thumb_url"]]
    urls += [photo["image"][k] for k in ("webp_url", "thumb_webp_url") if k in photo["image"]]
    assert len(urls) >= 2
    for url in urls:
        served = await client.get(url)
        assert served.status_code == 200
        body = served.content
        assert b"Exif" not in body and b"GPS" not in body
        assert b"secret school address" not in body and b"PhoneMaker" not in body
        assert b"http://ns.adobe.com/xap" not in body
        with Image.open(io.BytesIO(body)) as image:
            assert not image.getexif()
            assert "icc_profile" not in image.info and "comment" not in image.info
