"""``GET /api/moderation/sources``: the health of each configured source, for moderators.

``health`` is one of ``HEALTH_STATES``; ``stalled`` and ``restricted`` are
the silent failures: the source answers without error but misses posts.

``recheck_worst_age_seconds`` is the longest an approved post of the source
has gone without a check that it still exists at the source (from its
approval when never checked); ``null`` while the source has no approved post.
It should stay under ``WALL_RECHECK_SECONDS`` plus one poll interval.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from wall.models import SourceState, utcnow
from wall.photos import iso
from wall.sources.catalogue import Entry
from wall.sources.deletions import worst_ages
from wall.sources.health import health
from wall.state import app_state
from wall.web.responses import render
from wall.web.session import require_moderator, signed_in


def source_json(
    entry: Entry, state: SourceState | None, recheck_worst_age: float | None
) -> dict[str, Any]:
    return {
        **entry.to_json(),
        "health": health(state, paused=entry.paused),
        "last_success_at": iso(state.last_success_at) if state else None,
        "last_error": state.last_error if state else None,
        "last_error_at": iso(state.last_error_at) if state else None,
        "next_poll_at": iso(state.next_poll_at) if state else None,
        "consecutive_failures": state.consecutive_failures if state else 0,
        "fetched_total": state.fetched_total if state else 0,
        "stored_total": state.stored_total if state else 0,
        "skipped_total": state.skipped_total if state else 0,
        "last_head_read_at": iso(state.last_head_read_at) if state else None,
        "newest_post_at": iso(state.newest_post_at) if state else None,
        "recheck_worst_age_seconds": (
            None if recheck_worst_age is None else round(recheck_worst_age, 1)
        ),
    }


# The sources panel's words for each health state, French then English.
HEALTH_LABELS = {
    "new": ("Nouvelle", "New", "Pas encore interrogée."),
    "ok": ("En santé", "Healthy", "Répond et avance."),
    "stalled": (
        "Bloquée",
        "Stalled",
        "Le réseau a des publications plus récentes, mais le curseur n'avance plus\u00a0: "
        "vérifiez le type du serveur (« gotosocial », « akkoma » ou « pleroma »).",
    ),
    "restricted": (
        "Restreinte",
        "Restricted",
        "Le fil du mot-clic répond vide alors que le mot-clic est utilisé sur ce "
        "serveur\u00a0: il restreint ses fils de mots-clics. Ajoutez un jeton ou "
        "choisissez un autre serveur.",
    ),
    "retrying": ("Nouvel essai", "Retrying", "Échec passager\u00a0; nouvel essai prévu."),
    "failing": ("En échec", "Failing", "Échec durable\u00a0: la configuration est à corriger."),
    "paused": ("En pause", "Paused", "Mise en pause par un administrateur\u00a0; rien n'est lu."),
}


async def source_list(request: Request) -> list[dict[str, Any]]:
    """Every source of the catalogue (paused ones included) with its health."""
    async with app_state(request)["db"].reading() as session:
        entries = await app_state(request)["sources"].entries(session)
        names = [entry.name for entry in entries]
        rows = await session.scalars(select(SourceState).where(SourceState.name.in_(names)))
        states = {state.name: state for state in rows.all()}
        ages = await worst_ages(session, names, utcnow())
    return [source_json(e, states.get(e.name), ages.get(e.name)) for e in entries]


async def list_sources(request: Request) -> Response:
    await require_moderator(request)
    return JSONResponse(await source_list(request))


async def sources_page(request: Request) -> Response:
    """The sources panel: each source's health, the silent failures spelled out."""
    who = await signed_in(request)
    if who is None:
        return RedirectResponse(request.url_for("login"), status_code=303)
    return render(
        request,
        "moderation_sources.html",
        {
            "email": who.moderator.email,
            "sources": await source_list(request),
            "labels": HEALTH_LABELS,
        },
    )


routes = [
    Route("/api/moderation/sources", list_sources, name="moderation_sources"),
    Route("/moderation/sources", sources_page, name="moderation_sources_page"),
]
