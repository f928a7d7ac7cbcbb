"""``create_app(settings)``: routes, middleware, error handlers and lifespan."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from wall import auth, housekeeping, uploads
from wall.config import Settings
from wall.db import Database
from wall.errors import WallError
from wall.events import EventHub
from wall.login_throttle import LoginThrottle
from wall.media import DEFAULT_CONCURRENT_DECODES, MediaStore
from wall.media.cdn import PurgeQueue, PurgeTemplate
from wall.media.publication import Publisher
from wall.metrics import Metrics
from wall.moderation import erasure
from wall.passwords import PasswordHashing
from wall.sources.catalogue import Catalogue
from wall.sources.poller import configured_sources, start_poller
from wall.sources.sealing import CredentialBox
from wall.state import AppState
from wall.termination import on_termination
from wall.upload_service import UploadService
from wall.web import (
    api,
    archive,
    class_upload,
    invite,
    manage,
    media,
    metrics,
    moderation,
    openapi,
    privacy,
    public,
    readiness,
    source_admin,
    sources,
    wall_screen,
)
from wall.web.answers import AnswerCache
from wall.web.body_timeout import BodyTimeout
from wall.web.failures import RequestErrors
from wall.web.headers import SecurityHeaders
from wall.web.inputs import EdgeChecks
from wall.web.metrics import RequestMetrics
from wall.web.public_url import PublicURL
from wall.web.responses import handle_http_exception, handle_wall_error
from wall.web.templating import make_templates

PACKAGE_DIR = Path(__file__).parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"


def static_dir() -> Path:
    """Static files: packaged in a wheel, or the repository's static/."""
    packaged = PACKAGE_DIR / "static"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "static"


def load_secret_key(settings: Settings) -> str:
    """The configured secret, or one generated once into the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    settings.data_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def create_app(settings: Settings | None = None, *, null_pool: bool = False) -> Starlette:
    """The whole site. ``null_pool`` is for tests that run one event loop per test."""
    settings = settings or Settings.from_env()
    figures = Metrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[AppState]:
        secret_key = load_secret_key(settings)
        file_sources = configured_sources(settings)
        db = Database(settings.database_url, null_pool=null_pool)
        hub = EventHub(db, settings.event_poll_seconds)
        await hub.start()
        store = MediaStore(settings.media_path)
        db.after_commit(erasure.delete_files_after_commit(store))
        purge_template = PurgeTemplate.from_settings(settings)
        purges = PurgeQueue(purge_template) if purge_template is not None else None
        if purges is not None:
            purges.start()
        publisher = Publisher(db, hub, store, purges.purge if purges is not None else None)
        await publisher.start()
        sweeper = housekeeping.Sweeper(
            db,
            store,
            uploads.spool_dir(settings),
            older_than=settings.sweep_after_seconds,
            audit_kept=dt.timedelta(days=settings.audit_keep_days),
        )
        await sweeper.start()
        decode_limiter = anyio.CapacityLimiter(DEFAULT_CONCURRENT_DECODES)
        catalogue = Catalogue(db, CredentialBox(secret_key), settings)
        await catalogue.seed(file_sources)
        poller = await start_poller(
            settings,
            await catalogue.active_configs(),
            db,
            store=store,
            limiter=decode_limiter,
            catalogue=catalogue.active_configs,
        )
        templates = make_templates(TEMPLATES_DIR, settings)
        figures.attach(hub, poller, catalogue)
        try:
            with on_termination(hub.end_streams):
                yield {
                    "settings": settings,
                    "db": db,
                    "hub": hub,
                    "media": store,
                    "secret_key": secret_key,
                    "cookies": auth.SessionCookies(secret_key),
                    "login_throttle": LoginThrottle.from_settings(settings),
                    "password_hashing": PasswordHashing(
                        settings.password_hash_threads, settings.password_hash_queue
                    ),
                    "decode_limiter": decode_limiter,
                    "upload_service": UploadService(
                        db, store, settings, secret_key, decode_limiter=decode_limiter
                    ),
                    "answers": AnswerCache(settings.answer_cache_seconds),
                    "templates": templates,
                    "sources": catalogue,
                    "metrics": figures,
                }
        finally:
            figures.detach()
            await sweeper.stop()
            await publisher.stop()
            if purges is not None:
                await purges.stop()
            if poller is not None:
                await poller.close()
            await hub.stop()
            await db.dispose()

    routes = [
        *wall_screen.routes,
        *public.routes,
        *class_upload.routes,
        *manage.routes,
        *privacy.routes,
        *media.routes,
        *invite.routes,
        *api.routes,
        *moderation.routes,
        *sources.routes,
        *source_admin.routes,
        *archive.routes,
        *metrics.routes,
        *readiness.routes,
        *openapi.routes,
        Mount("/static", StaticFiles(directory=static_dir()), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        # Outermost first: the public address applies to everything, and the
        # headers wrap everything, even the catch-all's answers.
        middleware=[
            Middleware(PublicURL, settings.public_url),
            Middleware(RequestMetrics, metrics=figures),
            Middleware(SecurityHeaders, settings=settings),
            Middleware(RequestErrors),
            Middleware(BodyTimeout, seconds=settings.body_timeout_seconds),
            Middleware(EdgeChecks),
        ],
        exception_handlers={
            WallError: handle_wall_error,
            HTTPException: handle_http_exception,
        },
    )


def create_app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (several workers)."""
    return create_app(Settings.from_env())
