"""The public "ask for removal" form and the moderators' list of requests."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wall import french, photos, wording
from wall.config import Settings
from wall.errors import InvalidField, NotFound, TooManyRequests
from wall.moderation import removals
from wall.state import app_state
from wall.web.inputs import check_form, parse_id, strip_refused
from wall.web.responses import render
from wall.web.session import audit_client, client_ip, read_json, require_moderator


def _words(settings: Settings, lang: str) -> dict[str, str]:
    """The form's text, addressed to a parent with « vous » (English with ``?lang=en``)."""
    hours = settings.removal_delay_hours
    until = french.long_date(settings.photos_kept_until, lang)
    if lang == "en":
        return {
            "title": "Ask for a photo to be removed",
            "intro": "Is a photo of you or your child on the wall when it should not be? "
            "Tell us: a request from the person in the photo or their parent is always "
            "granted.",
            "delay": f"We remove it within {hours} hours, often much sooner.",
            "ref": "The photo's number, or its link (optional)",
            "ref_hint": "The number shows under the photo when the wall shows it large, "
            "for example 482-913. Without a number, a description is enough.",
            "description": "What the photo shows",
            "description_hint": "About when you saw it, its caption, what it shows. For "
            "example: “around 10:30 a.m., three students in green sweaters in front of the "
            "school”.",
            "reason": "Why should it be removed?",
            "reason_example": "For example: it is my child and I did not agree.",
            "contact": "How to reach you (optional)",
            "privacy": "What you write here is used only to handle the request. Only the "
            f"moderation team reads it; it is deleted with the photo, and by {until} at the "
            "latest.",
            "submit": "Send the request",
            "back": "Back to the wall",
            "switch": "Français",
            "switch_lang": "fr-CA",
            "switch_query": "",
            "query": "?lang=en",
            "html_lang": "en-CA",
            "received": "Request received",
            "thanks": f"Thank you. The moderation team handles your request first, within "
            f"{hours} hours.",
        }
    return {
        "title": "Demander le retrait d'une photo",
        "intro": "Une photo de vous ou de votre enfant est sur le mur et ne devrait pas y "
        "être? Dites-le-nous : une demande de la personne sur la photo ou de son parent est "
        "toujours acceptée.",
        "delay": f"Nous la retirons dans un délai de {hours} heures, souvent bien avant.",
        "ref": "Numéro de la photo, ou son lien (facultatif)",
        "ref_hint": "Le numéro est affiché sous la photo quand elle passe en grand sur le "
        "mur, par exemple 482-913. Sans numéro, la description suffit.",
        "description": "Description de la photo",
        "description_hint": "Vers quelle heure vous l'avez vue, son petit texte, ce qu'on y "
        "voit. Par exemple : « vers 10 h 30, trois élèves en chandail vert devant l'école ».",
        "reason": "Pourquoi la retirer?",
        "reason_example": "Par exemple : c’est mon enfant, je n’ai pas donné mon accord.",
        "contact": "Pour vous joindre (facultatif)",
        "privacy": "Ce que vous écrivez ici sert seulement à traiter la demande. Seule "
        f"l'équipe de modération le lit; c'est effacé avec la photo, et au plus tard {until}.",
        "submit": "Envoyer la demande",
        "back": "Retour au mur",
        "switch": "English",
        "switch_lang": "en-CA",
        "switch_query": "?lang=en",
        "query": "",
        "html_lang": "fr-CA",
        "received": "Demande reçue",
        "thanks": "Merci. L'équipe de modération examine votre demande en priorité, dans un "
        f"délai de {hours} heures.",
    }


async def removal_form(request: Request) -> Response:
    settings: Settings = app_state(request)["settings"]
    lang = wording.page_lang(request)
    words = _words(settings, lang)
    context: dict[str, Any] = {
        "error": None,
        "photo_ref": request.query_params.get("photo", "")[:500],
        "lang": lang,
        "t": words,
    }
    context.update(description="", reason="", contact="")
    if request.method == "GET":
        return render(request, "removal_request.html", context)
    form = await request.form(max_files=0, max_fields=6, max_part_size=4096)
    reference = str(form.get("photo_ref") or "")
    description = str(form.get("description") or "")
    reason, contact = str(form.get("reason") or ""), str(form.get("contact") or "")
    client = removals.client_hash(app_state(request)["secret_key"], client_ip(request))
    try:
        check_form(form)  # a stray NUL must not lose the request: the form comes back
        async with app_state(request)["db"].writing() as session:
            await removals.create(
                session,
                reference=reference,
                description=description,
                reason=reason,
                contact=contact,
                client=client,
            )
    except (InvalidField, TooManyRequests) as exc:
        context.update(
            error=exc.message_en if lang == "en" and exc.message_en else exc.message,
            photo_ref=strip_refused(reference),
            description=strip_refused(description),
            reason=strip_refused(reason),
            contact=strip_refused(contact),
        )
        response = render(request, "removal_request.html", context, status=exc.status)
        response.headers.update(exc.headers)
        return response
    return render(
        request,
        "message.html",
        {"title": words["received"], "message": words["thanks"], "lang": lang},
        status=201,
    )


async def list_requests(request: Request) -> Response:
    await require_moderator(request)
    status = request.query_params.get("status", "open")
    if status not in ("open", "resolved"):
        raise InvalidField("status vaut « open » ou « resolved ».", code="bad_status")
    limit = photos.parse_limit(request.query_params.get("limit"))
    async with app_state(request)["db"].reading() as session:
        rows = await removals.listing(session, open_only=status == "open", limit=limit)
    return JSONResponse({"requests": rows})


async def resolve_request(request: Request) -> Response:
    who = await require_moderator(request)
    data = await read_json(request)
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise InvalidField("La note est un texte court.", code="invalid_note")
    request_id = parse_id(request.path_params["request_id"])
    if request_id is None:
        raise NotFound("Cette demande n'existe pas.", code="removal_request_not_found")
    async with app_state(request)["db"].writing() as session:
        body = await removals.resolve(
            session,
            request_id,
            str(data.get("resolution")),
            note or None,
            who.moderator,
            audit_client(request),
        )
    return JSONResponse(body)


routes = [
    Route("/removal-request", removal_form, methods=["GET", "POST"], name="removal_request"),
    Route("/api/moderation/removal-requests", list_requests, name="moderation_removal_requests"),
    Route(
        "/api/moderation/removal-requests/{request_id}/resolve",
        resolve_request,
        methods=["POST"],
        name="moderation_removal_resolve",
    ),
]
