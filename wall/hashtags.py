"""Normalize and match campaign hashtags the way Mastodon (>= 4.0) does.

``normalize`` is the one spelling the wall compares: Unicode NFKC, lowercase,
ASCII folding of the Latin-1 Supplement and Latin Extended-A letters (except
``æ þ ß ĳ œ``), then only letters, digits, ``_``, ``·``, ``・`` and ZWNJ are
kept. Letters outside those two blocks (Vietnamese ``ệ``, Greek, Cyrillic…)
are never folded. Combining marks that survive NFKC (Devanagari vowel signs,
Thai tone marks) count as part of the letter they follow, as in Mastodon's
``[[:alnum:]]``; a mark that follows no kept letter or digit is dropped, and so
are variation selectors and enclosing marks. Mastodon never meets those: its
tag extraction stops at the first emoji. Bluesky's does not, and hands over
``perséVERT2024♻️`` whole; the U+FE0F left behind the dropped ``♻`` must not
make it a different tag.

``find_tags`` reads the ``#tags`` of a plain text, for networks that give no
tag list (Instagram captions), with the boundaries Mastodon and Bluesky share:
a ``#`` or full-width ``＃`` at the start or after white space, so the
``#fragment`` of a URL is never a tag.
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


def _is_variation_selector(char: str) -> bool:
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def _tag_characters(text: str) -> str:
    """Letters, digits and separators of ``text``, with the marks that belong to a kept letter."""
    kept: list[str] = []
    after_letter = False  # the previous character was a kept letter, digit or mark
    for char in text:
        category = unicodedata.category(char)
        if category[0] == "L" or char.isdecimal():
            kept.append(char)
            after_letter = True
        elif category in ("Mn", "Mc") and after_letter and not _is_variation_selector(char):
            kept.append(char)
        elif char in _SEPARATORS:
            kept.append(char)
            after_letter = False
        else:
            after_letter = False
    return "".join(kept)


def _unfolded(tag: str) -> str:
    return _tag_characters(unicodedata.normalize("NFKC", tag).lower())


# Folding can leave a letter and a combining mark that NFKC then composes into
# a new letter ("ĸ" + acute → "k" + acute → "ḱ"; "ė" + acute → "e" + acute →
# "é", which folds again): repeat until the spelling no longer changes, so
# that a normalized tag normalizes to itself. Two passes settle real tags.
_MAX_PASSES = 8


def _normalize_once(tag: str) -> str:
    lowered = unicodedata.normalize("NFKC", tag).lower()
    return _tag_characters(lowered.translate(_ASCII_FOLDING))


def normalize(tag: str) -> str:
    """Return the canonical spelling of a hashtag (``#perséVERT2024`` → ``persevert2024``)."""
    current = _normalize_once(tag)
    for _ in range(_MAX_PASSES):
        again = _normalize_once(current)
        if again == current:
            break
        current = again
    return current


# What ends a tag in a text: white space and the invisible characters Bluesky's
# detection also stops at (soft hyphen, word joiner, zero-width space and
# joiners, enclosing keycap-like U+20E2).
_TAG_ENDS = frozenset("\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2")
_HASH_SIGNS = frozenset("#\uff03")


def _ends_tag(char: str) -> bool:
    return char.isspace() or char in _TAG_ENDS


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] == "P"


def find_tags(text: str) -> tuple[str, ...]:
    """The ``#tags`` of a plain text, as typed, without the hash sign, in order.

    A tag starts with ``#`` or ``＃`` at the start of the text or after white
    space (never inside a URL or a word), runs to the next white space,
    loses its trailing punctuation, and needs one character that is neither an
    ASCII digit nor punctuation (``#2024`` is not a tag). A variation selector
    right after the hash sign makes a keycap emoji (``#️⃣``), not a tag.
    """
    tags: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char not in _HASH_SIGNS or (index and not text[index - 1].isspace()):
            index += 1
            continue
        end = index + 1
        while end < len(text) and not _ends_tag(text[end]):
            end += 1
        run = text[index + 1 : end]
        index = max(end, index + 1)
        if run.startswith("\ufe0f"):
            continue
        if not any(not _is_punctuation(ch) and ch not in "0123456789" for ch in run):
            continue
        tag = run.rstrip()
        while tag and _is_punctuation(tag[-1]):
            tag = tag[:-1]
        if tag:
            tags.append(tag)
    return tuple(tags)


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
