import inspect

import httpx

from wall.sources.base import USER_AGENT, SourceConfig, create_client
from wall.sources.registry import ADAPTERS, build_source


def test_every_adapter_has_the_interface() -> None:
    for kind, adapter in ADAPTERS.items():
        assert inspect.iscoroutinefunction(adapter.fetch), kind
        assert inspect.iscoroutinefunction(adapter.exists), kind
        assert set(adapter.required) <= {
            "token",
            "api_key",
            "identifier",
            "app_password",
            "user_id",
        }


async def test_build_source_uses_the_given_client() -> None:
    async with create_client() as client:
        assert client.headers["user-agent"] == USER_AGENT
        assert client.timeout.read is not None
        config = SourceConfig(name="m", type="mastodon", base_url="https://mastodon.social")
        source = build_source(config, client)
        assert isinstance(source, ADAPTERS["mastodon"])
        assert vars(source)["client"] is client


def test_user_agent_is_ascii_and_names_the_wall() -> None:
    assert USER_AGENT.isascii() and USER_AGENT.startswith("VagueVerte/")
    assert httpx.Headers({"User-Agent": USER_AGENT})["user-agent"] == USER_AGENT
