"""What moderators see: filtered pages by status, the peak-day numbers, the intake pause.

``stats`` also says who is online (a session active in the last
``ONLINE_WINDOW``, and the photo each one holds) and, while intake is
paused, how many photos wait behind the pause.

While intake is paused, pending photos submitted after the pause began are
hidden from moderators (sources and uploads keep storing them); they show up
again, oldest first, when intake resumes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wall import events
from wall.errors import BadRequest
from wall.folding import fold
from wall.models import (
    Claim,
    Decision,
    Moderator,
    ModeratorSession,
    Photo,
    RemovalRequest,
    utcnow,
)
from wall.moderation import audit, options, reasons
from wall.moderation.states import Status
from wall.photos import iso, order_column, paginate

INTAKE_KEY = "intake_paused_at"
STATS_WINDOW = dt.timedelta(minutes=10)
# Sessions are touched at most once a minute (``web.session.TOUCH_EVERY``)
# and an open moderation page asks for the numbers every 15 s.
ONLINE_WINDOW = dt.timedelta(minutes=3)
MAX_QUERY = 200
_FLAG = re.compile(r"^[a-z_]{1,32}$")


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    source: str | None = None
    region: str | None = None
    flag: str | None = None

    @classmethod
    def from_params(cls, params: Any) -> Filters:
        q = (params.get("q") or "").strip() or None
        if q is not None and len(q) > MAX_QUERY:
            raise BadRequest("La recherche est trop longue.", code="bad_query")
        flag = params.get("flag") or None
        if flag is not None and not _FLAG.match(flag):
            raise BadRequest("Code de signalement inconnu.", code="bad_flag")
        return cls(q, params.get("source") or None, params.get("region") or None, flag)

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.q:
            found.append(Photo.search_text.contains(fold(self.q), autoescape=True))
        if self.source:
            found.append(Photo.source == self.source)
        if self.region:
            found.append(Photo.region == self.region)
        if self.flag:
            # Flags are a JSON list of [a-z_] codes: the quoted code is unambiguous.
            found.append(cast(Photo.flags, String).like(f'%"{self.flag}"%'))
        return found


async def paused_since(session: AsyncSession) -> dt.datetime | None:
    raw = await options.get(session, INTAKE_KEY)
    return dt.datetime.fromisoformat(raw) if isinstance(raw, str) else None


async def set_paused(
    session: AsyncSession, paused: bool, moderator: Moderator, client: str | None
) -> dt.datetime | None:
    current = await paused_since(session)
    if paused and current is None:
        current = utcnow()
    elif not paused:
        current = None
    await options.put(session, INTAKE_KEY, current.isoformat() if current else None, moderator)
    await audit.record(
        session,
        "settings.intake_paused" if paused else "settings.intake_resumed",
        actor=moderator,
        client=client,
        target=INTAKE_KEY,
    )
    events.append(session, "queue.intake", {"paused_since": iso(current)})
    return current


def visible_pending(filters: Filters, paused_at: dt.datetime | None) -> list[ColumnElement[bool]]:
    """What a pending photo must match to be shown (the filters and the pause)."""
    found = filters.conditions()
    if paused_at is not None:
        found.append(Photo.submitted_at <= paused_at)
    return found


def _base(status: Status, filters: Filters, paused_at: dt.datetime | None) -> Select[Photo]:
    if status is Status.PENDING:
        return select(Photo).where(
            Photo.status == status.value, *visible_pending(filters, paused_at)
        )
    return select(Photo).where(Photo.status == status.value, *filters.conditions())


async def latest_decisions(
    session: AsyncSession, photo_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Each photo's latest decision: who, when, and the reason in French."""
    if not photo_ids:
        return {}
    latest = (
        select(func.max(Decision.id))
        .where(Decision.photo_id.in_(photo_ids))
        .group_by(Decision.photo_id)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Decision, Moderator.email)
            .outerjoin(Moderator, Moderator.id == Decision.moderator_id)
            .where(Decision.id.in_(latest))
        )
    ).all()
    return {
        d.photo_id: {
            "action": d.action,
            "by": email or (f"règle {d.rule}" if d.rule else None),
            "at": iso(d.created_at),
            "reason_code": d.reason_code,
            "reason_label": reasons.label(d.reason_code),
            "reason": d.reason,
        }
        for d, email in rows
    }


async def online(session: AsyncSession, now: dt.datetime) -> list[dict[str, Any]]:
    """Moderators with a session active in the last ``ONLINE_WINDOW``, and what they hold."""
    rows = (
        await session.execute(
            select(Moderator.email, func.max(ModeratorSession.last_seen_at))
            .join(ModeratorSession, ModeratorSession.moderator_id == Moderator.id)
            .where(
                ModeratorSession.last_seen_at >= now - ONLINE_WINDOW,
                ModeratorSession.expires_at > now,
                Moderator.disabled.is_(False),
            )
            .group_by(Moderator.email)
            .order_by(Moderator.email)
        )
    ).all()
    holding = dict(
        (
            await session.execute(
                select(Moderator.email, Claim.photo_id)
                .join(Claim, Claim.moderator_id == Moderator.id)
                .where(Claim.expires_at > now)
            )
        ).all()
    )
    return [{"moderator": email, "holding": holding.get(email)} for email, _ in rows]


async def page(
    session: AsyncSession,
    status: Status,
    limit: int,
    before: str | None,
    filters: Filters,
    paused_at: dt.datetime | None,
) -> tuple[list[Photo], str | None]:
    """Pending oldest first; the other tabs newest decision first."""
    return await paginate(
        session,
        _base(status, filters, paused_at),
        order_column(status),
        oldest_first=status is Status.PENDING,
        limit=limit,
        before=before,
    )


async def count(
    session: AsyncSession, status: Status, filters: Filters, paused_at: dt.datetime | None
) -> int:
    query = _base(status, filters, paused_at).with_only_columns(func.count())
    return int(await session.scalar(query) or 0)


async def stats(session: AsyncSession) -> dict[str, Any]:
    """Queue length, oldest pending, decisions per minute per moderator, open requests."""
    now = utcnow()
    paused_at = await paused_since(session)
    visible = _base(Status.PENDING, Filters(), paused_at)
    length = await session.scalar(visible.with_only_columns(func.count()))
    oldest = await session.scalar(visible.with_only_columns(func.min(Photo.submitted_at)))
    total = await session.scalar(
        select(func.count()).select_from(Photo).where(Photo.status == Status.PENDING.value)
    )
    since = now - STATS_WINDOW
    per_moderator = (
        await session.execute(
            select(Moderator.email, func.count(Decision.id))
            .join(Moderator, Moderator.id == Decision.moderator_id)
            .where(Decision.created_at >= since)
            .group_by(Moderator.email)
            .order_by(func.count(Decision.id).desc())
        )
    ).all()
    minutes = STATS_WINDOW.total_seconds() / 60
    open_requests = await session.scalar(
        select(func.count()).select_from(RemovalRequest).where(RemovalRequest.resolved_at.is_(None))
    )
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)  # an aggregate skips the column's type
    return {
        "pending": int(length or 0),
        "pending_total": int(total or 0),
        "oldest_pending_at": iso(oldest),
        "oldest_pending_seconds": int((now - oldest).total_seconds()) if oldest else None,
        "decisions_per_minute": [
            {"moderator": email, "decisions": n, "per_minute": round(n / minutes, 2)}
            for email, n in per_moderator
        ],
        "window_minutes": int(minutes),
        "intake_paused_since": iso(paused_at),
        "waiting_behind_pause": int(total or 0) - int(length or 0),
        "removal_requests_open": int(open_requests or 0),
        "online": await online(session, now),
    }
