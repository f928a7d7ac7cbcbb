"""From a page of ``RemotePost`` values to pending photos in the moderation queue.

Each image of a post becomes its own photo (the wall shows photos), keyed
``(network, uri + "#" + index)``: ``uri`` is global, so a post seen twice, on
two tags or from two instances is stored once. Known keys are looked up
before anything is downloaded, and the unique constraint settles a race
between two pollers. A post must carry a campaign tag by our own
``CampaignTags`` and have at least one image. Every image goes through the
media pipeline, like an upload; a sensitive post is flagged ``sensitive``,
and the moderation rules flag a near-duplicate of a photo already stored
(``wall.moderation.rules.is_near_duplicate``, the one rule for uploads too). With
``blur_faces`` (``WALL_BLUR_FACES=all``) the public copies have faces
blurred and the moderators get the unblurred private copies, as uploads do. Nothing here
approves anything: new photos go through ``moderation.service.submit``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wall.db import Database
from wall.errors import WallError
from wall.hashtags import CampaignTags
from wall.media import MediaLimits, MediaStore, ProcessedImage
from wall.media import process_image_async as process_image
from wall.models import MediaFile, Photo, RemotePhoto, utcnow
from wall.moderation import service
from wall.photos import image_columns, media_rows, new_photo_id
from wall.sources.base import RemoteImage, RemotePost, SourceConfig
from wall.sources.download import DownloadError, download

log = logging.getLogger(__name__)

MAX_KEY = 255  # photos.source_id
MAX_NAME = 200  # photos.author_name, author_handle
MAX_CAPTION = 5000
MAX_IMAGE_ATTEMPTS = 3  # rounds a retryable image failure may hold a cursor back
CONCURRENT_DOWNLOADS = 4


def image_key(uri: str, index: int) -> str:
    """The ``source_id`` of a post's ``index``-th image."""
    key = f"{uri}#{index}"
    if len(key) <= MAX_KEY:
        return key
    return f"sha256:{hashlib.sha256(uri.encode()).hexdigest()}#{index}"


def _clip(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None


@dataclass
class IngestReport:
    """What became of one page's posts."""

    stored: int = 0  # new pending photos
    known: int = 0  # images stored before (same post again, another tag or instance)
    # posts without a campaign tag or an image or from before the campaign, images refused
    skipped: int = 0
    held: int = 0  # images that failed in a retryable way: keep the cursor where it was
    problems: list[str] = field(default_factory=list)

    def note(self, problem: str) -> None:
        if len(self.problems) < 5:
            self.problems.append(problem)


@dataclass(frozen=True)
class Candidate:
    post: RemotePost
    index: int
    image: RemoteImage
    key: str


def build_remote_photo(
    config: SourceConfig,
    candidate: Candidate,
    processed: ProcessedImage,
    flags: list[str],
) -> tuple[Photo, list[MediaFile], RemotePhoto]:
    """The pending photo for one image of a post, its file rows and where it came from."""
    post, image = candidate.post, candidate.image
    author = post.author
    photo_id = new_photo_id()
    photo = Photo(
        id=photo_id,
        source=post.source,
        source_id=candidate.key,
        permalink=post.permalink,
        author_name=_clip(author.name if author else None, MAX_NAME),
        author_handle=_clip(author.handle if author else None, MAX_NAME),
        author_url=author.url if author else None,
        show_name=True,
        caption=post.caption[:MAX_CAPTION],
        alt=image.alt,
        posted_at=post.posted_at,
        submitted_at=utcnow(),
        flags=flags,
        **image_columns(processed),
        pinned=False,
    )
    files = media_rows(photo_id, processed)
    origin = RemotePhoto(
        photo_id=photo_id,
        source_name=config.name,
        uri=post.uri,
        remote_id=post.id_at_source,
        image_index=candidate.index,
    )
    return photo, files, origin


class Ingest:
    """Stores pages of posts; shared by every source of one poller."""

    def __init__(
        self,
        db: Database,
        store: MediaStore,
        client: httpx.AsyncClient,
        *,
        limits: MediaLimits,
        tmp_dir: Path,
        limiter: anyio.CapacityLimiter | None = None,
        download_deadline: float = 60.0,
        blur_faces: bool = False,
    ) -> None:
        self.db = db
        self.store = store
        self.client = client
        self.limits = limits
        self.tmp_dir = tmp_dir
        self.limiter = limiter
        self.download_deadline = download_deadline
        self.blur_faces = blur_faces
        self._attempts: dict[str, int] = {}
        self._lock = asyncio.Lock()  # near-duplicate check and insert, one image at a time

    async def page(
        self, config: SourceConfig, posts: Iterable[RemotePost], *, private_ok: bool = False
    ) -> IngestReport:
        """Store every new image of ``posts``; never raises for one bad post or image."""
        report = IngestReport()
        tags = CampaignTags(config.hashtags)
        candidates: list[Candidate] = []
        for post in posts:
            if not tags.matches(post.tags):
                report.skipped += 1
                continue
            if not post.images:
                report.skipped += 1
                continue
            if config.since is not None and post.posted_at < config.since:
                report.skipped += 1  # posted before the campaign
                continue
            candidates += [
                Candidate(post, index, image, image_key(post.uri, index))
                for index, image in enumerate(post.images)
            ]
        if not candidates:
            return report
        known = await self._known_keys(candidates[0].post.source, [c.key for c in candidates])
        fresh = [c for c in candidates if c.key not in known]
        report.known += len(candidates) - len(fresh)
        if not fresh:
            return report
        slots = anyio.CapacityLimiter(CONCURRENT_DOWNLOADS)

        async def one(candidate: Candidate) -> None:
            async with slots:
                await self._image(config, candidate, report, private_ok)

        async with anyio.create_task_group() as group:
            for candidate in fresh:
                group.start_soon(one, candidate)
        return report

    async def _known_keys(self, source: str, keys: list[str]) -> set[str]:
        async with self.db.reading() as session:
            rows = await session.scalars(
                select(Photo.source_id).where(Photo.source == source, Photo.source_id.in_(keys))
            )
            return set(rows.all())

    async def _image(
        self,
        config: SourceConfig,
        candidate: Candidate,
        report: IngestReport,
        private_ok: bool,
    ) -> None:
        where = f"{candidate.post.uri} image {candidate.index + 1}"
        try:
            path = await download(
                self.client,
                candidate.image.url,
                self.tmp_dir,
                max_bytes=self.limits.max_bytes,
                private_ok=private_ok,
                deadline=self.download_deadline,
            )
        except DownloadError as exc:
            self._failed(candidate.key, f"{where}: {exc}", report, retryable=exc.retryable)
            return
        try:
            processed = await process_image(
                path, self.store, self.limits, blur_faces=self.blur_faces, limiter=self.limiter
            )
        except WallError as exc:
            self._failed(candidate.key, f"{where}: refused ({exc.code})", report, retryable=False)
            return
        finally:
            await anyio.Path(path).unlink(missing_ok=True)
        self._attempts.pop(candidate.key, None)
        async with self._lock:
            flags = ["sensitive"] if candidate.post.sensitive else []
            photo, files, origin = build_remote_photo(config, candidate, processed, flags)
            try:
                async with self.db.writing() as session:
                    await service.submit(session, photo, files)
                    session.add(origin)
            except IntegrityError:
                # Another poller stored the same image first.
                report.known += 1
                await self._forget(processed)
                return
            except BaseException:
                await self._forget(processed)
                raise
        report.stored += 1

    def _failed(self, key: str, problem: str, report: IngestReport, *, retryable: bool) -> None:
        log.warning("image not stored: %s", problem)
        report.note(problem)
        if retryable:
            attempts = self._attempts.get(key, 0) + 1
            self._attempts[key] = attempts
            if attempts < MAX_IMAGE_ATTEMPTS:
                report.held += 1
                return
            self._attempts.pop(key, None)
        report.skipped += 1

    async def _forget(self, processed: ProcessedImage) -> None:
        """Delete the files of an image that was not stored, unless a photo shares them."""
        async with self.db.reading() as session:
            rows = await session.scalars(
                select(MediaFile.name).where(MediaFile.name.in_(processed.names))
            )
            keep = set(rows.all())
        self.store.delete(name for name in processed.names if name not in keep)
