"""The application's shared objects, typed.

The lifespan (``wall.app``) builds them once and yields this dict; Starlette
copies it into every request's ``scope["state"]``. ``app_state(request)``
reads it with its types (``request.state`` gives ``Any``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, cast

if TYPE_CHECKING:
    import anyio
    from starlette.requests import HTTPConnection
    from starlette.templating import Jinja2Templates

    from wall.auth import SessionCookies
    from wall.config import Settings
    from wall.db import Database
    from wall.events import EventHub
    from wall.login_throttle import LoginThrottle
    from wall.media import MediaStore
    from wall.metrics import Metrics
    from wall.passwords import PasswordHashing
    from wall.sources.catalogue import Catalogue
    from wall.upload_service import UploadService
    from wall.web.answers import AnswerCache


class AppState(TypedDict):
    settings: Settings
    db: Database
    hub: EventHub
    media: MediaStore
    secret_key: str
    cookies: SessionCookies
    login_throttle: LoginThrottle
    password_hashing: PasswordHashing
    decode_limiter: anyio.CapacityLimiter
    upload_service: UploadService
    answers: AnswerCache
    templates: Jinja2Templates
    sources: Catalogue
    metrics: Metrics


def app_state(connection: HTTPConnection) -> AppState:
    """The lifespan's objects, as the request sees them."""
    return cast("AppState", connection.scope["state"])
