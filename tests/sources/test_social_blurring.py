"""WALL_BLUR_FACES for photos collected from a social network, through the running wall."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.factories import sign_in
from tests.fake_mastodon import FakeMastodon, FakeStatus, wall_env, write_wall_toml
from tests.live import running
from tests.media import factories as make
from wall.app import create_app
from wall.config import Settings
from wall.media.faces import FACE_MARGIN, Box, detect_faces

# JPEG blocks (16 px with chroma subsampling) reach a few pixels past the
# grown box; beyond 8 px the public and private pixels were equal (measured).
BLEED = 16


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    server = FakeMastodon().start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Seen:
    public_url: str
    moderator_url: str
    public: Image.Image
    private: Image.Image


async def _collected_face(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path, policy: str
) -> Seen:
    """A post with a frontal face, collected by the wall's own poller, as everyone sees it."""
    post = mastodon.add(FakeStatus(101, "zoe", "Notre classe dehors"), seeds=(1,))
    mastodon.media[post.images[0]] = make.encoded(make.synthetic_face(400), "JPEG", quality=95)
    source = {"name": "fake-social", "type": "mastodon", "base_url": mastodon.url}
    toml = write_wall_toml(tmp_path / "wall.toml", [source])
    env = wall_env(database_url, tmp_path / "data", toml, WALL_BLUR_FACES=policy)
    settings = Settings.from_env(env)
    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as client:
            await sign_in(client, settings)
            async with asyncio.timeout(30):
                while True:
                    answer = await client.get("/api/moderation/photos?status=pending")
                    photos: list[dict[str, Any]] = answer.json()["photos"]
                    if photos:
                        break
                    await asyncio.sleep(0.1)
            [photo] = photos
            assert photo["source"] == "mastodon"
            private = await client.get(photo["media_url"])
            public = await client.get(photo["image"]["url"])
            assert private.status_code == public.status_code == 200
            return Seen(
                public_url=photo["image"]["url"],
                moderator_url=photo["media_url"],
                public=Image.open(io.BytesIO(public.content)).convert("RGB"),
                private=Image.open(io.BytesIO(private.content)).convert("RGB"),
            )


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


def _grown(box: Box, size: tuple[int, int], extra: int) -> tuple[int, int, int, int]:
    grow_x, grow_y = round(box.width * FACE_MARGIN) + extra, round(box.height * FACE_MARGIN) + extra
    return (
        max(0, box.left - grow_x),
        max(0, box.top - grow_y),
        min(size[0], box.left + box.width + grow_x),
        min(size[1], box.top + box.height + grow_y),
    )


async def test_with_all_a_social_photo_is_blurred_inside_the_face_box_only(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    seen = await _collected_face(mastodon, database_url, tmp_path, "all")
    # Moderators get the unblurred original, the public another file.
    assert seen.public_url != seen.moderator_url
    assert seen.public.size == seen.private.size
    [face] = detect_faces(seen.private)
    assert detect_faces(seen.public) == []

    difference = np.abs(_pixels(seen.public) - _pixels(seen.private))
    left, top, right, bottom = face.left, face.top, face.left + face.width, face.top + face.height
    inside = difference[top:bottom, left:right]
    assert inside.mean() > 10, inside.mean()

    outside = np.ones(difference.shape[:2], dtype=bool)
    x0, y0, x1, y1 = _grown(face, seen.private.size, BLEED)
    outside[y0:y1, x0:x1] = False
    assert outside.sum() > 0.2 * outside.size  # the rest of the picture is compared
    assert difference[outside].max() == 0, difference[outside].max()


@pytest.mark.parametrize("policy", ["uploads", "guardian_consent", "off"])
async def test_other_policies_leave_social_photos_unblurred(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path, policy: str
) -> None:
    seen = await _collected_face(mastodon, database_url, tmp_path, policy)
    assert seen.public_url == seen.moderator_url
    assert len(detect_faces(seen.public)) == 1
