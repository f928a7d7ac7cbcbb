"""Fixtures for the moderation tests: a second client on the same running app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from tests.live import running


@pytest.fixture
async def clients(app: Starlette) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two independent browsers (separate cookie jars) on one running app."""
    async with running(app) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://wall.test") as first,
            httpx.AsyncClient(transport=transport, base_url="http://wall.test") as second,
        ):
            yield first, second
