"""``WALL_TRUSTED_PROXIES``: ``X-Forwarded-*`` count only from a trusted proxy's address.

Two addresses on loopback play the two roles: 127.0.0.1 is the proxy (trusted
by default), 127.0.0.2 someone else who sends the same headers.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.factories import UPLOAD_FIELDS, jpeg_bytes
from tests.processes import WallProcess, wall_environment
from wall.config import ConfigError, Settings


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return wall_environment(
        WALL_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'wall.db'}",
        WALL_DATA_DIR=str(tmp_path / "data"),
        WALL_UPLOAD_LIMIT_PER_HOUR="1",
        WALL_MAX_PENDING_PER_CLIENT="0",
        **extra,
    )


async def _upload_from(
    wall: WallProcess, local_address: str, forwarded_for: str, n: int
) -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(local_address=local_address)
    async with httpx.AsyncClient(transport=transport, base_url=wall.url, timeout=30) as client:
        return await client.post(
            "/upload",
            data=UPLOAD_FIELDS,
            files={"photo": ("photo.jpg", jpeg_bytes(color=(30, 150 + n, 60)), "image/jpeg")},
            headers={
                "Accept": "application/json",
                "X-Forwarded-For": forwarded_for,
                "X-Forwarded-Proto": "https",
            },
        )


async def test_forwarded_headers_are_believed_from_the_trusted_proxy_only(
    tmp_path: Path,
) -> None:
    with WallProcess(_environment(tmp_path), tmp_path) as wall:
        # Through the proxy: two visitors are two clients, each under the hourly limit.
        for n, visitor in enumerate(("203.0.113.5", "203.0.113.6")):
            answer = await _upload_from(wall, "127.0.0.1", visitor, n)
            assert answer.status_code == 201, answer.text
            assert answer.json()["manage_url"].startswith("https://")
        # From elsewhere the same headers are ignored: one client, limited at once.
        first = await _upload_from(wall, "127.0.0.2", "198.51.100.1", 2)
        assert first.status_code == 201, first.text
        assert first.json()["manage_url"].startswith("http://127.0.0.1:")
        second = await _upload_from(wall, "127.0.0.2", "198.51.100.2", 3)
        assert second.status_code == 429, second.text


async def test_the_trusted_addresses_come_from_the_setting(tmp_path: Path) -> None:
    env = _environment(tmp_path, WALL_TRUSTED_PROXIES="127.0.0.2/32, 10.0.0.0/8")
    with WallProcess(env, tmp_path) as wall:
        for n, visitor in enumerate(("198.51.100.1", "198.51.100.2")):
            answer = await _upload_from(wall, "127.0.0.2", visitor, n)
            assert answer.status_code == 201, answer.text
            assert answer.json()["manage_url"].startswith("https://")
        # 127.0.0.1 is no longer trusted: its visitors are all one client.
        assert (await _upload_from(wall, "127.0.0.1", "203.0.113.5", 2)).status_code == 201
        assert (await _upload_from(wall, "127.0.0.1", "203.0.113.6", 3)).status_code == 429


def test_a_proxy_that_is_not_an_address_is_refused() -> None:
    with pytest.raises(ConfigError, match="WALL_TRUSTED_PROXIES"):
        Settings.from_env({"WALL_TRUSTED_PROXIES": "proxy.example.org"})
    assert Settings.from_env({"WALL_TRUSTED_PROXIES": "*"}).trusted_proxies == ("*",)
