"""A visitor's upload, from a parsed form to a pending photo: the route calls this.

``admit`` runs around the whole request (the upload window, then the cap on
this client's concurrent uploads); ``accept`` does the work in order:
validate the fields, answer a retry of an upload already stored, reserve a
slot against the client's limits, spool and process the image, then store
the photo and consume the slot in one transaction. On any failure the slot
is released and the files written for it are deleted: nothing is stored.

``accept_class`` is the same flow for a class's photos sent through a school
invite (``wall.school_invites``): the invite's cap replaces the per-client
limits, all the batch's slots are reserved at once, and each photo is
processed on its own. A photo the pipeline refuses is reported by file name
and nothing of it is kept; the good ones are stored together in one
transaction, each with an audit row naming the invite. So a batch never
leaves half a photo behind, and a teacher resends only the refused files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData, UploadFile

from wall import school_invites, upload_quota, uploads
from wall.config import Settings
from wall.db import Database
from wall.errors import Conflict, WallError
from wall.media import MediaStore, ProcessedImage, process_image_async
from wall.models import Photo, SchoolInvite, utcnow
from wall.moderation import audit, service


@dataclass(frozen=True)
class Accepted:
    """The stored photo, its manage link's secret, and whether a retry found it stored."""

    photo: Photo
    ident: uploads.UploadIdentity
    replayed: bool


@dataclass(frozen=True)
class ClassPhoto:
    """What became of one file of a class upload: a photo, or the reason it was refused."""

    filename: str
    accepted: Accepted | None = None
    error: WallError | None = None


@dataclass(frozen=True)
class ClassBatch:
    invite: SchoolInvite
    photos: list[ClassPhoto]

    @property
    def stored(self) -> list[Accepted]:
        return [p.accepted for p in self.photos if p.accepted is not None]


@dataclass
class _Spooled:
    filename: str
    path: anyio.Path
    ident: uploads.UploadIdentity
    earlier: Photo | None = None
    processed: ProcessedImage | None = None
    error: WallError | None = None
    same_as: _Spooled | None = None


class UploadService:
    """Stores visitors' uploads; one per process, built in the app's lifespan."""

    def __init__(
        self,
        db: Database,
        store: MediaStore,
        settings: Settings,
        secret_key: str,
        *,
        decode_limiter: anyio.CapacityLimiter,
    ) -> None:
        self.db = db
        self.store = store
        self.settings = settings
        self.secret_key = secret_key
        self.decode_limiter = decode_limiter
        self.concurrent = upload_quota.ConcurrentUploads(settings.max_concurrent_uploads)

    def client(self, address: str) -> str:
        """The keyed hash every per-client rule counts by."""
        return uploads.client_hash(self.secret_key, address)

    @asynccontextmanager
    async def admit(self, client: str) -> AsyncIterator[None]:
        """Refuse before the body is read: outside the window, or too many uploads at once."""
        uploads.check_window(self.settings, utcnow())
        async with self.concurrent.admit(client):
            yield

    async def accept(self, form: FormData, client: str) -> Accepted:
        """Store the upload in ``form`` as a pending photo; raises ``WallError`` on refusal."""
        fields = uploads.validate_fields(form, self.settings)
        ident = uploads.identity(self.secret_key, client, fields.upload_key)
        # A retry of an upload that was stored (the phone lost the answer): same
        # photo. Checked before the limits, so that such a retry is never refused.
        earlier = await self._earlier(ident)
        if earlier is not None:
            return Accepted(earlier, ident, replayed=True)
        upload_file = uploads.the_photo(form)
        slot = await upload_quota.reserve(self.db, self.settings, client)
        consumed = False
        try:
            processed = await self._process(upload_file, fields)
            photo, files = uploads.build_photo(fields, processed, client, ident)
            try:
                async with self.db.writing() as session:
                    await upload_quota.consume(session, client, slot)
                    await service.submit(session, photo, files)
                consumed = True
            except BaseException as exc:
                await self._forget(processed)
                # Two attempts of one keyed upload raced: the other one stored it.
                if isinstance(exc, IntegrityError) and (found := await self._earlier(ident)):
                    return Accepted(found, ident, replayed=True)
                raise
        finally:
            if not consumed:
                await upload_quota.release(self.db, slot)
        return Accepted(photo, ident, replayed=False)

    async def invite(self, token: str) -> SchoolInvite:
        """The usable invite behind a class upload link (``404``, or ``403`` revoked/expired)."""
        async with self.db.reading() as session:
            return await school_invites.find_usable(session, self.secret_key, token)

    async def accept_class(self, form: FormData, invite: SchoolInvite) -> ClassBatch:
        """Store a class's photos sent through ``invite``; see the module's docstring."""
        fields = uploads.validate_class_fields(form, invite.school, invite.region)
        files = uploads.class_photos(form)
        client = school_invites.invite_client(invite.id)
        spooled: list[_Spooled] = []
        try:
            for upload_file in files:
                spooled.append(await self._spool(upload_file, client, fields.upload_key))
            await self._find_earlier(spooled)
            new = _first_of_each(spooled)
            slots: list[int] = []
            if new:
                slots = await upload_quota.reserve_for_invite(self.db, invite.id, client, len(new))
            try:
                stored = await self._process_and_store(invite, fields, client, new, slots)
                slots = []  # consumed with the photos
            finally:
                await upload_quota.release_many(self.db, slots)
        finally:
            with anyio.CancelScope(shield=True):
                for item in spooled:
                    await item.path.unlink(missing_ok=True)
        return ClassBatch(invite, [_outcome(item, stored) for item in spooled])

    async def _process_and_store(
        self,
        invite: SchoolInvite,
        fields: uploads.UploadFields,
        client: str,
        new: list[_Spooled],
        slots: list[int],
    ) -> dict[int, Accepted]:
        try:
            try:
                async with anyio.create_task_group() as group:
                    for item in new:  # at most two decode at once (the decode limiter)
                        group.start_soon(self._process_one, item, fields)
            except BaseExceptionGroup as grouped:  # a full disk, a cancelled request
                raise grouped.exceptions[0] from None
            good = [item for item in new if item.processed is not None]
            return await self._store_batch(invite, fields, client, good, slots)
        except BaseException as exc:
            for item in new:
                if item.processed is not None:
                    await self._forget(item.processed)
            if isinstance(exc, IntegrityError):
                raise Conflict(
                    "Ces photos sont déjà en cours d'envoi. Rechargez la page dans "
                    "un moment pour voir si elles sont arrivées.",
                    code="batch_in_progress",
                ) from exc
            raise

    async def _spool(
        self, upload_file: UploadFile, client: str, upload_key: str | None
    ) -> _Spooled:
        path = await anyio.to_thread.run_sync(
            uploads.spool_to_disk, upload_file.file, uploads.spool_dir(self.settings)
        )
        await upload_file.close()
        # Within one form (its upload_key), a file's content is its identity: a
        # resent form finds the photos it already stored instead of storing them twice.
        key = None
        if upload_key is not None:
            key = f"{upload_key}.{await anyio.to_thread.run_sync(uploads.file_digest, path)}"
        ident = uploads.identity(self.secret_key, client, key)
        return _Spooled(upload_file.filename or "", anyio.Path(path), ident)

    async def _find_earlier(self, spooled: list[_Spooled]) -> None:
        keyed = [item for item in spooled if item.ident.source_id is not None]
        if not keyed:
            return
        async with self.db.reading() as session:
            for item in keyed:
                assert item.ident.source_id is not None
                item.earlier = await uploads.find_upload(session, item.ident.source_id)

    async def _process_one(self, item: _Spooled, fields: uploads.UploadFields) -> None:
        try:
            item.processed = await process_image_async(
                Path(item.path),
                self.store,
                uploads.upload_limits(self.settings),
                blur_faces=uploads.blur_faces_for(self.settings, fields),
                limiter=self.decode_limiter,
            )
        except WallError as exc:
            item.error = exc

    async def _store_batch(
        self,
        invite: SchoolInvite,
        fields: uploads.UploadFields,
        client: str,
        good: list[_Spooled],
        slots: list[int],
    ) -> dict[int, Accepted]:
        """The good photos, pending, in one transaction with their audit rows."""
        stored: dict[int, Accepted] = {}
        async with self.db.writing() as session:
            await upload_quota.consume_for_invite(session, invite.id, slots)
            for item in good:
                assert item.processed is not None
                photo, files = uploads.build_photo(fields, item.processed, client, item.ident)
                await service.submit(session, photo, files)
                await audit.record(
                    session,
                    "photo.uploaded_via_invite",
                    actor_label=client,
                    photo_id=photo.id,
                    target=invite.school,
                    details={"invite_id": invite.id, "consent": "school"},
                )
                stored[id(item)] = Accepted(photo, item.ident, replayed=False)
        return stored

    async def _earlier(self, ident: uploads.UploadIdentity) -> Photo | None:
        if ident.source_id is None:
            return None
        async with self.db.reading() as session:
            return await uploads.find_upload(session, ident.source_id)

    async def _process(
        self, upload_file: UploadFile, fields: uploads.UploadFields
    ) -> ProcessedImage:
        tmp = await anyio.to_thread.run_sync(
            uploads.spool_to_disk, upload_file.file, uploads.spool_dir(self.settings)
        )
        await upload_file.close()  # the spooled copy is all we need from here on
        try:
            return await process_image_async(
                tmp,
                self.store,
                uploads.upload_limits(self.settings),
                blur_faces=uploads.blur_faces_for(self.settings, fields),
                limiter=self.decode_limiter,
            )
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(tmp.unlink)

    async def _forget(self, processed: ProcessedImage) -> None:
        """Delete the files written for a photo that was not stored (unless another uses them)."""
        with anyio.CancelScope(shield=True):
            async with self.db.reading() as session:
                keep = await uploads.names_in_use(session, processed.names)
            self.store.delete(name for name in processed.names if name not in keep)


def _first_of_each(spooled: list[_Spooled]) -> list[_Spooled]:
    """The files to store: not stored before, and one of each when a form repeats a file."""
    first: dict[str, _Spooled] = {}
    new = []
    for item in spooled:
        if item.earlier is not None:
            continue
        source_id = item.ident.source_id
        if source_id is not None:
            if source_id in first:
                item.same_as = first[source_id]
                continue
            first[source_id] = item
        new.append(item)
    return new


def _outcome(item: _Spooled, stored: dict[int, Accepted]) -> ClassPhoto:
    """A file's outcome; a repeated file shares its first copy's, as a replay."""
    if item.same_as is not None:
        shared = _outcome(item.same_as, stored)
        if shared.accepted is None:
            return ClassPhoto(item.filename, error=shared.error)
        accepted = shared.accepted
        return ClassPhoto(item.filename, accepted=Accepted(accepted.photo, item.ident, True))
    if item.error is not None:
        return ClassPhoto(item.filename, error=item.error)
    if id(item) in stored:
        return ClassPhoto(item.filename, accepted=stored[id(item)])
    assert item.earlier is not None  # stored by an earlier sending of the same form
    return ClassPhoto(item.filename, accepted=Accepted(item.earlier, item.ident, replayed=True))
