import datetime as dt
from pathlib import Path

import pytest

from wall.config import ConfigError, Settings
from wall.sources.base import SourceConfig
from wall.sources.registry import ADAPTERS
from wall.sources.toml import env_name, load_sources, parse_sources

SETTINGS = Settings(hashtags=("perséVERT2024", "VagueVerte"))

FULL = """
[[sources]]
name = "mastodon-social"
type = "mastodon"
base_url = "https://mastodon.social/"
interval = 60

[[sources]]
name = "pixelfed-social"
type = "pixelfed"
base_url = "https://pixelfed.social"
interval = 120.5
hashtags = ["perséVERT2024"]
token = "from-the-file"

[[sources]]
name = "bluesky"
type = "bluesky"
identifier = "vagueverte.bsky.social"

[[sources]]
name = "flickr"
type = "flickr"
api_key = "k"

[[sources]]
name = "instagram"
type = "instagram"
base_url = "http://127.0.0.1:8081/v21.0"
token = "t"
user_id = "17841400008460056"
"""


def test_full_file_with_defaults_and_environment() -> None:
    environ = {
        "WALL_SOURCE_BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop",
        "WALL_SOURCE_PIXELFED_SOCIAL_TOKEN": "from-the-env",
        "WALL_SOURCE_MASTODON_SOCIAL_TOKEN": "",  # empty: ignored
    }
    mastodon, pixelfed, bluesky, flickr, instagram = parse_sources(FULL, SETTINGS, environ)

    assert mastodon == SourceConfig(
        name="mastodon-social",
        type="mastodon",
        base_url="https://mastodon.social",
        interval=60.0,
        hashtags=("perséVERT2024", "VagueVerte"),  # from the settings
        # Midnight in Québec a week before the event day (2024-02-15).
        since=dt.datetime(2024, 2, 8, 5, 0, tzinfo=dt.UTC),
    )
    assert pixelfed.interval == 120.5 and pixelfed.hashtags == ("perséVERT2024",)
    assert pixelfed.token == "from-the-env"  # the environment wins over the file
    assert bluesky.base_url == "https://bsky.social"
    assert (bluesky.identifier, bluesky.app_password) == (
        "vagueverte.bsky.social",
        "abcd-efgh-ijkl-mnop",
    )
    assert flickr.base_url == "https://api.flickr.com" and flickr.api_key == "k"
    assert instagram.base_url == "http://127.0.0.1:8081/v21.0"
    assert "abcd" not in repr(bluesky) and "from-the-env" not in repr(pixelfed)


def test_every_registered_type_is_accepted() -> None:
    assert set(ADAPTERS) == {
        *("mastodon", "gotosocial", "akkoma", "pleroma"),
        *("pixelfed", "bluesky", "instagram", "flickr"),
    }


def test_env_name() -> None:
    assert env_name("pixelfed-social", "token") == "WALL_SOURCE_PIXELFED_SOCIAL_TOKEN"
    assert env_name("Flickr.é", "api_key") == "WALL_SOURCE_FLICKR___API_KEY"


def test_no_sources_is_an_empty_list() -> None:
    assert parse_sources("", SETTINGS, {}) == []


def table(**fields: object) -> str:
    lines = ["[[sources]]"]
    for key, value in fields.items():
        rendered = (
            repr(value).replace("'", '"') if not isinstance(value, bool) else str(value).lower()
        )
        lines.append(f"{key} = {rendered}")
    return "\n".join(lines) + "\n"


MASTODON = {"name": "m", "type": "mastodon", "base_url": "https://mastodon.social"}
BLUESKY = {"name": "b", "type": "bluesky", "identifier": "b.bsky.social", "app_password": "x"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            table(name="t", type="tumblr", base_url="https://x"),
            "source 't': unknown type 'tumblr' (expected one of akkoma, bluesky, flickr",
        ),
        (table(**MASTODON) + table(**MASTODON), "source #2: duplicate name 'm'"),
        (
            table(**MASTODON) + table(**{**MASTODON, "name": "M"}),
            "shares the environment prefix WALL_SOURCE_M_",
        ),
        (table(**MASTODON, interval=0), "interval must be a number of seconds >= 1, got 0"),
        (table(**MASTODON, interval="60"), "interval must be a number of seconds >= 1, got '60'"),
        (table(**MASTODON, interval=True), "interval must be a number"),
        (table(**MASTODON, intervall=60), "unknown key 'intervall'"),
        (table(**MASTODON, hashtags=[]), "hashtags must be a non-empty list"),
        (table(**MASTODON, hashtags=["#"]), "hashtags must be a non-empty list"),
        (table(name="m", type="mastodon"), "'base_url' is required for type 'mastodon'"),
        (
            table(name="m", type="mastodon", base_url="mastodon.social"),
            "base_url must be an http(s) URL",
        ),
        (table(type="mastodon", base_url="https://x"), "source #1: 'name' is required"),
        (
            table(name="p", type="pixelfed", base_url="https://pixelfed.social"),
            "type 'pixelfed' needs token (in the file or WALL_SOURCE_P_TOKEN)",
        ),
        (table(name="b", type="bluesky"), "needs identifier and app_password"),
        (
            table(name="b", type="bluesky", app_password="x"),
            "needs identifier (in the file or WALL_SOURCE_B_IDENTIFIER)",
        ),
        (table(name="i", type="instagram", token="t"), "type 'instagram' needs user_id"),
        (table(name="f", type="flickr"), "type 'flickr' needs api_key"),
        (table(name="f", type="flickr", api_key=""), "api_key must be a non-empty string"),
        (
            table(**MASTODON, stream_url="wss://jetstream.example.org"),
            "stream_url applies to type 'bluesky' only",
        ),
        (
            table(**BLUESKY, stream_url="https://jetstream2.us-east.bsky.network"),
            "stream_url must be a ws:// or wss:// URL",
        ),
        (table(**BLUESKY, stream_url="wss://"), "stream_url must be a ws:// or wss:// URL"),
        (
            table(**BLUESKY, stream_url="wss://js.example.org/subscribe?cursor=1"),
            "stream_url must be a ws:// or wss:// URL",
        ),
        (table(**BLUESKY, stream_url=6008), "stream_url must be a ws:// or wss:// URL"),
        ("[[sources]\nname=", "not valid TOML"),
        ("sources = 3", "'sources' must be an array of tables"),
        ("[source]\nname = 'x'", "unknown top-level key 'source'"),
    ],
)
def test_errors_are_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_sources(text, SETTINGS, {}, origin="wall.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("wall.toml: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("wss://jetstream1.us-west.bsky.network/", "wss://jetstream1.us-west.bsky.network"),
        (" ws://127.0.0.1:6008/subscribe ", "ws://127.0.0.1:6008/subscribe"),
        ("", ""),  # no stream, even on bsky.social
    ],
)
def test_stream_url(value: str, expected: str) -> None:
    (config,) = parse_sources(table(**BLUESKY, stream_url=value), SETTINGS, {})
    assert config.stream_url == expected
    (default,) = parse_sources(table(**BLUESKY), SETTINGS, {})
    assert default.stream_url is None  # the rule of wall.sources.jetstream.stream_base


def test_credentials_from_the_environment_satisfy_requirements() -> None:
    text = table(name="f", type="flickr")
    (config,) = parse_sources(text, SETTINGS, {"WALL_SOURCE_F_API_KEY": "env-key"})
    assert config.api_key == "env-key"


def test_load_sources_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "wall.toml"
    path.write_text(FULL, encoding="utf-8")
    environ = {"WALL_SOURCE_BLUESKY_APP_PASSWORD": "pw"}
    assert [c.name for c in load_sources(path, SETTINGS, environ)][:2] == [
        "mastodon-social",
        "pixelfed-social",
    ]
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read"):
        load_sources(tmp_path / "missing.toml", SETTINGS, {})
