"""Every absolute link follows ``WALL_PUBLIC_URL``, whatever ``Host`` the proxy passes."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import jpeg_bytes, upload
from tests.web.conftest import serving
from wall.config import ConfigError, Settings

PUBLIC = "https://mur.example.org"


async def test_the_manage_link_qr_code_and_redirects_use_the_public_url(
    settings: Settings,
) -> None:
    # What nginx's `proxy_set_header Host $host` gives the app for a visit to 127.0.0.1.
    async with serving(settings.replace(public_url=PUBLIC)) as client:
        client.base_url = httpx.URL("http://127.0.0.1")
        created = await upload(client, jpeg_bytes())
        assert created.status_code == 201, created.text
        manage_url = created.json()["manage_url"]
        assert manage_url.startswith(f"{PUBLIC}/manage/")
        token_path = manage_url.removeprefix(PUBLIC)
        withdrawn = await client.post(token_path, data={"confirm": "yes"})
        assert withdrawn.status_code == 303
        assert withdrawn.headers["location"] == manage_url
        page = (await client.get("/")).text
        assert f"{PUBLIC}/upload" in page and "127.0.0.1" not in page
        form = (await client.get("/upload", headers={"Accept": "text/html"})).text
        assert f'action="{PUBLIC}/upload"' in form
        signed_out = await client.get("/moderation")
        assert signed_out.headers["location"] == f"{PUBLIC}/login"


async def test_without_it_links_follow_the_request(client: httpx.AsyncClient) -> None:
    created = await upload(client, jpeg_bytes())
    assert created.json()["manage_url"].startswith("http://wall.test/manage/")


@pytest.mark.parametrize("path", ["/mur/upload", "/upload"])
async def test_a_path_prefix_is_in_every_link_whether_the_proxy_strips_it_or_not(
    settings: Settings, path: str
) -> None:
    async with serving(settings.replace(public_url=f"{PUBLIC}/mur")) as client:
        page = await client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert f'action="{PUBLIC}/mur/upload"' in page.text
        assert f"{PUBLIC}/mur/static/" in page.text


@pytest.mark.parametrize(
    "value", ["mur.example.org", "ftp://mur.example.org", "https://", "https://x.org/?a=1"]
)
def test_a_public_url_that_is_not_an_http_address_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="WALL_PUBLIC_URL"):
        Settings.from_env({"WALL_PUBLIC_URL": value})
