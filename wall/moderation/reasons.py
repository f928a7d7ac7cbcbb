"""Quick rejection reasons: stable codes, with the French words moderators and admins read.

French typography: a no-break space before ``:``.
Moderators pick one with the keys ``1`` to ``5``. The code is stored in the
decision row and the audit log and survives the purge; a free-text reason,
which may name a child, is kept only until the purge redacts it.
"""

from __future__ import annotations

from wall.errors import InvalidField

# In key order: the first is key 1. Codes never change meaning once shipped.
REJECTION_REASONS: dict[str, str] = {
    "off_topic": "Hors sujet\u00a0: rien à voir avec la vague verte",
    "face_without_consent": "Visage reconnaissable sans consentement",
    "personal_information": "Renseignements personnels visibles (nom, adresse, plaque)",
    "inappropriate": "Contenu inapproprié ou offensant",
    "poor_quality": "Photo floue, trop sombre ou en double",
}
# A word or two for the sticky hint line.
SHORT_LABELS: dict[str, str] = {
    "off_topic": "hors sujet",
    "face_without_consent": "visage",
    "personal_information": "renseignements",
    "inappropriate": "inapproprié",
    "poor_quality": "qualité",
}


def check(raw: object, *, rejecting: bool) -> str | None:
    """A known code, or None when absent; ``422 invalid_reason_code`` for another
    value, or for a code that goes with a decision other than a refusal."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or raw not in REJECTION_REASONS:
        raise InvalidField(
            "Raison inconnue\u00a0: " + ", ".join(REJECTION_REASONS) + ".",
            code="invalid_reason_code",
        )
    if not rejecting:
        raise InvalidField(
            "Une raison rapide accompagne un refus seulement.", code="invalid_reason_code"
        )
    return raw


def label(code: str | None) -> str | None:
    """The French words for a code (an unknown old code is shown as it is)."""
    if code is None:
        return None
    return REJECTION_REASONS.get(code, code)
