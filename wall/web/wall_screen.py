"""The projected wall (``/``) and its compact form for partners' pages (``/embed``).

The page itself is a frame: the photos, the counter, the wave and the region
map are filled in and kept live by ``static/wall*.js`` from the feed, the
stats and the event stream. Query parameters choose what it shows:

- ``layout``: ``mosaic`` (default), ``spotlight`` or ``rotate`` (both in turn);
- ``region``, ``school``, ``source``: one wall's photos (``wall.wall_filter``);
- ``phase``: ``before``, ``live`` or ``after``, overriding the clock for rehearsals;
- ``kiosk=1``: no controls and no cursor; ``embed=1``: the compact wall;
- ``lang=en``: English;
- ``rotate``, ``spotlight``, ``resync``: periods in seconds (tests, rehearsals).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from wall import wording
from wall.config import Settings
from wall.errors import BadRequest
from wall.models import utcnow
from wall.phases import EventDay, parse_phase
from wall.state import app_state
from wall.wall_filter import WallFilter
from wall.web import invite
from wall.web.responses import render

LAYOUTS = ("mosaic", "spotlight", "rotate")
# (query parameter, default, lowest, highest), all in seconds.
PERIODS = {
    "resync": (180, 5, 3600),
    "rotate": (8, 1, 600),
    "spotlight": (10, 2, 600),
}

# People-facing words of the wall; it addresses the room as "vous".
# OQLF: a non-breaking space (U+00A0) before ":", "!", "?" and inside « ».
TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "html_lang": "fr-CA",
        "title": "La vague verte",
        "invite": "Pas de réseau social\u00a0? Envoyez votre photo ici\u00a0:",
        "qr_alt": "Code QR de la page d'envoi de photos",
        "counter_label": "photos approuvées",
        "wave": "La vague, quart d'heure par quart d'heure",
        "regions": "Les régions du Québec",
        "countdown": "La vague commence dans",
        "days": "j",
        "recap": "Bilan de la vague",
        "empty": "Les premières photos arrivent bientôt. Portez du vert et publiez la vôtre\u00a0!",
        "reconnecting": "Reconnexion…",
        "upload": "Envoyer ma photo",
        "removal": "Demander le retrait d'une photo",
        "other_lang": "English",
        "alt": "Photo de la vague verte",
        "pinned": "Coup de cœur",
        "wall_of": "Mur\u00a0:",
        "source_upload": "Envoyée sur le site",
        "photo_number": "Photo n°",
        "links": "Liens",
    },
    "en": {
        "html_lang": "en-CA",
        "title": "The green wave",
        "invite": "No social account? Send your photo here:",
        "qr_alt": "QR code of the photo upload page",
        "counter_label": "approved photos",
        "wave": "The wave, quarter-hour by quarter-hour",
        "regions": "Québec's regions",
        "countdown": "The wave starts in",
        "days": "d",
        "recap": "The wave in review",
        "empty": "The first photos are on their way. Wear green and share yours!",
        "reconnecting": "Reconnecting…",
        "upload": "Send my photo",
        "removal": "Ask for a photo's removal",
        "other_lang": "Français",
        "alt": "Photo of the green wave",
        "pinned": "Favourite",
        "wall_of": "Wall:",
        "source_upload": "Sent on the site",
        "photo_number": "Photo no.",
        "links": "Links",
    },
}


# The error code of each period's bad value, written out so the reference's test finds it.
PERIOD_ERRORS: dict[str, Callable[[], BadRequest]] = {
    "resync": lambda: BadRequest(SECONDS_MESSAGE.format("resync"), code="bad_resync"),
    "rotate": lambda: BadRequest(SECONDS_MESSAGE.format("rotate"), code="bad_rotate"),
    "spotlight": lambda: BadRequest(SECONDS_MESSAGE.format("spotlight"), code="bad_spotlight"),
}
SECONDS_MESSAGE = "Le paramètre {} est un nombre entier de secondes."


def period(request: Request, name: str) -> int:
    """``?name=N`` seconds, held within the bounds of ``PERIODS``."""
    default, lowest, highest = PERIODS[name]
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PERIOD_ERRORS[name]() from None
    return min(max(value, lowest), highest)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _context(request: Request, *, embed: bool) -> dict[str, Any]:
    settings: Settings = app_state(request)["settings"]
    chosen = WallFilter.from_query(request.query_params, settings.regions)
    embed = embed or _flag(request, "embed")
    if embed:
        chosen = dataclasses.replace(chosen, embed=True)
    lang = wording.page_lang(request)
    layout = request.query_params.get("layout", "mosaic").strip().lower()
    if layout not in LAYOUTS:
        raise BadRequest("Le paramètre layout vaut mosaic, spotlight ou rotate.", code="bad_layout")
    day = EventDay.of(settings)
    forced = parse_phase(request.query_params.get("phase"))
    filter_query = chosen.query()
    other = {k: v for k, v in request.query_params.items() if k != "lang"}
    if lang == "fr":
        other["lang"] = "en"
    named = [value for value in (chosen.school, chosen.region, chosen.source) if value]
    return {
        "lang": lang,
        "t": TEXT[lang],
        "hashtag": settings.hashtags[0],
        "upload_address": invite.upload_address(request),
        "layout": layout,
        "kiosk": _flag(request, "kiosk"),
        "embed": embed,
        "phase": (forced or day.phase_at(utcnow())).value,
        "phase_forced": forced is not None,
        "day_starts": _iso(day.starts_at),
        "day_ends": _iso(day.ends_at),
        "timezone": settings.timezone.key,
        "wall_of": " · ".join(named),
        "regions": list(settings.regions),
        "photos_url": _with_query(str(request.url_for("wall_photos")), filter_query),
        "stats_url": _with_query(str(request.url_for("wall_stats")), filter_query),
        "filter": {
            "region": chosen.region,
            "school": chosen.school,
            "source": chosen.source,
            "embed": chosen.embed,
        },
        "periods": {
            **{name: period(request, name) for name in PERIODS},
            "rotateGiven": "rotate" in request.query_params,
        },
        "other_lang_url": _with_query(request.url.path, _encode(other)),
    }


def _encode(params: dict[str, str]) -> str:
    return urllib.parse.urlencode(params)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def framed_by_another_site(request: Request) -> bool:
    """A partner's page showing this one in a frame (the browser's fetch metadata)."""
    headers = request.headers
    return headers.get("sec-fetch-dest") == "iframe" and headers.get("sec-fetch-site") not in (
        None,
        "same-origin",
        "same-site",
    )


async def wall_page(request: Request) -> Response:
    if framed_by_another_site(request):
        # A partner that frames ``/`` gets the embed: only photos whose consent
        # names partners' sites may appear there (``wall.consent``).
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{request.url_for('wall_embed')}{query}", status_code=303)
    return render(request, "wall.html", _context(request, embed=False))


async def embed_page(request: Request) -> Response:
    return render(request, "wall.html", _context(request, embed=True))


routes = [
    Route("/", wall_page, name="wall"),
    Route("/embed", embed_page, name="wall_embed"),
]
