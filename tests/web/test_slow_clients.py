"""Slow and vanishing clients against a real uvicorn: 408, one log line, nothing left behind."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.factories import UPLOAD_FIELDS, jpeg_bytes
from tests.live import LiveServer
from tests.web.conftest import files_under, stored
from wall import uploads
from wall.app import create_app
from wall.config import Settings

BOUNDARY = "vague-verte-test-boundary"


def multipart_upload() -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in UPLOAD_FIELDS.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; '
        f'filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + jpeg_bytes((1200, 900))
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def half_an_upload(url: str) -> socket.socket:
    """A connection that sent the headers and half of an upload's body, then nothing."""
    body = multipart_upload()
    host, port = url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=60)
    head = (
        f"POST /upload HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    conn.sendall(head + body[: len(body) // 2])
    return conn


class Records(logging.Handler):
    """Every record of the app's and uvicorn's loggers (uvicorn's do not propagate)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def recording() -> Iterator[Records]:
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("wall", "uvicorn", "uvicorn.error")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


@contextmanager
def live(settings: Settings) -> Iterator[str]:
    server = LiveServer(create_app(settings, null_pool=True))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def wait_for(condition: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def spools(settings: Settings) -> list[str]:
    directory = uploads.spool_dir(settings)
    return files_under(directory) if directory.exists() else []


def test_a_stalled_upload_is_answered_408_and_nothing_is_kept(settings: Settings) -> None:
    short = settings.replace(body_timeout_seconds=1.0)
    with live(short) as url:
        conn = half_an_upload(url)
        with conn:
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408")
        error = json.loads(body)
        assert error["error"] == "body_timeout" and error["message"] and error["message_en"]
        assert b"content-security-policy" in head.lower()
        # The server still serves, and the stalled client's place is free again.
        assert httpx.get(f"{url}/healthz").status_code == 200
    state = asyncio.run(stored(short))
    assert state.photos == 0 and state.media_rows == 0
    assert spools(short) == []


def test_a_client_gone_mid_upload_is_one_log_line_without_traceback(
    settings: Settings,
) -> None:
    with recording() as log, live(settings) as url:
        for _ in range(3):
            half_an_upload(url).close()

        def gone() -> list[logging.LogRecord]:
            return [r for r in log.records if "went away" in r.getMessage()]

        wait_for(lambda: len(gone()) == 3, "three 'went away' lines")
        assert httpx.get(f"{url}/healthz").status_code == 200
    assert [r.levelno for r in gone()] == [logging.INFO] * 3
    assert all("POST /upload" in r.getMessage() for r in gone())
    assert [r.getMessage() for r in log.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert asyncio.run(stored(settings)).photos == 0
    assert spools(settings) == []


@pytest.mark.parametrize("cap", [2])
def test_concurrent_uploads_per_client_are_capped(
    settings: Settings, tmp_path: Path, cap: int
) -> None:
    capped = settings.replace(
        max_concurrent_uploads=cap, max_pending_per_client=0, body_timeout_seconds=60.0
    )
    data = {"photo": ("photo.jpg", jpeg_bytes((300, 300)), "image/jpeg")}
    with live(capped) as url, httpx.Client(base_url=url, timeout=60) as http:

        def send() -> httpx.Response:
            return http.post(
                "/upload", data=UPLOAD_FIELDS, files=data, headers={"Accept": "application/json"}
            )

        stalled = [half_an_upload(url) for _ in range(cap)]
        refusals: list[httpx.Response] = []

        def refused_once_more() -> bool:
            refusals.append(send())
            return refusals[-1].status_code == 429

        wait_for(refused_once_more, "a 429")
        refused = refusals[-1]
        assert refused.json()["error"] == "too_many_concurrent_uploads"
        assert refused.json()["message_en"]
        assert int(refused.headers["retry-after"]) > 0
        # Another client is not refused.
        other = http.post(
            "/upload",
            data=UPLOAD_FIELDS,
            files=data,
            headers={"Accept": "application/json", "X-Forwarded-For": "198.51.100.7"},
        )
        assert other.status_code == 201, other.text
        for conn in stalled:
            conn.close()
        wait_for(lambda: send().status_code == 201, "the places to be given back")
