"""Settings admins change while the wall runs (rules, intake pause), kept in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wall.models import ModerationOption, Moderator, utcnow


async def get(session: AsyncSession, key: str, default: Any = None) -> Any:
    row = await session.get(ModerationOption, key)
    return default if row is None else row.value


async def put(session: AsyncSession, key: str, value: Any, moderator: Moderator | None) -> None:
    row = await session.get(ModerationOption, key, with_for_update=True)
    if row is None:
        row = ModerationOption(key=key)
        session.add(row)
    row.value = value
    row.updated_at = utcnow()
    row.updated_by = moderator.id if moderator else None
    await session.flush()
