"""One way to fold text for matching: the word rules and the moderators' search.

``fold`` makes spellings that people treat as the same compare equal:
Unicode compatibility forms (NFKC: ``ﬁ`` → ``fi``, full-width letters),
case (``casefold``: ``ß`` → ``ss``), accents (``é`` → ``e``) and the
ligatures a keyboard does not type (``œ`` → ``oe``, ``æ`` → ``ae``), so a
rule on "écœurant" matches "ecoeurant" and "ÉCŒURANT". Campaign hashtags
are compared by ``wall.hashtags.normalize`` instead, which follows
Mastodon's own folding so that the wall sees the tags the networks see.
"""

from __future__ import annotations

import unicodedata

# Letters NFKD does not decompose, spelled out the way people type them.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ẞ": "ss"})


def fold(text: str) -> str:
    """Case-, accent- and ligature-insensitive form: ``ÉCŒURANT`` → ``ecoeurant``."""
    compatible = unicodedata.normalize("NFKC", text).casefold().translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", compatible)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )
