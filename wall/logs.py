"""Logs without secrets: the scrubbing filter, the JSON format, the request id.

Every log line of ``wall serve`` (uvicorn's access and error logs, the app's
``wall.*`` loggers, and whatever other library logs through the root logger)
goes through ``Scrubber`` on its handler:

- a client's IP address becomes ``client-<hash>``: a keyed hash with a key
  drawn at each start, so one process's lines can still be followed per
  client but never turned back into the address (the database keeps clients
  only as keyed hashes too). Loopback and unspecified addresses (the server's
  own ``127.0.0.1:8000``) are kept;
- the secret part of a path is cut: ``/manage/<token>`` and
  ``/classe/<token>`` become ``/manage/…`` and ``/classe/…``;
- a query parameter named like a secret (``token``, ``key``, ``code``,
  ``secret``, ``password``, ``signature``, ``sig``) keeps its name, not its
  value.

``WALL_LOG_FORMAT=json`` writes one JSON object a line (``time``, ``level``,
``logger``, ``message``, ``request_id``, and for uvicorn's access lines
``client``, ``method``, ``path``, ``status``); ``text`` (the default) keeps
uvicorn's lines. The request id is the one ``X-Request-Id`` carries.
"""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

FORMATS = ("text", "json")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "wall_request_id", default=None
)

_HASH_KEY = secrets.token_bytes(16)

# Paths whose last segment is a bearer secret (the uploader's and a class's links).
SECRET_PATHS = re.compile(r"(/(?:manage|classe)/)[^/?#\s\"']+")
SECRET_QUERY = re.compile(
    r"([?&;](?:[\w.-]*(?:token|key|code|secret|password|signature)[\w.-]*|sig)=)[^&#\s\"']*",
    re.IGNORECASE,
)
# Candidates only: each is checked by ipaddress before it is replaced.
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
IPV6 = re.compile(r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%\w+)?(?![\w:])", re.I)
CUT = "…"


def client_label(address: str) -> str:
    digest = hmac.new(_HASH_KEY, address.encode(), hashlib.sha256).hexdigest()[:10]
    return f"client-{digest}"


def _address(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return text
    if address.is_loopback or address.is_unspecified:
        return text
    return client_label(text)


def scrub(text: str) -> str:
    """``text`` without client addresses or secrets of paths and query strings."""
    text = SECRET_PATHS.sub(rf"\g<1>{CUT}", text)
    text = SECRET_QUERY.sub(rf"\g<1>{CUT}", text)
    text = IPV4.sub(_address, text)
    return IPV6.sub(_address, text)


def _scrub_arg(value: object) -> object:
    return scrub(value) if isinstance(value, str) else value


class Scrubber(logging.Filter):
    """Rewrites each record in place (installed on handlers, so it sees every record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_scrub_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _scrub_arg(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        rid = request_id.get()
        if rid is not None:
            record.request_id = rid
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            client, method, path, version, status = record.args
            line["message"] = f"{method} {path} {status}"
            line.update(client=client, method=method, path=path, http_version=version)
            line["status"] = status
        else:
            line["message"] = record.getMessage()
        rid = getattr(record, "request_id", None)
        if rid is not None:
            line["request_id"] = rid
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def announcer(log_format: str) -> Callable[[str], None]:
    """Prints ``wall serve``'s opening lines: as they are, or as JSON log lines."""
    formatter = JsonFormatter()

    def say(text: str) -> None:
        if log_format == "json":
            record = logging.LogRecord("wall.serve", logging.INFO, __file__, 0, text, None, None)
            text = formatter.format(record)
        print(text, flush=True)

    return say


def logging_config(log_format: str) -> dict[str, Any]:
    """uvicorn's logging (``log_config``), scrubbed, with the app's lines and ``log_format``."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"scrub": {"()": "wall.logs.Scrubber"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["scrub"]
    if log_format == "json":
        config["formatters"] = {"json": {"()": "wall.logs.JsonFormatter"}}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
    config["loggers"]["wall"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    # Every other library's warnings, through the same scrubbed handler.
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
