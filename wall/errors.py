"""One error type for the whole wall, and its one handler.

Domain code raises a ``WallError`` (or a subclass) carrying a stable ``code``
for programs, an HTTP ``status`` and a French ``message`` for people. The
handler answers JSON ``{"error", "message"}`` or, for a browser, a French HTML
page.
"""

from __future__ import annotations

from typing import Any


class WallError(Exception):
    """An expected failure with a stable code, an HTTP status and a French message."""

    code: str = "error"
    status: int = 400
    message: str = "La requête n'a pas pu être traitée."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = headers or {}
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


class BadRequest(WallError):
    code = "bad_request"
    status = 400
    message = "La requête est mal formée."


class NotFound(WallError):
    code = "not_found"
    status = 404
    message = "Introuvable."


class Conflict(WallError):
    code = "conflict"
    status = 409
    message = "Cette action n'est pas permise dans l'état actuel."


class Unauthorized(WallError):
    code = "unauthorized"
    status = 401
    message = "Connexion requise."


class Forbidden(WallError):
    code = "forbidden"
    status = 403
    message = "Accès refusé."


class PayloadTooLarge(WallError):
    code = "too_large"
    status = 413
    message = "Le fichier est trop volumineux."


class UnsupportedMedia(WallError):
    code = "unsupported_media"
    status = 415
    message = "Ce fichier n'est pas une image acceptée (JPEG, PNG, WebP, HEIC ou GIF)."


class InvalidField(WallError):
    code = "invalid_field"
    status = 422
    message = "Un champ est manquant ou invalide."


class TooManyRequests(WallError):
    code = "rate_limited"
    status = 429
    message = "Trop de tentatives. Réessaie plus tard."

    def __init__(self, message: str | None = None, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after
