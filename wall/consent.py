"""What an uploader agrees to: the consent wording, in French and English, and its version.

The version is stored with every uploaded photo (``Photo.consent_version``),
so the wording a person saw can always be found again. Change a sentence
here, bump ``CONSENT_VERSION`` and keep the old wording in ``docs/uploads.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from wall.config import Settings

CONSENT_VERSION = "2024-02"

FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@dataclass(frozen=True)
class ConsentText:
    """The consent part of the upload form, in one language."""

    title: str
    show_on_wall: str
    show_name: str
    age_question: str
    age_14_or_older: str
    age_guardian_consent: str
    notice_title: str
    notice: tuple[str, ...]


def long_date(day: dt.date, lang: str) -> str:
    if lang == "en":
        return f"{day:%B} {day.day}, {day.year}"
    return f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def consent_text(settings: Settings, lang: str) -> ConsentText:
    """The wording of ``CONSENT_VERSION`` for this wall's settings."""
    tag = f"#{settings.hashtags[0]}"
    until = long_date(settings.photos_kept_until, lang)
    if lang == "en":
        removal = "at any time with the private link you get after sending your photo"
        if settings.contact_email:
            removal += f", or by writing to {settings.contact_email}"
        blur = {
            "all": "Faces are blurred on the wall.",
            "uploads": "Faces in your photo are blurred on the wall.",
            "guardian_consent": "For people under 14, faces are blurred on the wall.",
        }.get(settings.blur_faces)
        notice = (
            "What is shown: your photo, your caption and your region; your first name or "
            "nickname only if you tick the box above. Your school is seen only by the "
            "moderators. The photo's hidden data (such as GPS location) is removed.",
            f"Where: on the {tag} green wave wall, a public web page shown on screens in "
            "schools and elsewhere during the campaign.",
            "Before: a person on our team checks every photo before it is shown.",
            f"For how long: during the campaign; photos are deleted by {until} at the latest.",
            f"How to remove it: {removal}.",
            f"Who is responsible: {settings.organizer}.",
        )
        return ConsentText(
            title="Your consent",
            show_on_wall=f"I agree that my photo is shown on the {tag} wall.",
            show_name="Show my first name or nickname with the photo.",
            age_question="Your age (required)",
            age_14_or_older="I am 14 or older.",
            age_guardian_consent=(
                "I am under 14, and my parent or guardian has read this page and agrees."
            ),
            notice_title="What happens to your photo",
            notice=(*notice, blur) if blur else notice,
        )
    removal = "en tout temps avec le lien privé que tu reçois après l'envoi"
    if settings.contact_email:
        removal += f", ou en écrivant à {settings.contact_email}"
    blur = {
        "all": "Les visages sont brouillés sur le mur.",
        "uploads": "Les visages de ta photo sont brouillés sur le mur.",
        "guardian_consent": "Pour les moins de 14 ans, les visages sont brouillés sur le mur.",
    }.get(settings.blur_faces)
    notice = (
        "Ce qui est montré : ta photo, ta légende et ta région; ton prénom ou pseudo "
        "seulement si tu coches la case ci-dessus. Ton école n'est vue que par l'équipe "
        "de modération. Les données cachées de la photo (comme la position GPS) sont retirées.",
        f"Où : sur le mur de la vague verte {tag}, une page web publique projetée dans "
        "des écoles et ailleurs pendant la campagne.",
        "Avant : une personne de notre équipe vérifie chaque photo avant de l'afficher.",
        f"Combien de temps : pendant la campagne; les photos sont effacées au plus tard "
        f"le {until}.",
        f"Pour la retirer : {removal}.",
        f"Responsable : {settings.organizer}.",
    )
    return ConsentText(
        title="Ton accord",
        show_on_wall=f"J'accepte que ma photo soit affichée sur le mur {tag}.",
        show_name="Afficher mon prénom ou pseudo avec la photo.",
        age_question="Ton âge (obligatoire)",
        age_14_or_older="J'ai 14 ans ou plus.",
        age_guardian_consent=(
            "J'ai moins de 14 ans, et mon parent ou tuteur a lu cette page et est d'accord."
        ),
        notice_title="Ce qui arrive à ta photo",
        notice=(*notice, blur) if blur else notice,
    )
