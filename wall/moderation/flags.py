"""The flags a photo can carry, in French, each with one line saying why it is there.

Rules (``rules.py``) and sources (``sources/ingest.py``) set the codes; the
moderation page shows these words. A code missing here is shown as it is.
"""

from __future__ import annotations

from typing import Any

# code: (label, one-line explanation)
FLAG_LABELS: dict[str, tuple[str, str]] = {
    "blocked_word": (
        "Mot bloqué",
        "La légende, le texte alt ou le nom contient un mot de la liste des mots bloqués.",
    ),
    "sensitive": (
        "Contenu sensible",
        "Le réseau social ou l'auteur a marqué la publication comme sensible.",
    ),
    "content_warning": (
        "Avertissement de contenu",
        "L'auteur a ajouté un avertissement de contenu à sa publication.",
    ),
    "nsfw": ("Contenu adulte", "Le réseau social a marqué la publication comme contenu adulte."),
    "duplicate": (
        "Doublon probable",
        "Une photo identique ou presque a déjà été reçue.",
    ),
    "low_green": (
        "Peu de vert",
        "La photo contient moins de vert que le seuil réglé par les administrateurs.",
    ),
}


def flag_json(code: str) -> dict[str, Any]:
    label, explanation = FLAG_LABELS.get(code, (code, ""))
    return {"code": code, "label": label, "explanation": explanation}
