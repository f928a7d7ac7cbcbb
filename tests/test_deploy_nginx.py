"""The shipped nginx configuration, for real: two ``wall serve`` processes on
PostgreSQL behind Debian's nginx, with TLS, HTTP/2 and its media cache.

A phone-sized photo gets through, an approval reaches a screen through the
proxy unbuffered, approved media come from nginx's cache with ``304``s, and a
removed photo is gone through the proxy once the cache lifetime has passed
(shortened to 2 s here; 30 s by default).
"""

from __future__ import annotations

import asyncio
import io
import os
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, UPLOAD_FIELDS
from tests.nginx import Nginx
from tests.processes import ORGANIZATION, WallProcess
from tests.sse import SSEReader
from tests.test_live_delivery import _environment

pytestmark = pytest.mark.postgres

CACHE_SECONDS = 2


def phone_photo() -> bytes:
    """A real JPEG of about 2 MB: noise compresses badly, like a sharp phone photo."""
    pixels = Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3))
    green = Image.new("RGB", pixels.size, (40, 170, 70))
    buffer = io.BytesIO()
    Image.blend(pixels, green, 0.5).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


async def wait_for_status(client: httpx.AsyncClient, url: str, status: int) -> httpx.Response:
    async with asyncio.timeout(60):
        while True:
            answer = await client.get(url)
            if answer.status_code == status:
                return answer
            await asyncio.sleep(0.2)


async def test_upload_approve_remove_through_nginx(postgres_url: str, tmp_path: Path) -> None:
    from tests.conftest import _truncate

    await _truncate(postgres_url)
    env = _environment(
        postgres_url,
        tmp_path / "data",
        WALL_MEDIA_CACHE_SECONDS=str(CACHE_SECONDS),
        WALL_HEARTBEAT_SECONDS="60",  # only the event itself can come through promptly
    )
    first, second = WallProcess(dict(env), tmp_path), WallProcess(dict(env), tmp_path)
    nginx = Nginx(tmp_path / "nginx", [f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"])
    for process in (first, second):
        process.env["WALL_PUBLIC_URL"] = nginx.url
        process.env.update(ORGANIZATION)  # an https wall names its organization
    tls = ssl.create_default_context(cafile=str(nginx.cert))
    photo = phone_photo()
    assert len(photo) > 1_500_000  # past nginx's default 1 MB body limit
    with first, second, nginx:
        async with (
            httpx.AsyncClient(base_url=nginx.url, verify=tls, timeout=60) as moderator,
            httpx.AsyncClient(base_url=nginx.url, verify=tls, timeout=60) as visitor,
            httpx.AsyncClient(
                base_url=nginx.url, verify=tls, timeout=httpx.Timeout(10, read=90)
            ) as screen_client,
        ):
            created = await visitor.post(
                "/upload",
                data=UPLOAD_FIELDS,
                files={"photo": ("IMG_0001.jpg", photo, "image/jpeg")},
                headers={"Accept": "application/json"},
            )
            assert created.status_code == 201, created.text
            photo_id = created.json()["id"]
            # The manage link names the public address (port included), not nginx's Host.
            assert created.json()["manage_url"].startswith(f"{nginx.url}/manage/")

            signed = await moderator.post(
                "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            assert signed.status_code == 200, signed.text
            csrf = {"X-CSRF-Token": signed.json()["csrf_token"]}
            pending = (await moderator.get("/api/moderation/photos?status=pending")).json()
            media_url = pending["photos"][0]["media_url"]
            assert (await visitor.get(media_url)).status_code == 404

            async with screen_client.stream("GET", "/api/wall/events") as stream:
                assert stream.status_code == 200
                screen = SSEReader(stream)
                approved = await moderator.post(
                    f"/api/moderation/photos/{photo_id}/decision",
                    json={"action": "approve"},
                    headers=csrf,
                )
                assert approved.status_code == 200, approved.text
                event = await screen.next_event(within=30)
                assert (event.event, event.data["id"]) == ("photo.approved", photo_id)
                image_url = event.data["image"]["url"]

                served = await visitor.get(image_url)
                assert served.status_code == 200
                assert served.headers["cache-control"] == (
                    f"public, max-age={CACHE_SECONDS}, s-maxage={CACHE_SECONDS}"
                )
                again = await visitor.get(image_url)
                assert again.headers["x-cache"] == "HIT"  # from nginx, no Python
                assert again.content == served.content
                unchanged = await visitor.get(
                    image_url, headers={"If-None-Match": served.headers["etag"]}
                )
                assert unchanged.status_code == 304

                removed = await moderator.post(
                    f"/api/moderation/photos/{photo_id}/decision",
                    json={"action": "remove"},
                    headers=csrf,
                )
                assert removed.status_code == 200, removed.text
                event = await screen.next_event(within=30)
                assert (event.event, event.data) == ("photo.removed", {"id": photo_id})
            gone = await wait_for_status(visitor, image_url, 404)
            assert gone.headers.get("x-cache") != "HIT"
            # Still gone on later requests: nothing stale comes back from the cache.
            for _ in range(5):
                assert (await visitor.get(image_url)).status_code == 404
            # The moderator still sees it, and it is not cached for anyone else.
            assert (await moderator.get(media_url)).status_code == 200
            assert (await visitor.get(media_url)).status_code == 404

    # Both processes served requests through nginx.
    for process in (first, second):
        assert 'HTTP/1.1" 200' in process.output()


def test_nginx_speaks_http2_with_the_shipped_configuration(tmp_path: Path) -> None:
    with Nginx(tmp_path / "nginx", ["127.0.0.1:9"]) as nginx:
        version = subprocess.run(
            [
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_version}",
                "--http2",
                "--cacert",
                str(nginx.cert),
                f"{nginx.url}/healthz",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    assert version == "2"
