import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from wall.sources.base import USER_AGENT, create_client

FIXTURES = Path(__file__).parent.parent / "fixtures"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture_bytes(network: str, name: str) -> bytes:
    return (FIXTURES / network / name).read_bytes()


def fixture_json(network: str, name: str) -> Any:
    return json.loads(fixture_bytes(network, name))


class Recorder:
    """A MockTransport handler that checks what every adapter must send, then delegates."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.handler: Handler | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["user-agent"] == USER_AGENT
        self.requests.append(request)
        assert self.handler is not None, "test forgot to set a handler"
        return self.handler(request)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    async with create_client(transport=httpx.MockTransport(recorder)) as http:
        yield http
