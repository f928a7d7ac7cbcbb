"""The audit log: append-only rows of who did what, when, from where and why.

``record`` is the only writer of rows; only ``prune`` deletes them, once
older than ``WALL_AUDIT_KEEP_DAYS`` (the time the privacy policy states). The "why" is a
moderator's free text and may name a child, so ``redact`` takes it out of
the details (of one photo's rows when it is erased, of every row at the
purge) and leaves who did what and when. ``csv_lines`` exports the log with
every cell made safe for spreadsheets, and a quick rejection reason's code
followed by its French words.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Select, String, cast, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wall.models import AuditEntry, Moderator, utcnow
from wall.moderation import reasons
from wall.photos import iso

CSV_COLUMNS = ("id", "created_at", "actor", "action", "photo_id", "target", "client", "details")
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Details that hold people's free text rather than codes.
FREE_TEXT_DETAILS = ("reason", "note")


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor: Moderator | None = None,
    actor_label: str | None = None,
    client: str | None = None,
    photo_id: str | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one row in the caller's transaction."""
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor.id if actor else None,
        actor=actor.email if actor else (actor_label or "system"),
        action=action,
        photo_id=photo_id,
        target=target,
        client=client,
        details=details or {},
    )
    session.add(entry)
    await session.flush()
    return entry


async def redact(session: AsyncSession, photo_id: str | None = None) -> int:
    """Drop the free text from the details of ``photo_id``'s rows (all rows when None).

    Returns how many rows changed.
    """
    serialized = cast(AuditEntry.details, String)
    query = select(AuditEntry).where(
        or_(*(serialized.contains(f'"{key}"') for key in FREE_TEXT_DETAILS))
    )
    if photo_id is not None:
        query = query.where(AuditEntry.photo_id == photo_id)
    changed = 0
    for entry in (await session.scalars(query)).all():
        kept = {k: v for k, v in entry.details.items() if k not in FREE_TEXT_DETAILS}
        if kept != entry.details:
            entry.details = kept
            changed += 1
    await session.flush()
    return changed


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": iso(entry.created_at),
        "actor": entry.actor,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "photo_id": entry.photo_id,
        "target": entry.target,
        "client": entry.client,
        "details": entry.details,
    }


def _query(action: str | None, actor: str | None) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return query


async def page(
    session: AsyncSession,
    limit: int,
    before_id: int | None = None,
    *,
    action: str | None = None,
    actor: str | None = None,
) -> list[AuditEntry]:
    """Newest first; ``before_id`` pages back."""
    query = _query(action, actor)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list((await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))).all())


async def stream_all(
    session: AsyncSession, *, action: str | None = None, actor: str | None = None
) -> list[AuditEntry]:
    """Every matching row, oldest first (for the CSV export)."""
    return list((await session.scalars(_query(action, actor).order_by(AuditEntry.id))).all())


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _detail(key: str, value: object) -> str:
    if key == "reason_code" and isinstance(value, str):
        return f"{key}={value} ({reasons.label(value)})"
    return f"{key}={value}"


def csv_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return line

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for entry in entries:
        data = entry_json(entry)
        data["details"] = "; ".join(_detail(k, v) for k, v in sorted(entry.details.items()))
        writer.writerow([csv_safe(data[column]) for column in CSV_COLUMNS])
        yield flush()


async def prune(session: AsyncSession, before: dt.datetime) -> int:
    """Delete the rows written before ``before``; returns how many."""
    result = await session.execute(delete(AuditEntry).where(AuditEntry.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
