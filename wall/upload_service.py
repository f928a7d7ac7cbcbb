"""A visitor's upload, from a parsed form to a pending photo: the route calls this.

``admit`` runs around the whole request (the upload window, then the cap on
this client's concurrent uploads); ``accept`` does the work in order:
validate the fields, answer a retry of an upload already stored, reserve a
slot against the client's limits, spool and process the image, then store
the photo and consume the slot in one transaction. On any failure the slot
is released and the files written for it are deleted: nothing is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData, UploadFile

from wall import upload_quota, uploads
from wall.config import Settings
from wall.db import Database
from wall.media import MediaStore, ProcessedImage, process_image_async
from wall.models import Photo, utcnow
from wall.moderation import service


@dataclass(frozen=True)
class Accepted:
    """The stored photo, its manage link's secret, and whether a retry found it stored."""

    photo: Photo
    ident: uploads.UploadIdentity
    replayed: bool


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
