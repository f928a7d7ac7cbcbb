"""Bounded, streaming downloads of a post's images into a private temporary file.

Images are never hot-linked: the poller downloads each one here, then hands
the file to the media pipeline, which checks its content like an upload's.
The body is streamed and cut off past ``max_bytes``, the whole download has a
deadline, and redirects are followed by hand (a few at most) so that every
hop is checked. An image URL may point at a loopback or private address only
when the source's own ``base_url`` does (a self-hosted instance on the same
network, a local test server); otherwise a post could make the wall fetch
from inside its own network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import anyio
import httpx

CHUNK = 64 * 1024
MAX_REDIRECTS = 3
DEFAULT_DEADLINE = 60.0


class DownloadError(Exception):
    """An image could not be downloaded; ``retryable`` says whether to try again later."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global


async def _host_is_private(host: str) -> bool:
    """True when ``host`` is, or resolves to, an address that is not public."""
    try:
        return _is_private(host.strip("[]"))
    except ValueError:
        pass
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        infos = await anyio.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DownloadError(f"cannot resolve {host} ({exc})", retryable=True) from None
    return any(_is_private(str(info[4][0])) for info in infos)


async def allows_private(base_url: str) -> bool:
    """Whether images of a source at ``base_url`` may come from private addresses."""
    host = urlsplit(base_url).hostname
    return host is not None and await _host_is_private(host)


# Extensions that name no image the media pipeline takes: refused before any
# request, so a 25 MB video or a sound is never fetched only to be refused.
# A deny list, not an allow list: CDN URLs often carry no extension at all
# (Bluesky's ``…/bafkrei…@jpeg``, Flickr's sized URLs behind redirects).
NOT_IMAGE_EXTENSIONS = frozenset(
    {
        *("svg", "svgz", "pdf", "zip", "txt", "html", "htm", "json"),
        *("mp3", "m4a", "aac", "ogg", "oga", "opus", "wav", "flac", "mid", "midi"),
        *("mp4", "m4v", "mov", "webm", "ogv", "avi", "mkv", "3gp", "mpg", "mpeg", "wmv"),
    }
)


def not_an_image(url: str) -> str | None:
    """The extension of ``url``'s path when it names no image (``"svg"``), else ``None``."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    extension = name.rsplit(".", 1)[1].lower()
    return extension if extension in NOT_IMAGE_EXTENSIONS else None


async def _check_url(url: str, *, private_ok: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DownloadError(f"not an http(s) URL: {url[:200]!r}", retryable=False)
    if extension := not_an_image(url):
        raise DownloadError(f"not an image (.{extension}): {url[:200]}", retryable=False)
    if not private_ok and await _host_is_private(parts.hostname):
        raise DownloadError(f"refused a private address: {parts.hostname}", retryable=False)


def _status_error(response: httpx.Response) -> DownloadError:
    status = response.status_code
    retryable = status in (408, 425, 429) or status >= 500
    return DownloadError(f"HTTP {status} for {response.url}", retryable=retryable)


async def download(
    client: httpx.AsyncClient,
    url: str,
    directory: Path,
    *,
    max_bytes: int,
    private_ok: bool = False,
    deadline: float = DEFAULT_DEADLINE,
) -> Path:
    """Download ``url`` into a new file under ``directory``; the caller deletes it.

    Raises ``DownloadError``; nothing is left on disk then.
    """
    await anyio.Path(directory).mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix="remote-")
    path = Path(name)
    try:
        async with await anyio.open_file(fd, "wb", closefd=True) as handle:
            async with asyncio.timeout(deadline):
                await _stream_into(client, url, handle, max_bytes, private_ok)
    except TimeoutError:
        await anyio.Path(path).unlink(missing_ok=True)
        raise DownloadError(f"timed out after {deadline:g} s: {url}", retryable=True) from None
    except httpx.TimeoutException as exc:
        await anyio.Path(path).unlink(missing_ok=True)
        raise DownloadError(f"timed out ({type(exc).__name__}): {url}", retryable=True) from None
    except httpx.HTTPError as exc:
        await anyio.Path(path).unlink(missing_ok=True)
        raise DownloadError(
            f"network error ({type(exc).__name__}: {exc}): {url}", retryable=True
        ) from None
    except BaseException:
        await anyio.Path(path).unlink(missing_ok=True)
        raise
    return path


async def _stream_into(
    client: httpx.AsyncClient,
    url: str,
    handle: anyio.AsyncFile[bytes],
    max_bytes: int,
    private_ok: bool,
) -> None:
    for _hop in range(MAX_REDIRECTS + 1):
        await _check_url(url, private_ok=private_ok)
        async with client.stream("GET", url, follow_redirects=False) as response:
            if response.is_redirect and "location" in response.headers:
                url = urljoin(str(response.url), response.headers["location"])
                continue
            if response.status_code != 200:
                raise _status_error(response)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise DownloadError(
                    f"too large ({int(declared)} bytes > {max_bytes}): {url}", retryable=False
                )
            received = 0
            async for chunk in response.aiter_bytes(CHUNK):
                received += len(chunk)
                if received > max_bytes:
                    raise DownloadError(f"too large (> {max_bytes} bytes): {url}", retryable=False)
                await handle.write(chunk)
            if received == 0:
                raise DownloadError(f"empty answer: {url}", retryable=False)
            return
    raise DownloadError(f"more than {MAX_REDIRECTS} redirects: {url}", retryable=False)
