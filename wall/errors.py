"""One error type for the whole wall, and its one handler.

Domain code raises a ``WallError`` (or a subclass) carrying a stable ``code``
for programs, an HTTP ``status`` and a French ``message`` for people. The
handler answers JSON ``{"error", "message"}`` or, for a browser, a French HTML
page.
"""

from __future__ import annotations

from typing import Any

from wall.french import spaced


class WallError(Exception):
    """An expected failure with a stable code, an HTTP status and a French message."""

    code: str = "error"
    status: int = 400
    message: str = "La requête n'a pas pu être traitée."
    # The same sentence in English, where the code has one (``message_en`` in JSON).
    message_en: str | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        message_en: str | None = None,
    ) -> None:
        # Every message people read goes through the one OQLF spacing function.
        self.message = spaced(message if message is not None else self.message)
        if message_en is not None:
            self.message_en = message_en
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = headers or {}
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.message_en is not None:
            body["message_en"] = self.message_en
        return body


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


class RequestTimeout(WallError):
    code = "body_timeout"
    status = 408
    message = "L'envoi a pris trop de temps. Vérifie ta connexion et réessaie."
    message_en = "Sending took too long. Check your connection and try again."


class InternalError(WallError):
    code = "internal_error"
    status = 500
    message = "Une erreur inattendue est survenue de notre côté. Réessaie dans un moment."
    message_en = "Something went wrong on our side. Please try again in a moment."


class TooManyRequests(WallError):
    code = "rate_limited"
    status = 429
    message = "Trop de tentatives. Réessaie plus tard."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: int,
        code: str | None = None,
        message_en: str | None = None,
    ):
        super().__init__(
            message,
            code=code,
            headers={"Retry-After": str(max(1, retry_after))},
            message_en=message_en,
        )
        self.retry_after = retry_after
