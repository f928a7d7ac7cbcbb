"""The CDN purge hook: one request per file of a removed photo, off the request path, retried."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.factories import decide, jpeg_bytes, sign_in, upload
from tests.live import LiveServer
from tests.web.conftest import public_names, serving
from wall.config import ConfigError, Settings


@dataclass
class FakeCDN:
    """A purge API that fails its first ``failures`` requests with 500."""

    failures: int = 1
    received: list[tuple[str, str, str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def purge(request: Request) -> Response:
            body = (await request.body()).decode()
            auth = request.headers.get("authorization", "")
            self.received.append((request.method, request.url.path, body, auth))
            if len(self.received) <= self.failures:
                return Response("busy", status_code=500)
            return Response('{"success": true}', media_type="application/json")

        return Starlette(
            routes=[Route("/purge/{rest:path}", purge, methods=["POST", "PURGE", "DELETE"])]
        )


@pytest.fixture
def cdn() -> Iterator[tuple[FakeCDN, str]]:
    fake = FakeCDN()
    server = LiveServer(fake.app())
    server.start()
    try:
        yield fake, server.url
    finally:
        server.stop()


async def test_a_removal_purges_each_public_file_and_retries_a_failure(
    settings: Settings, cdn: tuple[FakeCDN, str]
) -> None:
    fake, url = cdn
    configured = settings.replace(
        public_url="https://mur.example.org",
        cdn_purge_url=url + "/purge{path}",
        cdn_purge_body='{"files": ["{url}"]}',
        cdn_purge_token="jeton-cdn",
    )
    async with serving(configured) as client:
        client.base_url = httpx.URL("https://wall.test")  # the session cookie is Secure now
        created = await upload(client, jpeg_bytes())
        photo_id = created.json()["id"]
        csrf = await sign_in(client, settings)
        assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
        public = {f"/media/{name}" for name in await public_names(settings, photo_id)}
        assert len(public) == 4  # JPEG and WebP, display and thumbnail
        await asyncio.sleep(0.5)
        assert fake.received == []  # an approval purges nothing
        assert (await decide(client, csrf, photo_id, "remove")).status_code == 200
        async with asyncio.timeout(30):
            while len(fake.received) < len(public) + 1:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    methods = {method for method, *_ in fake.received}
    paths = [path.removeprefix("/purge") for _, path, _, _ in fake.received]
    bodies = [json.loads(body) for _, _, body, _ in fake.received]
    assert methods == {"POST"}
    assert {auth for *_, auth in fake.received} == {"Bearer jeton-cdn"}
    assert set(paths) == public and len(paths) == len(public) + 1  # one failed, then retried
    assert all(
        body == {"files": ["https://mur.example.org" + p]}
        for p, body in zip(paths, bodies, strict=True)
    )


async def test_without_a_purge_url_nothing_is_sent(
    settings: Settings, cdn: tuple[FakeCDN, str]
) -> None:
    fake, _ = cdn
    async with serving(settings) as client:
        created = await upload(client, jpeg_bytes())
        csrf = await sign_in(client, settings)
        await decide(client, csrf, created.json()["id"], "approve")
        assert (await decide(client, csrf, created.json()["id"], "remove")).status_code == 200
        await asyncio.sleep(1)
    assert fake.received == []


async def test_the_purge_method_is_configurable(
    settings: Settings, cdn: tuple[FakeCDN, str]
) -> None:
    fake, url = cdn
    fake.failures = 0
    configured = settings.replace(cdn_purge_url=url + "/purge/{name}", cdn_purge_method="PURGE")
    async with serving(configured) as client:
        created = await upload(client, jpeg_bytes())
        csrf = await sign_in(client, settings)
        await decide(client, csrf, created.json()["id"], "approve")
        names = await public_names(settings, created.json()["id"])
        await decide(client, csrf, created.json()["id"], "remove")
        async with asyncio.timeout(30):
            while len(fake.received) < len(names):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    assert {(m, p.removeprefix("/purge/"), b) for m, p, b, _ in fake.received} == {
        ("PURGE", name, "") for name in names
    }


def test_a_url_placeholder_needs_the_public_url() -> None:
    with pytest.raises(ConfigError, match="WALL_PUBLIC_URL"):
        Settings.from_env({"WALL_CDN_PURGE_URL": "https://cdn.test/purge?url={url}"})
    assert (
        Settings.from_env({"WALL_CDN_PURGE_URL": "https://cdn.test/purge{path}"}).cdn_purge_url
        == "https://cdn.test/purge{path}"
    )
