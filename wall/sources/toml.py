"""Reading the sources file (``wall.toml``) into ``SourceConfig`` values.

One ``[[sources]]`` table per source::

    [[sources]]
    name = "mastodon-social"      # unique, shown to moderators
    type = "mastodon"             # a key of wall.sources.registry.ADAPTERS
    base_url = "https://mastodon.social"
    interval = 60                 # seconds between polls, at least 1
    # recheck_per_minute = 45     requests per minute for deletion re-checks (default: per network)
    # hashtags = ["perséVERT2024"]   default: WALL_HASHTAGS
    # token, api_key, identifier, app_password, user_id: where the network needs them
    # stream_url = "wss://…"      Bluesky only: the Jetstream server, "" for none

``stream_url`` defaults to the public Jetstream for a Bluesky source on the
public ``https://bsky.social``, and to no stream otherwise
(``wall.sources.jetstream.stream_base``).

Credentials may also come from the environment, which wins over the file:
``WALL_SOURCE_<NAME>_<FIELD>``, where ``<NAME>`` is the source name in upper
case with every other character than A–Z and 0–9 turned into ``_`` and
``<FIELD>`` is ``TOKEN``, ``API_KEY``, ``IDENTIFIER``, ``APP_PASSWORD`` or
``USER_ID``; e.g. ``WALL_SOURCE_PIXELFED_SOCIAL_TOKEN`` for ``pixelfed-social``.
``base_url`` may be left out for networks with one public endpoint (Bluesky,
Flickr, Instagram). Every mistake raises ``ConfigError`` with one line.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wall.config import ConfigError, Settings
from wall.hashtags import normalize
from wall.sources.base import SourceConfig
from wall.sources.registry import ADAPTERS

CREDENTIALS = ("token", "api_key", "identifier", "app_password", "user_id")
KEYS = frozenset(
    {
        *("name", "type", "base_url", "interval", "hashtags", "recheck_per_minute"),
        *("stream_url", *CREDENTIALS),
    }
)
STREAM_URL_TYPES = frozenset({"bluesky"})  # networks whose push stream is set by URL
DEFAULT_BASE_URLS = {
    "bluesky": "https://bsky.social",
    "flickr": "https://api.flickr.com",
    "instagram": "https://graph.facebook.com/v21.0",
}
DEFAULT_INTERVAL = 60.0
NAME_MAX = 100  # managed_sources.name and source_states.name
URL_MAX = 500


def env_name(source_name: str, field: str) -> str:
    """The environment variable that holds ``field`` for the source ``source_name``."""
    return f"WALL_SOURCE_{re.sub(r'[^A-Z0-9]', '_', source_name.upper())}_{field.upper()}"


def load_sources(
    path: Path, settings: Settings, environ: Mapping[str, str] | None = None
) -> list[SourceConfig]:
    """The sources of the TOML file at ``path``, credentials resolved from it and ``environ``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the sources file ({exc.strerror})") from None
    return parse_sources(text, settings, environ, origin=str(path))


def parse_sources(
    text: str,
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    origin: str = "wall.toml",
) -> list[SourceConfig]:
    env = os.environ if environ is None else environ
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML ({exc})") from None
    if extra := sorted(set(document) - {"sources"}):
        raise ConfigError(f"{origin}: unknown top-level key {extra[0]!r} (expected [[sources]])")
    tables = document.get("sources", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{origin}: 'sources' must be an array of tables ([[sources]])")
    configs: list[SourceConfig] = []
    env_prefixes: dict[str, str] = {}
    for number, table in enumerate(tables, start=1):
        config = _source(table, number, settings, env, origin)
        if any(seen.name == config.name for seen in configs):
            raise ConfigError(f"{origin}: source #{number}: duplicate name {config.name!r}")
        prefix = env_name(config.name, "")
        if prefix in env_prefixes:
            raise ConfigError(
                f"{origin}: source #{number}: name {config.name!r} shares the environment "
                f"prefix {prefix} with {env_prefixes[prefix]!r}; rename one"
            )
        env_prefixes[prefix] = config.name
        configs.append(config)
    return configs


class SourceTableError(ConfigError):
    """One mistake in one source's table, naming the ``field`` at fault (for the admin page)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _source(
    table: Any, number: int, settings: Settings, env: Mapping[str, str], origin: str
) -> SourceConfig:
    where = f"{origin}: source #{number}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    return source_config(table, settings, env, origin=origin, number=number)


def source_config(
    table: Mapping[str, Any],
    settings: Settings,
    env: Mapping[str, str],
    *,
    origin: str,
    number: int | None = None,
    keys: frozenset[str] = KEYS,
) -> SourceConfig:
    """One source's table checked, credentials from ``env`` winning over the table's.

    The one place the rules of a source's settings are written: ``wall.toml``
    and the admin page (``wall.sources.catalogue``) both go through it. Raises
    ``SourceTableError`` naming the field at fault.
    """

    where = origin if number is None else f"{origin}: source #{number}"

    def fail(field: str, text: str) -> SourceTableError:
        return SourceTableError(field, f"{where}: {text}")

    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "'name' is required (a non-empty string)")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise fail("name", f"'name' is at most {NAME_MAX} characters")
    where = f"{origin}: source {name!r}"
    if unknown := sorted(set(table) - keys):
        raise fail(unknown[0], f"unknown key {unknown[0]!r} (expected {', '.join(sorted(keys))})")
    kind = table.get("type")
    if kind not in ADAPTERS:
        raise fail("type", f"unknown type {kind!r} (expected one of {', '.join(sorted(ADAPTERS))})")
    base_url = table.get("base_url") or DEFAULT_BASE_URLS.get(kind)
    if base_url is None:
        raise fail("base_url", f"'base_url' is required for type {kind!r}")
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(base_url) > URL_MAX
    ):
        raise fail("base_url", f"base_url must be an http(s) URL, got {base_url!r}")
    interval = table.get("interval", DEFAULT_INTERVAL)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not interval >= 1:
        raise fail("interval", f"interval must be a number of seconds >= 1, got {interval!r}")
    recheck = table.get("recheck_per_minute")
    if recheck is not None and (
        isinstance(recheck, bool) or not isinstance(recheck, int | float) or not recheck >= 0
    ):
        raise fail(
            "recheck_per_minute",
            f"recheck_per_minute must be a number of requests >= 0, got {recheck!r}",
        )
    stream_url = _stream_url(table.get("stream_url"), kind, where)
    hashtags = table.get("hashtags", list(settings.hashtags))
    if (
        not isinstance(hashtags, list)
        or not hashtags
        or not all(isinstance(tag, str) and normalize(tag) for tag in hashtags)
    ):
        raise fail("hashtags", "hashtags must be a non-empty list of hashtags")
    credentials: dict[str, str | None] = {}
    for field in CREDENTIALS:
        value = env.get(env_name(name, field)) or table.get(field)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise fail(field, f"{field} must be a non-empty string")
        credentials[field] = value.strip() if value else None
    if missing := [field for field in ADAPTERS[kind].required if not credentials[field]]:
        variables = ", ".join(env_name(name, field) for field in missing)
        raise fail(
            missing[0],
            f"type {kind!r} needs {' and '.join(missing)} (in the file or {variables})",
        )
    return SourceConfig(
        name=name,
        type=kind,
        base_url=base_url.rstrip("/"),
        interval=float(interval),
        hashtags=tuple(hashtags),
        since=settings.campaign_start,
        recheck_per_minute=None if recheck is None else float(recheck),
        stream_url=stream_url,
        **credentials,
    )


def _stream_url(value: Any, kind: str, where: str) -> str | None:
    """``stream_url`` checked: None when absent, "" for no stream, else a ws(s):// URL."""
    if value is None:
        return None
    if kind not in STREAM_URL_TYPES:
        raise SourceTableError("stream_url", f"{where}: stream_url applies to type 'bluesky' only")
    text = value.strip() if isinstance(value, str) else None
    if text == "":
        return ""
    parts = urlsplit(text) if text is not None else None
    if (
        text is None
        or parts is None
        or parts.scheme not in ("ws", "wss")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or len(text) > URL_MAX
    ):
        raise SourceTableError(
            "stream_url",
            f'{where}: stream_url must be a ws:// or wss:// URL (or "" for no stream), '
            f"got {value!r}",
        )
    return text.rstrip("/")
