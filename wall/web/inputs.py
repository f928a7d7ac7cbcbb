"""What the edge accepts: text the database can store, numbers its columns can hold.

PostgreSQL refuses the NUL character in text, and no driver can encode a
lone surrogate (``"\\ud800"`` in JSON): either one reaching a query answered
500, and lost a parent's removal request. They are refused with ``422
invalid_text``: in the path and the query string before any route runs
(``EdgeChecks``), in JSON bodies (``check_json``, called by ``read_json``) and
in the forms the routes parse (``check_form``, so that a form can be shown
again with what was typed). Should one slip through, the catch-all answers
the database's refusal with the same ``422`` (``failures.py``).

Numbers from outside (cursors, ``before``, ``after``, ``Last-Event-ID``) are
parsed by ``parse_int`` within the range of the column they are compared
with: a value past ``BIGINT`` made PostgreSQL fail the query (a 500), so it is
``400`` here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from wall.errors import BadRequest, InvalidField

BIGINT_MAX = 2**63 - 1  # event and audit ids
INTEGER_MAX = 2**31 - 1  # moderator and removal request ids
REFUSED_TEXT = re.compile("[\x00\ud800-\udfff]")
_INTEGER = re.compile(r"-?[0-9]{1,19}")


class InvalidText(InvalidField):
    code = "invalid_text"
    message = "La requête contient des caractères invalides (caractère nul ou mal encodé)."
    message_en = "The request contains invalid characters (a NUL or a badly encoded one)."


def refused(text: str) -> bool:
    return REFUSED_TEXT.search(text) is not None


def strip_refused(text: str) -> str:
    """``text`` without the characters the database refuses (to show a form again)."""
    return REFUSED_TEXT.sub("", text)


def check_text(text: str) -> str:
    if refused(text):
        raise InvalidText()
    return text


# PostgreSQL's "character not in repertoire" (a NUL in text) and "untranslatable
# character" (a NUL in JSON).
REFUSED_TEXT_SQLSTATES = frozenset({"22021", "22P05"})


def database_refused_text(exc: BaseException) -> bool:
    """Whether ``exc`` is the database (or its driver) refusing text from a request."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, UnicodeEncodeError) and "surrogate" in seen.reason:
            return True
        if getattr(seen, "sqlstate", None) in REFUSED_TEXT_SQLSTATES:
            return True
        orig = getattr(seen, "orig", None)
        seen = orig if isinstance(orig, BaseException) else (seen.__cause__ or seen.__context__)
    return False


def check_json(value: Any) -> Any:
    """``value`` (decoded JSON), once no string in it, key or value, is refused text."""
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_json(item)
    elif isinstance(value, list):
        for item in value:
            check_json(item)
    return value


def check_form(form: FormData) -> FormData:
    """``form``, once no field name, text value or file name in it is refused text."""
    for key, value in form.multi_items():
        check_text(key)
        if isinstance(value, UploadFile):
            check_text(value.filename or "")
        else:
            check_text(value)
    return form


def parse_int(
    raw: str,
    *,
    code: str,
    message: str,
    minimum: int = 0,
    maximum: int = BIGINT_MAX,
) -> int:
    """A whole number from outside, within ``minimum``..``maximum``; ``400 code`` otherwise."""
    text = raw.strip()
    if not _INTEGER.fullmatch(text):
        raise BadRequest(message, code=code)
    value = int(text)
    if not minimum <= value <= maximum:
        raise BadRequest(message, code=code)
    return value


def parse_id(raw: str, maximum: int = INTEGER_MAX) -> int | None:
    """A row id from a path, or None when ``raw`` cannot name a row (a 404, not a 400)."""
    if not _INTEGER.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= maximum else None


def last_event_id(request: Request) -> int | None:
    """Where a reconnecting event stream resumes: ``Last-Event-ID``, or ``?after=``."""
    raw = request.headers.get("last-event-id") or request.query_params.get("after")
    if raw is None or raw == "":
        return None
    return parse_int(
        raw,
        code="bad_last_event_id",
        message="Last-Event-ID est un numéro d'événement (entier positif).",
    )


def _query_refused(query_string: bytes) -> bool:
    if not query_string:
        return False
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return any(refused(name) or refused(value) for name, value in pairs)


class EdgeChecks:
    """Refuses text the database cannot store in the path and the query string."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if refused(scope["path"]) or _query_refused(scope.get("query_string", b"")):
            raise InvalidText()
        await self.app(scope, receive, send)
