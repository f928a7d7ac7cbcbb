"""Per-client upload limits that hold when a thousand uploads arrive at once.

Two rules count rows in the database: uploads per client per hour, and
uploads a client may have waiting for moderation. Checking them in one
transaction and storing the photo in another, with seconds of image work in
between, let every parallel request pass the check (12 of 12 against a cap
of 5). So a request first *reserves a slot*: under its client's lock it
counts the client's photos plus the slots still in flight, and inserts its
own slot row in the same transaction. The slot is consumed in the
transaction that stores the photo, or released when the upload fails.

The lock is the client's ``upload_clients`` row, taken with ``SELECT … FOR
UPDATE`` on PostgreSQL; on SQLite ``db.writing()`` begins with ``BEGIN
IMMEDIATE``, one writer at a time. A process killed mid-upload leaves its
slot behind; slots older than ``SLOT_TTL`` no longer count and are deleted
by the next reservation of the same client.

Class uploads through a school invite replace both rules with the invite's
own cap on the photos sent through it (a school is one address): a batch
reserves all its slots at once under the invite's row lock
(``reserve_for_invite``), and the slots are keyed ``invite-<id>``.

The third rule, concurrent uploads per client, is kept in process memory:
it guards this process's connections and spool space against one client
opening many slow uploads, costs no database write before the body is read,
and cannot be left behind by a crash. With ``--workers N`` a client may
reach N times the cap, one per process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wall import school_invites
from wall.config import Settings
from wall.db import Database, locked
from wall.errors import TooManyRequests
from wall.models import Photo, SchoolInvite, UploadClient, UploadSlot, utcnow
from wall.moderation.states import Status

# Longer than any upload takes between its reservation and its commit, even
# queued behind a burst for the two decoders.
SLOT_TTL = dt.timedelta(minutes=15)
HOUR = dt.timedelta(hours=1)
# Moderation clears the queue in minutes, not seconds: ask to come back later.
PENDING_RETRY_AFTER = 15 * 60
# Another upload of the same client is still being sent: a few seconds.
CONCURRENT_RETRY_AFTER = 10


async def reserve(db: Database, settings: Settings, client: str) -> int | None:
    """Reserve an upload slot for ``client``, or raise ``TooManyRequests``.

    Returns the slot's id, or None when both limits are off."""
    hourly, pending_cap = settings.upload_limit_per_hour, settings.max_pending_per_client
    if hourly == 0 and pending_cap == 0:
        return None
    now = utcnow()
    async with db.writing() as session:
        await _lock_client(session, client)
        await session.execute(
            delete(UploadSlot).where(
                UploadSlot.client_hash == client, UploadSlot.reserved_at < now - SLOT_TTL
            )
        )
        in_flight = list(
            (
                await session.scalars(
                    select(UploadSlot.reserved_at).where(UploadSlot.client_hash == client)
                )
            ).all()
        )
        if hourly:
            await _check_hourly(session, client, hourly, in_flight, now)
        if pending_cap:
            await _check_pending(session, client, pending_cap, len(in_flight))
        slot = UploadSlot(client_hash=client, reserved_at=now)
        session.add(slot)
        await session.flush()
        return slot.id


async def consume(session: AsyncSession, client: str, slot_id: int | None) -> None:
    """In the transaction that stores the photo: the photo now counts instead of its slot."""
    if slot_id is None:
        return
    await _lock_client(session, client)
    await session.execute(delete(UploadSlot).where(UploadSlot.id == slot_id))


async def release(db: Database, slot_id: int | None) -> None:
    """Give a slot back after a failed upload, even while the request is being cancelled."""
    if slot_id is None:
        return
    with anyio.CancelScope(shield=True):
        async with db.writing() as session:
            await session.execute(delete(UploadSlot).where(UploadSlot.id == slot_id))


async def _lock_client(session: AsyncSession, client: str) -> None:
    """Create the client's row if needed, then hold its lock until the transaction ends."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(insert(UploadClient).values(client_hash=client).on_conflict_do_nothing())
    await session.scalar(
        select(UploadClient.client_hash).where(UploadClient.client_hash == client).with_for_update()
    )


async def _check_hourly(
    session: AsyncSession, client: str, limit: int, in_flight: list[dt.datetime], now: dt.datetime
) -> None:
    stored = (
        await session.scalars(
            select(Photo.submitted_at).where(
                Photo.client_hash == client, Photo.submitted_at > now - HOUR
            )
        )
    ).all()
    recent = sorted([*stored, *in_flight])
    if len(recent) >= limit:
        wait = recent[len(recent) - limit] + HOUR - now
        raise TooManyRequests(
            "Tu as envoyé beaucoup de photos. Réessaie un peu plus tard.",
            code="upload_rate_limited",
            retry_after=int(wait.total_seconds()) + 1,
        )


async def _check_pending(session: AsyncSession, client: str, cap: int, in_flight: int) -> None:
    """Refuse a new upload while the client already has many waiting for moderation."""
    waiting = await session.scalar(
        select(func.count())
        .select_from(Photo)
        .where(Photo.client_hash == client, Photo.status == Status.PENDING.value)
    )
    if (waiting or 0) + in_flight >= cap:
        raise TooManyRequests(
            "Plusieurs de tes photos attendent encore d'être validées. "
            "Réessaie quand elles auront été vérifiées.",
            code="too_many_pending",
            retry_after=PENDING_RETRY_AFTER,
        )


class ConcurrentUploads:
    """How many uploads each client is sending to this process right now; ``cap`` 0 is off."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._open: dict[str, int] = {}

    def open_for(self, client: str) -> int:
        return self._open.get(client, 0)

    @asynccontextmanager
    async def admit(self, client: str) -> AsyncIterator[None]:
        """Count one upload of ``client`` while the block runs; ``429`` past the cap."""
        if self.cap and self._open.get(client, 0) >= self.cap:
            raise TooManyRequests(
                "Une autre de tes photos est encore en cours d'envoi. "
                "Attends qu'elle soit arrivée, puis réessaie.",
                code="too_many_concurrent_uploads",
                retry_after=CONCURRENT_RETRY_AFTER,
            )
        self._open[client] = self._open.get(client, 0) + 1
        try:
            yield
        finally:
            left = self._open[client] - 1
            if left:
                self._open[client] = left
            else:
                del self._open[client]


async def reserve_for_invite(db: Database, invite_id: int, client: str, count: int) -> list[int]:
    """Reserve ``count`` slots against a school invite's cap, all or none.

    Under the invite's row lock it checks again that the invite is usable
    (revoked a moment ago: ``403``), then counts the photos already stored
    through it plus the slots in flight. Past the cap: ``429
    invite_limit_reached``, saying how many photos are left."""
    now = utcnow()
    async with db.writing() as session:
        invite = await _lock_invite(session, invite_id)
        school_invites.check_usable(invite, now)
        await session.execute(
            delete(UploadSlot).where(
                UploadSlot.client_hash == client, UploadSlot.reserved_at < now - SLOT_TTL
            )
        )
        in_flight = await session.scalar(
            select(func.count()).select_from(UploadSlot).where(UploadSlot.client_hash == client)
        )
        stored = await session.scalar(
            select(func.count()).select_from(Photo).where(Photo.client_hash == client)
        )
        left = invite.upload_limit - int(stored or 0) - int(in_flight or 0)
        if count > left:
            raise TooManyRequests(
                f"Ce lien accepte encore {max(left, 0)} photo(s) sur {invite.upload_limit}. "
                "Envoyez-en moins, ou demandez un nouveau lien à l'équipe de la campagne.",
                code="invite_limit_reached",
                retry_after=PENDING_RETRY_AFTER,
            )
        slots = [UploadSlot(client_hash=client, reserved_at=now) for _ in range(count)]
        session.add_all(slots)
        await session.flush()
        return [slot.id for slot in slots]


async def consume_for_invite(session: AsyncSession, invite_id: int, slot_ids: list[int]) -> None:
    """In the transaction that stores the batch: its photos now count instead of its slots."""
    await _lock_invite(session, invite_id)
    await session.execute(delete(UploadSlot).where(UploadSlot.id.in_(slot_ids)))


async def release_many(db: Database, slot_ids: list[int]) -> None:
    """Give a batch's slots back after it failed, even while the request is being cancelled."""
    if not slot_ids:
        return
    with anyio.CancelScope(shield=True):
        async with db.writing() as session:
            await session.execute(delete(UploadSlot).where(UploadSlot.id.in_(slot_ids)))


async def _lock_invite(session: AsyncSession, invite_id: int) -> SchoolInvite:
    invite = await locked(session, SchoolInvite, invite_id)
    if invite is None:  # invites are revoked, never deleted; a purge may have run
        raise school_invites.unknown_invite()
    return invite
