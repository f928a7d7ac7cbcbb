"""What an uploader agrees to, who agreed, and for which uses.

The version is stored with every uploaded photo (``Photo.consent_version``),
so the wording a person saw can always be found again. Change a sentence
here or in ``wall.notice``, bump ``CONSENT_VERSION`` and keep the old wording
in ``docs/uploads.md``.

Québec's law (P-39.1 art. 4.1 and 14) has a parent or guardian consent for a
person under 14, so the age question has three answers: 14 or older (the
person consents: ``self``), a parent consenting for their child (``parent``),
or a child whose parent has not read the page yet — that one stops the upload
and stores nothing. ``WALL_UNDER_14`` may instead leave the under-14s to
their school's own photo release (``school``: only through a school invite)
or refuse them.

Each use beyond the wall has its own unticked box, stored per photo:
``may_appear`` (and ``appears_clause`` for queries) is the one rule that
filters and exports ask. A photo stored under an older version has none of
these boxes: its version did not name these uses, so it never appears in them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, or_, true

from wall.config import Settings
from wall.errors import Forbidden, InvalidField
from wall.models import Photo

CONSENT_VERSION = "2024-03"
# The wording before it (kept verbatim in docs/uploads.md): the uploader's own
# consent and age only, for the wall only. The contract's upload form, which
# predates the box for everyone in the photo, is still accepted and recorded
# under this version, so its photos are never used for a later purpose.
PREVIOUS_CONSENT_VERSION = "2024-02"
VERSION_FIELD = "consent_version"

OLDER = "14_or_older"
PARENT = "guardian_consent"
WAITING_FOR_PARENT = "under_14_without_parent"
# The answers the form offers; only the first two can be stored.
AGE_CHOICES = (OLDER, PARENT, WAITING_FOR_PARENT)

# Who gave the consent stored with a photo (``Photo.consent_by``).
BY_SELF, BY_PARENT, BY_SCHOOL = "self", "parent", "school"

Use = Literal["school_wall", "embed", "archive"]
USES: tuple[Use, ...] = ("school_wall", "embed", "archive")
# The form field of each use's box, and the photo column that stores it.
USE_FIELDS: dict[Use, str] = {
    "school_wall": "share_school_wall",
    "embed": "share_embed",
    "archive": "share_archive",
}
EVERYONE_AGREES_FIELD = "everyone_agrees"


def under_14_allowed(policy: str, via_invite: bool) -> bool:
    """Whether a photo of a person under 14 may be stored under ``WALL_UNDER_14``.

    ``parent``: yes, a parent consents on the form (or the school, through its
    invite). ``school``: only through a school invite (a class upload), under
    the school's own photo release. ``refuse``: never.
    """
    if policy == "parent":
        return True
    if policy == "school":
        return via_invite
    return False


def consent_giver(age_confirmation: str, policy: str, via_invite: bool) -> str:
    """Who consented for a stored photo: ``self``, ``parent`` or ``school``."""
    if age_confirmation == OLDER:
        return BY_SELF
    if via_invite and policy == BY_SCHOOL:
        return BY_SCHOOL
    return BY_PARENT


def check_age(age: object, settings: Settings, *, via_invite: bool = False) -> str:
    """The age answer, or a refusal: missing, a child waiting for a parent, or a
    child this wall does not accept here. Nothing is stored on refusal."""
    if age not in AGE_CHOICES:
        raise InvalidField(
            "Indique ton âge : 14 ans ou plus, ou moins de 14 ans.",
            code="age_confirmation_required",
        )
    if age == WAITING_FOR_PARENT:
        raise InvalidField(
            "Merci de vouloir participer! Comme tu as moins de 14 ans, ton parent doit "
            "d'abord lire cette page et donner son accord. Montre-lui cette page : il ou elle "
            "pourra envoyer la photo avec toi. Ta photo n'a pas été envoyée.",
            code="parent_consent_needed",
        )
    if age == PARENT and not under_14_allowed(settings.under_14, via_invite):
        if settings.under_14 == "school":
            raise Forbidden(
                "Les photos des moins de 14 ans arrivent seulement par leur école, avec le "
                "lien de la classe. Ta photo n'a pas été envoyée.",
                code="under_14_through_school",
            )
        raise Forbidden(
            "Ce mur n'accepte pas les photos des moins de 14 ans. Ta photo n'a pas été envoyée.",
            code="under_14_refused",
        )
    return str(age)


def version_of(form: Any) -> str:
    """The wording the form was answered under.

    The upload page sends ``consent_version``; a form that names it, or that
    answers the box for everyone in the photo, is held to the current wording.
    A form with neither is the contract's older one.
    """
    if form.get(VERSION_FIELD) or form.get(EVERYONE_AGREES_FIELD) is not None:
        return CONSENT_VERSION
    return PREVIOUS_CONSENT_VERSION


def check_everyone_agrees(value: object) -> None:
    if value != "yes":
        raise InvalidField(
            "Coche la case qui dit que toutes les personnes sur la photo sont d'accord.",
            code="everyone_consent_required",
        )


def uses_ticked(form: Any, *, via_invite: bool = False) -> dict[Use, bool]:
    """The boxes ticked for further uses (all unticked by default).

    A class upload through a school's invite is made for that school's wall:
    it counts for the school wall through its invite, box or not.
    """
    uses = {use: form.get(field) == "yes" for use, field in USE_FIELDS.items()}
    if via_invite:
        uses["school_wall"] = True
    return uses


def consent_columns(uses: dict[Use, bool], consent_by: str) -> dict[str, Any]:
    """The photo columns that record these boxes and who consented."""
    return {
        "consent_by": consent_by,
        "consent_school_wall": uses["school_wall"],
        "consent_embed": uses["embed"],
        "consent_archive": uses["archive"],
    }


def may_appear(photo: Photo, use: Use) -> bool:
    """Whether ``photo`` may be shown on a public school wall (``?school=``), on a
    partner's site (``/embed``) or kept in the campaign's archive (``wall export``).

    An upload: only when its box was ticked — or, for the school wall, when it
    came through the school's invite. A post collected by hashtag was published
    by its author for everyone: it may be embedded like the wall shows it, but
    it names no school and gave no consent to an archive.
    """
    if photo.source != "upload":
        return use == "embed"
    if use == "school_wall":
        return bool(photo.consent_school_wall) or photo.consent_by == BY_SCHOOL
    if use == "embed":
        return bool(photo.consent_embed)
    return bool(photo.consent_archive)


def appears_clause(use: Use) -> ColumnElement[bool]:
    """``may_appear`` as a SQL condition on ``Photo``, for feed filters and exports."""
    upload = Photo.source == "upload"
    if use == "school_wall":
        allowed = or_(Photo.consent_school_wall.is_(true()), Photo.consent_by == BY_SCHOOL)
        return and_(upload, allowed)
    if use == "embed":
        return or_(~upload, Photo.consent_embed.is_(true()))
    return and_(upload, Photo.consent_archive.is_(true()))


# A short public number for each photo, shown on the wall's spotlight and
# accepted by the removal form: six digits derived from the id. Two photos may
# share one (one in a million per pair); the moderator sees the description too.
PHOTO_NUMBER_DIGITS = 6
_NUMBER_IN_TEXT = re.compile(r"(?<!\d)(\d{3})[ \u00a0\u202f-]?(\d{3})(?!\d)")


def photo_number(photo_id: str) -> str:
    """The photo's short public number, e.g. ``482-913``."""
    digest = hashlib.sha256(f"photo-number|{photo_id}".encode()).digest()
    value = int.from_bytes(digest[:8], "big") % 10**PHOTO_NUMBER_DIGITS
    text = f"{value:0{PHOTO_NUMBER_DIGITS}d}"
    return f"{text[:3]}-{text[3:]}"


def numbers_in(text: str) -> list[str]:
    """The photo numbers written in ``text`` (``482-913``, ``482 913`` or ``482913``)."""
    return [f"{a}-{b}" for a, b in _NUMBER_IN_TEXT.findall(text)]


@dataclass(frozen=True)
class ConsentText:
    """The consent part of the upload form, in one language."""

    title: str
    show_on_wall: str
    show_name: str
    everyone_agrees: str
    uses_title: str
    uses_hint: str
    school_wall: str
    embed: str
    archive: str
    age_question: str
    age_14_or_older: str
    age_guardian_consent: str
    age_waiting_for_parent: str


def consent_text(settings: Settings, lang: str) -> ConsentText:
    """The form's wording of ``CONSENT_VERSION`` for this wall's settings."""
    tag = f"#{settings.hashtags[0]}"
    if lang == "en":
        return ConsentText(
            title="Your consent",
            show_on_wall=f"I agree that my photo is shown on the {tag} wall.",
            show_name="Show my first name or nickname with the photo.",
            everyone_agrees="Everyone who can be seen in the photo agrees (and, for those "
            "under 14, their parent too).",
            uses_title="Other uses (not required)",
            uses_hint="Each box is a separate yes. Leave it empty and the photo is not used "
            "that way.",
            school_wall="My photo may also appear on my school's public wall, which shows the "
            "school's name.",
            embed="My photo may also appear on our partners' websites, where the wall is shown.",
            archive="My photo may be kept in the campaign's archive (a souvenir album of the "
            "organizer) after the wall is deleted.",
            age_question="Your age (required)",
            age_14_or_older="I am 14 or older.",
            age_guardian_consent="I am the parent or guardian of a child under 14: I have read "
            "this page and I agree that their photo is shown.",
            age_waiting_for_parent="I am under 14 and my parent has not read this page yet.",
        )
    return ConsentText(
        title="Ton accord",
        show_on_wall=f"J'accepte que ma photo soit affichée sur le mur {tag}.",
        show_name="Afficher mon prénom ou pseudo avec la photo.",
        everyone_agrees="Toutes les personnes qu'on voit sur la photo sont d'accord (et, pour "
        "celles de moins de 14 ans, leur parent aussi).",
        uses_title="Autres utilisations (pas obligatoire)",
        uses_hint="Chaque case est un oui séparé. Si tu ne la coches pas, ta photo n'est pas "
        "utilisée de cette façon.",
        school_wall="Ma photo peut aussi paraître sur le mur public de mon école, qui montre le "
        "nom de l'école.",
        embed="Ma photo peut aussi paraître sur les sites web de nos partenaires, où le mur est "
        "affiché.",
        archive="Ma photo peut être gardée dans les archives de la campagne (un album souvenir "
        "de l'organisme) après l'effacement du mur.",
        age_question="Ton âge (obligatoire)",
        age_14_or_older="J'ai 14 ans ou plus.",
        age_guardian_consent="Je suis le parent, la tutrice ou le tuteur d'un enfant de moins de "
        "14 ans : j'ai lu cette page et j'accepte que sa photo soit affichée.",
        age_waiting_for_parent="J'ai moins de 14 ans et mon parent n'a pas encore lu cette page.",
    )
