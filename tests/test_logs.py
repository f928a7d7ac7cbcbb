"""Logs of a real ``wall serve``: no client address, no manage or class token, no
secret of a query string; with ``WALL_LOG_FORMAT=json``, one JSON object a line
carrying the request's ``X-Request-Id``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from tests.factories import UPLOAD_FIELDS, jpeg_bytes
from tests.processes import WallProcess, wall_environment
from wall import logs

VISITOR_V4 = "203.0.113.77"
VISITOR_V6 = "2001:db8:85a3::8a2e:370:7334"
QUERY_SECRET = "SecretDeRequete42"
CLASS_TOKEN = "JetonDeClasse0123456789"


def _exercise(server: WallProcess) -> dict[str, str]:
    """Requests a day brings, with secrets in paths, queries and forwarded addresses."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        uploaded = http.post(
            "/upload",
            data=UPLOAD_FIELDS,
            files={"photo": ("photo.jpg", jpeg_bytes(), "image/jpeg")},
            headers={"Accept": "application/json", "X-Forwarded-For": VISITOR_V4},
        )
        assert uploaded.status_code == 201, uploaded.text
        manage_path = httpx.URL(uploaded.json()["manage_url"]).path
        managed = http.get(manage_path, headers={"X-Forwarded-For": VISITOR_V6})
        assert managed.status_code == 200
        http.get(f"/classe/{CLASS_TOKEN}", headers={"X-Forwarded-For": VISITOR_V4})
        http.get(
            "/api/wall/photos",
            params={"token": QUERY_SECRET, "limit": "5"},
            headers={"X-Forwarded-For": VISITOR_V4},
        )
    return {
        "manage_token": manage_path.rsplit("/", 1)[1],
        "manage_request_id": managed.headers["x-request-id"],
    }


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_token_nor_client_address_reaches_the_log(tmp_path: Path, log_format: str) -> None:
    env = wall_environment(
        WALL_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'wall.db'}",
        WALL_DATA_DIR=str(tmp_path / "data"),
        WALL_UPLOAD_LIMIT_PER_HOUR="0",
        WALL_LOG_FORMAT=log_format,
        WALL_TRUSTED_PROXIES="127.0.0.1",
    )
    server = WallProcess(env, tmp_path)
    with server:
        seen = _exercise(server)
    output = server.output()
    assert "/manage/" in output and "/api/wall/photos" in output  # the access log is there
    for secret in (seen["manage_token"], VISITOR_V4, VISITOR_V6, QUERY_SECRET, CLASS_TOKEN):
        assert secret not in output, f"{secret} in the {log_format} log"
    assert "/manage/…" in output and "/classe/…" in output and "token=…" in output
    if log_format == "json":
        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        access = [line for line in lines if line["logger"] == "uvicorn.access"]
        [manage] = [line for line in access if line["path"].startswith("/manage/")]
        assert manage["request_id"] == seen["manage_request_id"]
        assert manage["status"] == 200 and manage["method"] == "GET"
        assert manage["client"].startswith("client-")
        assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
        # Lines outside any request (start, shutdown) carry no request's id.
        assert all("request_id" not in line for line in lines if line["logger"] != "uvicorn.access")


def test_the_scrubber_keeps_what_is_not_personal() -> None:
    scrubbed = logs.scrub(
        "Uvicorn running on http://127.0.0.1:8000 and [::1]:8000; at 12:30:45, "
        f"{VISITOR_V4} GET /api/wall/photos?limit=5&upload_key=abc&csrf_token=def"
    )
    assert "http://127.0.0.1:8000" in scrubbed and "[::1]:8000" in scrubbed
    assert "12:30:45" in scrubbed and "limit=5" in scrubbed
    assert "upload_key=…" in scrubbed and "csrf_token=…" in scrubbed
    assert VISITOR_V4 not in scrubbed
    # The same client gets the same label within a process: its lines can be followed.
    assert logs.scrub(VISITOR_V4) == logs.scrub(f"{VISITOR_V4}") != logs.scrub("198.51.100.1")


def test_a_traceback_is_scrubbed_too() -> None:
    try:
        raise ValueError(f"/manage/{CLASS_TOKEN} from {VISITOR_V4}")
    except ValueError:
        record = logging.LogRecord("wall", logging.ERROR, __file__, 1, "failed", None, None)
        import sys

        record.exc_info = sys.exc_info()
    logs.Scrubber().filter(record)
    formatted = logs.JsonFormatter().format(record)
    assert CLASS_TOKEN not in formatted and VISITOR_V4 not in formatted
    assert "/manage/…" in json.loads(formatted)["exception"]
