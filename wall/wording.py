"""The upload pages' words: French (Québec) by default, English on request.

Errors carry a French message (the contract's ``message``); ``english`` gives
the English sentence for the same stable code, for the English page.
"""

from __future__ import annotations

from starlette.requests import Request

from wall import french
from wall.config import Settings
from wall.errors import WallError
from wall.media import MediaLimits

LANGS = ("fr", "en")

PAGE: dict[str, dict[str, str]] = {
    "fr": {
        "html_lang": "fr-CA",
        "title": "Envoie ta photo verte",
        "lead": "Pour le Jeudi PerséVERT, montre-nous ton vert! Ta photo sera affichée sur "
        "le mur après validation par notre équipe.",
        "switch": "English",
        "photo": "Ta photo",
        "take_photo": "Prendre une photo",
        "preview_alt": "Aperçu de ta photo",
        "display_name": "Prénom ou pseudo (pas obligatoire)",
        "display_name_hint": "Pas de nom complet : un prénom ou un pseudo suffit.",
        "caption": "Petit texte sous ta photo (pas obligatoire)",
        "region": "Région (pas obligatoire)",
        "school": "École (pas obligatoire; vue par l'équipe de modération, et sur le mur "
        "de ton école seulement si tu coches la case plus bas)",
        "honeypot": "Ne remplis pas ce champ",
        "submit": "Envoyer ma photo",
        "sending": "Envoi en cours…",
        "network_error": "L'envoi a échoué. Vérifie ta connexion et réessaie : "
        "ta photo ne sera pas envoyée deux fois.",
        "thanks": "Merci! Ta photo sera affichée après validation.",
        "manage_intro": "Garde ce lien privé : il sert à voir où en est ta photo ou à la "
        "retirer. Fais une capture d'écran ou envoie-le à ton parent. Ne le montre pas à "
        "d'autres personnes.",
        "another": "Envoyer une autre photo",
        "manage_title": "Ma photo",
        "status": "État",
        "withdraw": "Retirer ma photo",
        "pending": "en attente de validation",
        "approved": "affichée sur le mur",
        "rejected": "non retenue",
        "removed": "retirée",
        "erased": "supprimée définitivement",
        "withdraw_note": "Ta photo et tout ce que tu as écrit avec elle (légende, prénom, "
        "école) seront supprimés définitivement.",
    },
    "en": {
        "html_lang": "en-CA",
        "title": "Send your green photo",
        "lead": "For Jeudi PerséVERT, show us your green! Your photo will appear on the wall "
        "once our team has approved it.",
        "switch": "Français",
        "photo": "Your photo",
        "take_photo": "Take a photo",
        "preview_alt": "Preview of your photo",
        "display_name": "First name or nickname (optional)",
        "display_name_hint": "No full name: a first name or a nickname is enough.",
        "caption": "Text under your photo (optional)",
        "region": "Region (optional)",
        "school": "School (optional; seen by the moderators, and on your school's wall only "
        "if you tick the box below)",
        "honeypot": "Leave this field empty",
        "submit": "Send my photo",
        "sending": "Sending…",
        "network_error": "Sending failed. Check your connection and try again: "
        "your photo will not be sent twice.",
        "thanks": "Thank you! Your photo will appear once approved.",
        "manage_intro": "Keep this private link: it lets you follow your photo or remove it. "
        "Take a screenshot or send it to your parent. Do not show it to others.",
        "another": "Send another photo",
        "manage_title": "My photo",
        "status": "Status",
        "withdraw": "Remove my photo",
        "pending": "waiting for approval",
        "approved": "shown on the wall",
        "rejected": "not selected",
        "removed": "removed",
        "erased": "permanently deleted",
        "withdraw_note": "Your photo and everything you wrote with it (caption, name, "
        "school) will be permanently deleted.",
    },
}

FIELD_NAMES_EN = {
    "display_name": "First name or nickname",
    "caption": "Text under your photo",
    "school": "School",
    "region": "Region",
}

ENGLISH_ERRORS = {
    "uploads_not_open": "Uploads open on {opens} (Québec time).",
    "uploads_closed": "Uploads are closed. Thank you for taking part!",
    "too_large": "The file is too large (at most {max_mb} MB).",
    "bad_content_length": "Invalid Content-Length header.",
    "malformed_form": "The form that was sent is malformed.",
    "spam_suspected": "Leave the last field empty: it is a trap for robots.",
    "consent_required": "Tick the box to agree that your photo is shown on the wall.",
    "everyone_consent_required": "Tick the box saying that everyone in the photo agrees.",
    "age_confirmation_required": "Give your age: 14 or older, or under 14.",
    "parent_consent_needed": "Thank you for wanting to take part! As you are under 14, your "
    "parent must first read this page and agree. Show it to them: they can send the photo "
    "with you. Your photo was not sent.",
    "under_14_through_school": "Photos of people under 14 come only through their school, "
    "with the class link. Your photo was not sent.",
    "under_14_refused": "This wall accepts no photos of people under 14. Your photo was not sent.",
    "unknown_region": "Choose a region from the list.",
    "invalid_upload_key": "The form is out of date. Reload the page and try again.",
    "photo_required": "Attach one photo.",
    "upload_rate_limited": "You have sent many photos. Try again a little later.",
    "too_many_pending": "Several of your photos are still waiting for approval. Try again "
    "once they have been checked.",
    "too_many_concurrent_uploads": "Another of your photos is still being sent. Wait until "
    "it has arrived, then try again.",
    "empty_file": "The file is empty. Choose a photo to send.",
    "unsupported_media": "This file is not an accepted image (JPEG, PNG, WebP, HEIC or GIF).",
    "corrupt_image": "The image is damaged or incomplete. Try another photo.",
    "too_many_pixels": "The image is too big: at most {max_mp} megapixels.",
    "image_too_small": "The image is too small: at least {min_side} pixels on each side.",
    "bad_aspect_ratio": "The image is too narrow or too long for the wall.",
    "disk_full": "The server has no room left to store photos. Please try again a little later.",
}
for _field, _label in FIELD_NAMES_EN.items():
    ENGLISH_ERRORS[f"invalid_{_field}"] = f"The field “{_label}” contains invalid characters."
    ENGLISH_ERRORS[f"{_field}_too_long"] = f"The field “{_label}” is too long."

FALLBACK_EN = "The upload could not be processed. Please try again."


def page_lang(request: Request) -> str:
    """``en`` when asked for with ``?lang=en``; French otherwise."""
    return "en" if request.query_params.get("lang") == "en" else "fr"


def english(error: WallError, settings: Settings, limits: MediaLimits) -> str:
    """The English sentence for ``error``'s code, filled from the settings and limits."""
    opens = settings.uploads_open_at
    values = {
        "max_mb": settings.max_upload_mb,
        "max_mp": limits.max_pixels // 1_000_000,
        "min_side": limits.min_side,
        "opens": french.date_and_time(opens, settings.timezone, "en") if opens else "",
    }
    return ENGLISH_ERRORS.get(error.code, error.message_en or FALLBACK_EN).format(**values)


def message_in(lang: str, error: WallError, settings: Settings, limits: MediaLimits) -> str:
    return english(error, settings, limits) if lang == "en" else error.message
