"""The one list of source adapters, by the ``type`` used in ``wall.toml``."""

from __future__ import annotations

import httpx

from wall.sources.base import Source, SourceConfig
from wall.sources.bluesky import BlueskySource
from wall.sources.flickr import FlickrSource
from wall.sources.instagram import InstagramSource
from wall.sources.mastodon import MastodonSource
from wall.sources.pixelfed import PixelfedSource

ADAPTERS: dict[str, type[Source]] = {
    "mastodon": MastodonSource,  # finds out which software answers
    "gotosocial": MastodonSource,
    "akkoma": MastodonSource,
    "pleroma": MastodonSource,
    "pixelfed": PixelfedSource,
    "bluesky": BlueskySource,
    "instagram": InstagramSource,
    "flickr": FlickrSource,
}


def build_source(config: SourceConfig, client: httpx.AsyncClient) -> Source:
    """The adapter for ``config.type``, sharing ``client`` (which carries the User-Agent)."""
    return ADAPTERS[config.type](config, client)
