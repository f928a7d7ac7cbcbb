"""The privacy policy page, generated from the settings: ``/confidentialite``
in French, ``/privacy`` in English."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wall import notice
from wall.config import Settings
from wall.state import app_state
from wall.web.responses import render

TITLES = {"fr": "Politique de confidentialité", "en": "Privacy policy"}


def _page(request: Request, lang: str) -> Response:
    settings: Settings = app_state(request)["settings"]
    context = {
        "lang": lang,
        "title": TITLES[lang],
        "sections": notice.policy(settings, lang),
        "organizer": settings.organizer_in(lang),
        "other_url": request.url_for("privacy_en" if lang == "fr" else "privacy"),
    }
    return render(request, "privacy.html", context)


async def privacy_fr(request: Request) -> Response:
    return _page(request, "fr")


async def privacy_en(request: Request) -> Response:
    return _page(request, "en")


routes = [
    Route("/confidentialite", privacy_fr, methods=["GET"], name="privacy"),
    Route("/privacy", privacy_en, methods=["GET"], name="privacy_en"),
]
