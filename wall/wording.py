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
        "details": "Ajouter un prénom, une légende, ta région (facultatif)",
        "preparing": "Préparation de la photo…",
        "cancel": "Annuler l'envoi",
        "cancelled": "Envoi annulé. Tu peux réessayer quand tu veux.",
        "need_photo": "Choisis une photo à envoyer.",
        "bad_type": "Ce fichier n'est pas une image acceptée (JPEG, PNG, WebP, HEIC ou GIF).",
        "too_big": "La photo est trop volumineuse (maximum {max_mb}\u00a0Mo).",
        "need_consent": "Coche la case pour accepter que ta photo soit affichée sur le mur.",
        "need_age": "Indique si tu as 14\u00a0ans ou plus, ou si un parent ou tuteur a donné "
        "son accord.",
        "need_box": "Coche cette case pour continuer.",
        "copy_link": "Copier le lien",
        "copied": "Lien copié.",
        "copy_failed": "Copie impossible\u00a0: touche le lien longuement pour le copier.",
        "share": "Partager le lien",
        "share_title": "Ma photo pour la vague verte",
        "qr_alt": "Code QR du lien privé de ta photo",
        "qr_hint": "Scanne ce code avec un autre appareil pour y garder le lien.",
        "card_title": "Partage ta photo",
        "card_intro": "Une image de ta photo dans le cadre de la vague, prête pour les "
        "réseaux sociaux. Plus on publie, plus la vague grandit\u00a0!",
        "card_alt": "Ta photo dans un cadre vert et blanc avec le mot-clic #{hashtag}",
        "card_download": "Télécharger l'image",
        "card_share": "Partager l'image",
        "thumb_alt": "Ta photo",
        "status_note_pending": "Notre équipe la regarde bientôt. Reviens sur ce lien pour "
        "voir la suite.",
        "status_note_approved": "Elle est sur le mur. Merci de faire partie de la vague\u00a0!",
        "status_note_rejected": "Elle ne sera pas affichée sur le mur.",
        "status_note_removed": "Elle n'est plus affichée sur le mur.",
        "status_note_erased": "Elle et tout ce que tu as écrit avec elle ont été supprimés.",
        "confirm_title": "Retirer ta photo\u00a0?",
        "confirm_yes": "Oui, supprimer ma photo",
        "confirm_no": "Non, la garder",
        "confirm_needed": "Confirme le retrait avec le bouton ci-dessous.",
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
        "details": "Add a name, a caption, your region (optional)",
        "preparing": "Preparing the photo…",
        "cancel": "Cancel sending",
        "cancelled": "Sending cancelled. You can try again whenever you like.",
        "need_photo": "Choose a photo to send.",
        "bad_type": "This file is not an accepted image (JPEG, PNG, WebP, HEIC or GIF).",
        "too_big": "The photo is too large (at most {max_mb} MB).",
        "need_consent": "Tick the box to agree that your photo is shown on the wall.",
        "need_age": "Say whether you are 14 or older, or whether a parent or guardian agreed.",
        "need_box": "Tick this box to continue.",
        "copy_link": "Copy the link",
        "copied": "Link copied.",
        "copy_failed": "Could not copy: press and hold the link to copy it.",
        "share": "Share the link",
        "share_title": "My photo for the green wave",
        "qr_alt": "QR code of your photo's private link",
        "qr_hint": "Scan this code with another device to keep the link there.",
        "card_title": "Share your photo",
        "card_intro": "An image of your photo in the wave's frame, ready for social networks. "
        "The more we post, the bigger the wave!",
        "card_alt": "Your photo in a green and white frame with the hashtag #{hashtag}",
        "card_download": "Download the image",
        "card_share": "Share the image",
        "thumb_alt": "Your photo",
        "status_note_pending": "Our team will look at it soon. Come back to this link to "
        "see what happens.",
        "status_note_approved": "It is on the wall. Thank you for being part of the wave!",
        "status_note_rejected": "It will not be shown on the wall.",
        "status_note_removed": "It is no longer shown on the wall.",
        "status_note_erased": "It and everything you wrote with it have been deleted.",
        "confirm_title": "Remove your photo?",
        "confirm_yes": "Yes, delete my photo",
        "confirm_no": "No, keep it",
        "confirm_needed": "Confirm the removal with the button below.",
    },
}

# The class upload page (school invites): for teachers, so « vous ».
CLASS_PAGE: dict[str, dict[str, str]] = {
    "fr": {
        "html_lang": "fr-CA",
        "title": "Envoyer les photos d'une classe",
        "lead": "Envoyez en une fois jusqu'à {max} photos de votre classe pour le mur "
        "de la vague verte. Une personne de notre équipe vérifie chaque photo avant "
        "de l'afficher.",
        "switch": "English",
        "school": "École\u00a0:",
        "region": "Région\u00a0:",
        "photos": "Photos (jusqu'à {max})",
        "caption": "Légende commune (facultatif)",
        "consent_title": "Autorisation des parents",
        "school_consent": "Je confirme que l'école détient l'autorisation de diffusion "
        "d'image signée par un parent de chaque enfant qu'on voit sur ces photos, "
        "pour un affichage sur le mur public de la campagne.",
        "notice": "Les photos sont affichées sans nom. L'école n'est vue que par l'équipe "
        "de modération. Les données cachées des photos (comme la position GPS) sont "
        "retirées. Les photos sont effacées au plus tard le {until}.",
        "honeypot": "Ne remplissez pas ce champ",
        "submit": "Envoyer les photos",
        "done_title": "Photos reçues",
        "stored": "{n} photo(s) reçue(s), en attente de validation.",
        "refused_title": "Photos refusées (rien n'en a été gardé)\u00a0:",
        "again": "Envoyer d'autres photos",
        "manage": "gérer",
        "manage_intro": "Gardez cette page\u00a0: chaque lien «\u00a0gérer\u00a0» montre "
        "où en est la photo et permet de la retirer.",
    },
    "en": {
        "html_lang": "en-CA",
        "title": "Send a class's photos",
        "lead": "Send up to {max} photos of your class at once for the green wave wall. "
        "A person on our team checks every photo before it is shown.",
        "switch": "Français",
        "school": "School:",
        "region": "Region:",
        "photos": "Photos (up to {max})",
        "caption": "Shared caption (optional)",
        "consent_title": "Parents' permission",
        "school_consent": "I confirm that the school holds an image release signed by a "
        "parent of every child seen in these photos, for display on the campaign's "
        "public wall.",
        "notice": "Photos are shown without names. The school is seen only by the "
        "moderators. The photos' hidden data (such as GPS location) is removed. Photos "
        "are deleted by {until} at the latest.",
        "honeypot": "Leave this field empty",
        "submit": "Send the photos",
        "done_title": "Photos received",
        "stored": "{n} photo(s) received, waiting for approval.",
        "refused_title": "Photos refused (nothing of them was kept):",
        "again": "Send more photos",
        "manage": "manage",
        "manage_intro": "Keep this page: each “manage” link shows where the photo stands "
        "and lets you remove it.",
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
    "school_consent_required": "Confirm that the school holds the parents' permission for "
    "every child seen in these photos.",
    "photos_required": "Choose at least one photo.",
    "too_many_photos": "At most 30 photos per sending: send the others afterwards.",
    "photos_refused": "No photo was accepted: see the reason for each file.",
    "batch_in_progress": "These photos are already being sent. Reload the page in a moment "
    "to see whether they arrived.",
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
