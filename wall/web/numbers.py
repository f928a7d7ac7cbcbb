"""Row ids from the outside world, kept inside what the id columns can hold.

Event, decision and audit ids are BIGINT (at most 2**63 - 1, also SQLite's
limit); moderator and removal request ids are INTEGER, which PostgreSQL
stops at 2**31 - 1. A larger number sent as a cursor, an ``after`` or a path
id must be refused (or not found) before it reaches a query, where it would
fail as a 500.
"""

from __future__ import annotations

MAX_BIGINT = 2**63 - 1
MAX_INTEGER = 2**31 - 1


def row_id(raw: str, maximum: int = MAX_BIGINT) -> int | None:
    """The whole number in ``raw`` when it can be a row id (0 to ``maximum``), else None."""
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 <= value <= maximum else None
