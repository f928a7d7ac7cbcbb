"""Which server software answers a Mastodon-compatible API, from its instance document.

Servers that speak Mastodon's client API number their statuses differently,
and paging from the campaign's start depends on it:

- Mastodon (and its forks: glitch-soc, Hometown) uses snowflakes, the
  millisecond time shifted left 16 bits, so the smallest id of a moment is a
  valid ``min_id``;
- GoToSocial uses ULIDs (26 characters of Crockford base32) compared as text;
- Akkoma and Pleroma use FlakeIds (128 bits shown as base62 strings);
- Pixelfed uses its own numeric ids.

Only the first can be computed from a moment. ``GET /api/v2/instance`` (v1 on
older servers) names the software in ``source_url`` or in the ``version``
tail, e.g. ``"2.7.2 (compatible; Akkoma 3.13.2)"``.
"""

from __future__ import annotations

import re
from typing import Any

MASTODON = "mastodon"
GOTOSOCIAL = "gotosocial"
AKKOMA = "akkoma"
PLEROMA = "pleroma"
PIXELFED = "pixelfed"
UNKNOWN = "unknown"

# Software whose status ids are Mastodon snowflakes.
SNOWFLAKE_IDS = frozenset({MASTODON})

_COMPATIBLE = re.compile(r"\(compatible;\s*([A-Za-z][A-Za-z0-9._-]*)", re.IGNORECASE)
_NAMED = {name: name for name in (GOTOSOCIAL, AKKOMA, PLEROMA, PIXELFED, MASTODON)}
_PLAIN_VERSION = re.compile(r"^([1-9]\d*)\.\d+\.\d+")


def software_of(document: Any) -> str:
    """The software named by an instance document (v2 or v1); ``unknown`` when unsure.

    A plain version (``4.6.4``, ``4.3.0+glitch``) without a ``compatible`` tail
    is Mastodon only when it is 1.0 or later and no ``source_url`` names
    something else: GoToSocial's own versions start at ``0.``.
    """
    if not isinstance(document, dict):
        return UNKNOWN
    version = document.get("version")
    version = version if isinstance(version, str) else ""
    source_url = document.get("source_url")
    source_url = source_url.lower() if isinstance(source_url, str) else ""
    if match := _COMPATIBLE.search(version):
        return _NAMED.get(match.group(1).lower(), UNKNOWN)
    for name in (GOTOSOCIAL, AKKOMA, PLEROMA, PIXELFED):
        if name in source_url or name in version.lower():
            return name
    if "mastodon/mastodon" in source_url:
        return MASTODON
    if not source_url and _PLAIN_VERSION.match(version):
        return MASTODON
    return UNKNOWN


def streaming_base(document: Any) -> str | None:
    """The streaming server's base URL as ``https://`` (it is announced as ``wss://``)."""
    if not isinstance(document, dict):
        return None
    configuration = document.get("configuration")
    urls = configuration.get("urls") if isinstance(configuration, dict) else None
    url = urls.get("streaming") if isinstance(urls, dict) else None
    if url is None:
        urls = document.get("urls")  # v1
        url = urls.get("streaming_api") if isinstance(urls, dict) else None
    if not isinstance(url, str) or not url:
        return None
    return re.sub(r"^ws(s?)://", r"http\1://", url).rstrip("/")
