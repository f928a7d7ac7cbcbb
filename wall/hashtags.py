"""Normalize and match campaign hashtags the way Mastodon (>= 4.0) does.

``normalize`` is the one spelling the wall compares: Unicode NFKC, lowercase,
ASCII folding of the Latin-1 Supplement and Latin Extended-A letters (except
``æ þ ß ĳ œ``), then only letters, digits, ``_``, ``·``, ``・`` and ZWNJ are
kept. Letters outside those two blocks (Vietnamese ``ệ``, Greek, Cyrillic…)
are never folded. Combining marks that survive NFKC (Devanagari vowel signs,
for instance) count as part of a letter, as in Mastodon's ``[[:alnum:]]``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from wall.config import Settings

# Mastodon's ASCIIFolding table (app/lib/ascii_folding.rb), character for
# character; æ þ ß ĳ œ are deliberately absent.
_FOLD_FROM = (
    "ÀÁÂÃÄÅàáâãäåĀāĂăĄąÇçĆćĈĉĊċČčÐðĎďĐđÈÉÊËèéêëĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħÌÍÎÏìíîïĨĩĪīĬĭĮįİıĴĵĶķĸ"
    "ĹĺĻļĽľĿŀŁłÑñŃńŅņŇňŉŊŋÒÓÔÕÖØòóôõöøŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšſŢţŤťŦŧÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲų"
    "ŴŵÝýÿŶŷŸŹźŻżŽž"
)
_FOLD_TO = (
    "AAAAAAaaaaaaAaAaAaCcCcCcCcCcDdDdDdEEEEeeeeEeEeEeEeEeGgGgGgGgHhHhIIIIiiiiIiIiIiIiIiJjKkk"
    "LlLlLlLlLlNnNnNnNnnNnOOOOOOooooooOoOoOoRrRrRrSsSsSsSssTtTtTtUUUUuuuuUuUuUuUuUuUu"
    "WwYyyYyYZzZzZz"
)
_ASCII_FOLDING = str.maketrans(_FOLD_FROM, _FOLD_TO)
_SEPARATORS = frozenset("_\u00b7\u30fb\u200c")


def _keep(char: str) -> bool:
    return char in _SEPARATORS or unicodedata.category(char)[0] in "LM" or char.isdecimal()


def _unfolded(tag: str) -> str:
    lowered = unicodedata.normalize("NFKC", tag).lower()
    return "".join(char for char in lowered if _keep(char))


# Folding can leave a letter and a combining mark that NFKC then composes into
# a new letter ("ĸ" + acute → "k" + acute → "ḱ"; "ė" + acute → "e" + acute →
# "é", which folds again): repeat until the spelling no longer changes, so
# that a normalized tag normalizes to itself. Two passes settle real tags.
_MAX_PASSES = 8


def _normalize_once(tag: str) -> str:
    lowered = unicodedata.normalize("NFKC", tag).lower()
    return "".join(char for char in lowered.translate(_ASCII_FOLDING) if _keep(char))


def normalize(tag: str) -> str:
    """Return the canonical spelling of a hashtag (``#perséVERT2024`` → ``persevert2024``)."""
    current = _normalize_once(tag)
    for _ in range(_MAX_PASSES):
        again = _normalize_once(current)
        if again == current:
            break
        current = again
    return current


def query_forms(tags: Iterable[str]) -> list[str]:
    """Spellings to query on networks that do not fold accents, without duplicates.

    Each tag gives its lowercased NFKC spelling with accents kept, then its
    folded spelling: ``["perséVERT2024"]`` → ``["persévert2024", "persevert2024"]``.
    """
    forms: list[str] = []
    for tag in tags:
        for form in (_unfolded(tag), normalize(tag)):
            if form and form not in forms:
                forms.append(form)
    return forms


class CampaignTags:
    """The campaign's hashtags, compared through ``normalize``."""

    def __init__(self, tags: Iterable[str]) -> None:
        self.tags = tuple(tags)
        self.normalized = frozenset(filter(None, (normalize(tag) for tag in self.tags)))
        if not self.normalized:
            raise ValueError("at least one campaign hashtag is needed")

    @classmethod
    def from_settings(cls, settings: Settings) -> CampaignTags:
        return cls(settings.hashtags)

    def matches(self, tags: Iterable[str]) -> bool:
        """True when any of ``tags`` (raw, as a post carries them) is a campaign tag."""
        return any(normalize(tag) in self.normalized for tag in tags)
