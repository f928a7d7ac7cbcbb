"""Security headers: frame-ancestors for partners' embeds, HSTS over https, on every answer."""

from __future__ import annotations

import httpx
import pytest

from tests.live import LiveServer
from tests.web.conftest import serving
from wall.app import create_app
from wall.config import Settings


def frame_ancestors(response: httpx.Response) -> str:
    directives = [d.strip() for d in response.headers["content-security-policy"].split(";")]
    [found] = [d for d in directives if d.startswith("frame-ancestors ")]
    return found.removeprefix("frame-ancestors ")


async def test_frame_ancestors_default_to_self_and_moderation_is_never_framed(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/", "/upload", "/healthz", "/no-such-page"):
        assert frame_ancestors(await client.get(path)) == "'self'", path
    for path in ("/moderation", "/login", "/api/moderation/photos", "/api/auth/login"):
        assert frame_ancestors(await client.get(path)) == "'none'", path


async def test_partners_named_in_the_setting_may_frame_the_wall(settings: Settings) -> None:
    partners = Settings.from_env(
        {"WALL_FRAME_ANCESTORS": "'self' https://partenaire.example *.cssdm.gouv.qc.ca"}
    )
    embeddable = settings.replace(frame_ancestors=partners.frame_ancestors)
    async with serving(embeddable) as http:
        for path in ("/", "/embed", "/embed?region=Estrie&kiosk=1", "/api/wall/stats"):
            wall = await http.get(path)
            assert wall.status_code == 200, path
            assert frame_ancestors(wall) == "'self' https://partenaire.example *.cssdm.gouv.qc.ca"
        moderation = await http.get("/moderation")
        # The upload form and the manage links stay on the wall's own site.
        upload = await http.get("/upload")
        manage = await http.get("/manage/unknown-token")
    assert frame_ancestors(moderation) == "'none'"
    assert frame_ancestors(upload) == "'self'"
    assert frame_ancestors(manage) == "'self'"


async def test_a_wall_that_may_not_be_framed_is_framed_nowhere(settings: Settings) -> None:
    async with serving(settings.replace(frame_ancestors="'none'")) as http:
        for path in ("/", "/embed", "/upload"):
            assert frame_ancestors(await http.get(path)) == "'none'", path


async def test_no_hsts_over_plain_http(client: httpx.AsyncClient) -> None:
    assert "strict-transport-security" not in (await client.get("/")).headers


async def test_hsts_when_the_public_url_is_https(settings: Settings) -> None:
    async with serving(settings.replace(public_url="https://mur.example")) as http:
        answer = await http.get("/")
    assert answer.headers["strict-transport-security"] == "max-age=31536000"


def test_hsts_when_a_trusted_proxy_says_https(settings: Settings) -> None:
    server = LiveServer(create_app(settings, null_pool=True))
    server.start()
    try:
        behind_tls = httpx.get(f"{server.url}/healthz", headers={"X-Forwarded-Proto": "https"})
        plain = httpx.get(f"{server.url}/healthz")
    finally:
        server.stop()
    assert behind_tls.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in plain.headers


@pytest.mark.parametrize(
    "path", ["/no-such-page", "/api/wall/photos?limit=abc", "/api/wall/photos?before=%00"]
)
async def test_error_answers_carry_the_headers_too(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code >= 400
    assert frame_ancestors(answer) == "'self'"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-request-id"]
