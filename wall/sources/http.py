"""Turning HTTP outcomes into the two SourceError kinds, the same way for every adapter."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from typing import Any

import httpx

from wall.sources.base import PermanentSourceError, RetryableSourceError, SourceError


async def send(
    client: httpx.AsyncClient, source: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise RetryableSourceError(source, f"timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise RetryableSourceError(source, f"network error ({type(exc).__name__}: {exc})") from exc


def read_json(response: httpx.Response, source: str) -> Any:
    """The decoded body; an unreadable body is retryable (a proxy page, a cut answer)."""
    try:
        return json.loads(response.content)
    except ValueError:
        raise RetryableSourceError(
            source, f"unreadable JSON from {response.request.url.path} ({response.status_code})"
        ) from None


def parse_time(value: Any) -> dt.datetime:
    """An ISO-8601 timestamp with an offset, as an aware UTC datetime."""
    if not isinstance(value, str):
        raise ValueError(f"expected a timestamp, got {value!r}")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return parsed.astimezone(dt.UTC)


def seconds_until(when: dt.datetime) -> float:
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def retry_after_header(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds or as an HTTP date, if present and readable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return seconds_until(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError):
        return None


def error_for_status(
    response: httpx.Response, source: str, *, retry_after: float | None = None, hint: str = ""
) -> SourceError:
    """The error for a non-2xx answer: 408/429/5xx retryable, other 4xx permanent."""
    status = response.status_code
    where = f"HTTP {status} from {response.request.url.path}"
    if hint:
        where = f"{where}: {hint}"
    if status in (408, 425, 429) or status >= 500:
        delay = retry_after if retry_after is not None else retry_after_header(response)
        return RetryableSourceError(source, where, retry_after=delay)
    return PermanentSourceError(source, where)
