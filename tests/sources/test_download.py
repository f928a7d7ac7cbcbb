"""Bounded image downloads: size cap while streaming, redirects, private addresses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fake_mastodon import jpeg
from tests.live import LiveServer
from wall.sources.base import create_client
from wall.sources.download import DownloadError, download

IMAGE = jpeg(3)
HITS: list[str] = []  # paths the fake served, to prove a refusal sent no request


async def counted(request: Request) -> Response:
    HITS.append(request.url.path)
    return Response(IMAGE, media_type="image/jpeg")


async def image(request: Request) -> Response:
    return Response(IMAGE, media_type="image/jpeg")


async def endless(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"\0" * 16384  # 1 MiB in all, sent without a Content-Length

    return StreamingResponse(chunks(), media_type="image/jpeg")


def tiny_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/image", image),
            Route("/redirect", lambda r: RedirectResponse("/image", 302)),
            Route("/loop", lambda r: RedirectResponse("/loop", 302)),
            Route("/endless", endless),
            Route("/empty", lambda r: Response(b"", media_type="image/jpeg")),
            Route("/gone", lambda r: Response(status_code=404)),
            Route("/media/{name}", counted),
            Route("/to-video", lambda r: RedirectResponse("/media/clip.mp4", 302)),
        ]
    )


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = LiveServer(tiny_app())
    live.start()
    try:
        yield live
    finally:
        live.stop()


async def test_downloads_and_follows_a_redirect(server: LiveServer, tmp_path: Path) -> None:
    async with create_client() as client:
        for path in ("/image", "/redirect"):
            got = await download(
                client, server.url + path, tmp_path, max_bytes=10**6, private_ok=True
            )
            assert got.read_bytes() == IMAGE
            got.unlink()


@pytest.mark.parametrize(
    ("path", "max_bytes", "retryable", "message"),
    [
        ("/endless", 100_000, False, "too large"),
        ("/image", len(IMAGE) - 1, False, "too large"),
        ("/loop", 10**6, False, "redirects"),
        ("/empty", 10**6, False, "empty"),
        ("/gone", 10**6, False, "HTTP 404"),
    ],
)
async def test_refusals_leave_nothing_behind(
    server: LiveServer,
    tmp_path: Path,
    path: str,
    max_bytes: int,
    retryable: bool,
    message: str,
) -> None:
    async with create_client() as client:
        with pytest.raises(DownloadError) as refused:
            await download(
                client, server.url + path, tmp_path, max_bytes=max_bytes, private_ok=True
            )
    assert refused.value.retryable is retryable
    assert message in str(refused.value)
    assert [entry async for entry in anyio.Path(tmp_path).iterdir()] == []


@pytest.mark.parametrize(
    "url",
    ["{server}/image", "http://localhost:9/image", "http://10.0.0.8/image", "file:///etc/passwd"],
)
async def test_private_addresses_and_other_schemes_are_refused(
    server: LiveServer, tmp_path: Path, url: str
) -> None:
    async with create_client() as client:
        with pytest.raises(DownloadError) as refused:
            await download(client, url.format(server=server.url), tmp_path, max_bytes=10**6)
    assert not refused.value.retryable
    assert [entry async for entry in anyio.Path(tmp_path).iterdir()] == []


# -- redirects from a public address ------------------------------------------
# A real server on this machine is on loopback, where the guard is rightly off;
# a MockTransport plays two public hosts so that the guard is on, and would also
# answer for the private target, so a refusal can only come from the guard.

PUBLIC = "http://93.184.215.14"
MIRROR = "http://203.0.114.9"
PRIVATE_TARGETS = [
    "http://127.0.0.1/image",
    "http://10.1.2.3/image",
    "http://192.168.0.10/image",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/image",
    "http://[fc00::5]/image",
    "http://[fd12:3456::1]/image",
    "http://localhost/image",
]


def redirecting_transport(target: str, asked: list[str]) -> httpx.MockTransport:
    """``PUBLIC/direct`` redirects to ``target``, ``PUBLIC/twice`` through ``MIRROR`` to it."""

    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        asked.append(url)
        if url == f"{PUBLIC}/direct":
            return httpx.Response(302, headers={"location": target})
        if url == f"{PUBLIC}/twice":
            return httpx.Response(301, headers={"location": f"{MIRROR}/hop"})
        if url == f"{MIRROR}/hop":
            return httpx.Response(307, headers={"location": target})
        return httpx.Response(200, content=IMAGE, headers={"content-type": "image/jpeg"})

    return httpx.MockTransport(handle)


async def test_a_public_redirect_to_a_public_address_is_followed(tmp_path: Path) -> None:
    asked: list[str] = []
    transport = redirecting_transport(f"{MIRROR}/image", asked)
    async with httpx.AsyncClient(transport=transport) as client:
        got = await download(client, f"{PUBLIC}/twice", tmp_path, max_bytes=10**6)
    assert got.read_bytes() == IMAGE
    assert asked == [f"{PUBLIC}/twice", f"{MIRROR}/hop", f"{MIRROR}/image"]


@pytest.mark.parametrize("first", ["/direct", "/twice"])
@pytest.mark.parametrize("target", PRIVATE_TARGETS)
async def test_a_redirect_to_a_private_address_is_refused_at_every_hop(
    tmp_path: Path, first: str, target: str
) -> None:
    asked: list[str] = []
    async with httpx.AsyncClient(transport=redirecting_transport(target, asked)) as client:
        with pytest.raises(DownloadError) as refused:
            await download(client, PUBLIC + first, tmp_path, max_bytes=10**6)
    assert "refused a private address" in str(refused.value)
    assert not refused.value.retryable
    assert all(not url.startswith(target) for url in asked)  # never even asked
    assert [entry async for entry in anyio.Path(tmp_path).iterdir()] == []


@pytest.mark.parametrize(
    ("path", "extension"),
    [
        ("/media/drawing.svg", "svg"),
        ("/media/song.MP3", "mp3"),
        ("/media/clip.mp4?sig=abc", "mp4"),
        ("/to-video", "mp4"),  # checked at every hop
    ],
)
async def test_non_image_extensions_are_refused_before_any_request(
    server: LiveServer, tmp_path: Path, path: str, extension: str
) -> None:
    HITS.clear()
    async with create_client() as client:
        with pytest.raises(DownloadError) as refused:
            await download(client, server.url + path, tmp_path, max_bytes=10**6, private_ok=True)
    assert not refused.value.retryable
    assert f"not an image (.{extension})" in str(refused.value)
    assert HITS == []
    assert [entry async for entry in anyio.Path(tmp_path).iterdir()] == []


async def test_image_urls_with_or_without_an_extension_are_fetched(
    server: LiveServer, tmp_path: Path
) -> None:
    HITS.clear()
    async with create_client() as client:
        for path in ("/media/photo.jpg?x=1.mp4", "/media/bafkreiabc@jpeg", "/media/v2.0"):
            fetched = await download(
                client, server.url + path, tmp_path, max_bytes=10**6, private_ok=True
            )
            assert fetched.read_bytes() == IMAGE
    assert HITS == ["/media/photo.jpg", "/media/bafkreiabc@jpeg", "/media/v2.0"]
