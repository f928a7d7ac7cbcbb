"""How the web layer answers: JSON or French HTML, errors included."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from wall.errors import WallError
from wall.state import app_state

HTTP_MESSAGES = {
    404: ("not_found", "Cette page n'existe pas."),
    405: ("method_not_allowed", "Cette méthode n'est pas permise ici."),
}


# Endpoints for programs outside /api/: their errors are JSON too.
MACHINE_PATHS = frozenset({"/metrics", "/healthz", "/readyz", "/openapi.json"})

# Where an answered error leaves its code in the request's scope (for /metrics).
ERROR_CODE_KEY = "wall.error_code"


def wants_json(request: Request) -> bool:
    path = request.url.path
    return (
        path.startswith("/api/")
        or path in MACHINE_PATHS
        or "application/json" in request.headers.get("accept", "")
    )


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Jinja2Templates = app_state(request)["templates"]
    return templates.TemplateResponse(request, template, context, status_code=status)


def error_response(request: Request, error: WallError) -> Response:
    request.scope[ERROR_CODE_KEY] = error.code
    if wants_json(request):
        return JSONResponse(error.to_json(), status_code=error.status, headers=error.headers)
    if request.query_params.get("lang") == "en":
        context = {"lang": "en", "title": "Oops!", "message": error.message_en or error.message}
    else:
        context = {"lang": "fr", "title": "Oups!", "message": error.message}
    response = render(request, "message.html", context, status=error.status)
    response.headers.update(error.headers)
    return response


async def handle_wall_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WallError)
    return error_response(request, exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = HTTP_MESSAGES.get(exc.status_code, ("http_error", "La requête a échoué."))
    return error_response(request, WallError(message, code=code, status=exc.status_code))
