"""Who may fetch each stored file: every status × every file kind, public and moderator."""

from __future__ import annotations

import httpx
from PIL import ImageDraw

from tests.factories import decide, sign_in, upload
from tests.live import running
from tests.media import factories as make
from tests.web.conftest import photo_row
from wall.app import create_app
from wall.config import Settings

ALL_KINDS = {"display", "display_webp", "thumb", "thumb_webp", "display_private", "thumb_private"}
# How each status is reached from pending.
PATHS = {
    "pending": [],
    "rejected": ["reject"],
    "removed": ["approve", "remove"],
    "approved": ["approve"],
}


def face_photo(marker: int) -> bytes:
    """The drawn face (so that blurring makes private kinds), with its own corner mark."""
    image = make.synthetic_face(400)
    ImageDraw.Draw(image).rectangle((0, 0, 40, 40), fill=(marker * 40, 200, 90))
    return make.encoded(image, "PNG")


async def test_every_status_and_file_kind_is_served_only_to_whom_it_may_be(
    settings: Settings,
) -> None:
    blurring = settings.replace(blur_faces="all")
    wrong: list[tuple[object, ...]] = []
    async with running(create_app(blurring, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://wall.test") as moderator,
            httpx.AsyncClient(transport=transport, base_url="http://wall.test") as public,
        ):
            csrf = await sign_in(moderator, blurring)
            for marker, (status, actions) in enumerate(PATHS.items()):
                created = await upload(public, face_photo(marker), filename="face.png")
                assert created.status_code == 201, created.text
                photo_id = created.json()["id"]
                for action in actions:
                    decided = await decide(moderator, csrf, photo_id, action, reason="test")
                    assert decided.status_code == 200, decided.text
                photo = await photo_row(blurring, photo_id)
                assert photo.status == status
                assert set(photo.media) == ALL_KINDS
                for kind, entry in photo.media.items():
                    url = f"/media/{entry['name']}"
                    public_ok = status == "approved" and not kind.endswith("_private")
                    expected = (200 if public_ok else 404, 200)
                    seen = (
                        (await public.get(url)).status_code,
                        (await moderator.get(url)).status_code,
                    )
                    if seen != expected:
                        wrong.append((status, kind, "public/moderator", *seen))
    assert wrong == []
