import json
import unicodedata
from pathlib import Path
from typing import Any, Literal

import pytest

from wall.config import Settings
from wall.hashtags import CampaignTags, find_tags, normalize, query_forms


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # The vectors of SOURCES.md.
        ("perséVERT2024", "persevert2024"),
        ("#PerseVert2024", "persevert2024"),
        ("ｐｅｒｓéＶＥＲＴ２０２４", "persevert2024"),
        ("perse\u0301vert2024", "persevert2024"),
        ("Straße", "straße"),
        ("Œuvre", "œuvre"),
        ("Łódź", "lodz"),
        # Case, leading '#', letters without a decomposition.
        ("PERSÉVERT2024", "persevert2024"),
        ("##persévert2024", "persevert2024"),
        ("Øresund", "oresund"),
        ("Đà", "da"),
        ("Ħamrun", "hamrun"),
        ("ıstanbul", "istanbul"),
        # Kept as they are: æ þ ß ĳ œ.
        ("Æther", "æther"),
        ("Þorn", "þorn"),
        # ĳ is excluded from folding, but NFKC (step 1) already splits it.
        ("ĳsselmeer", "ijsselmeer"),
        # Outside Latin-1 Supplement / Extended-A: not folded.
        ("Việt", "việt"),
        ("Tiếng", "tiếng"),
        ("Ελληνικά", "ελληνικά"),
        ("Москва", "москва"),
        ("हिंदी", "हिंदी"),
        # Separators kept, punctuation and spaces dropped.
        ("vague_verte", "vague_verte"),
        ("l·l", "l·l"),
        ("ハッシュ・タグ", "ハッシュ・タグ"),
        ("vague-verte 2024!", "vagueverte2024"),
        ("🌿persévert2024🌿", "persevert2024"),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("form", ["NFC", "NFD", "NFKC", "NFKD"])
def test_normalize_ignores_the_unicode_form(form: Literal["NFC", "NFD", "NFKC", "NFKD"]) -> None:
    assert normalize(unicodedata.normalize(form, "#PerséVERT2024")) == "persevert2024"


def test_full_width_hash_and_digits_fold() -> None:
    assert normalize("＃ＰＥＲＳÉＶＥＲＴ２０２４") == "persevert2024"


def test_zero_width_joiner_dropped_but_zwnj_kept() -> None:
    assert normalize("persé\u200dvert2024") == "persevert2024"
    assert normalize("می\u200cخواهم") == "می\u200cخواهم"
    assert normalize("persé\u200bvert2024") == "persevert2024"  # zero-width space


def test_vietnamese_is_not_over_folded() -> None:
    # Stripping every combining mark would give "viet"; Mastodon keeps "việt".
    assert normalize("Vi\u0065\u0323\u0302t") == "việt"
    assert normalize("Việt") != normalize("Viet")


def test_query_forms_gives_accented_then_folded() -> None:
    assert query_forms(["perséVERT2024"]) == ["persévert2024", "persevert2024"]


def test_query_forms_deduplicates_and_keeps_order() -> None:
    tags = ["#PerseVert2024", "perséVERT2024", "ｐｅｒｓéＶＥＲＴ２０２４", "Vague_Verte"]
    assert query_forms(tags) == ["persevert2024", "persévert2024", "vague_verte"]


def test_query_forms_skips_tags_that_normalize_to_nothing() -> None:
    assert query_forms(["#", "🌿"]) == []


def test_campaign_tags_match_any_spelling() -> None:
    campaign = CampaignTags.from_settings(Settings())
    assert campaign.matches(["nature", "PerseVert2024"])
    assert campaign.matches(["perse\u0301vert2024"])
    assert campaign.matches(("ｐｅｒｓéＶＥＲＴ２０２４",))
    assert not campaign.matches(["persevert2023", "vert"])
    assert not campaign.matches([])


def test_campaign_tags_from_several_settings_tags() -> None:
    campaign = CampaignTags.from_settings(Settings(hashtags=("perséVERT2024", "VagueVerte")))
    assert campaign.normalized == frozenset({"persevert2024", "vagueverte"})
    assert campaign.matches(["vagueverte"])


def test_campaign_tags_refuse_empty_set() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CampaignTags(["#", ""])


FIXTURES = Path(__file__).parent / "fixtures" / "hashtags"


def _vectors(name: str) -> list[Any]:
    return list(json.loads((FIXTURES / name).read_text(encoding="utf-8"))["vectors"])


@pytest.mark.parametrize(("raw", "expected"), _vectors("mastodon_normalizer.json"))
def test_mastodon_hashtag_normalizer_spec(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(("text", "expected"), _vectors("bluesky_tag_detection.json"))
def test_bluesky_tag_detection_spec(text: str, expected: list[str]) -> None:
    assert list(find_tags(text)) == expected


# The campaign's own cases: every spelling a person or a network may produce of
# the campaign tag, in a caption, normalizes to the campaign's one spelling.
@pytest.mark.parametrize(
    "caption",
    [
        pytest.param("Mon dessin #perséVERT2024", id="typed"),
        pytest.param(unicodedata.normalize("NFD", "Mon dessin #perséVERT2024"), id="nfd"),
        pytest.param("Mon dessin #ｐｅｒｓéＶＥＲＴ２０２４", id="fullwidth-letters"),
        pytest.param("Mon dessin ＃perséVERT2024", id="fullwidth-hash"),
        pytest.param("Mon dessin #perséVERT2024\u267b\ufe0f", id="variation-selector"),
        pytest.param("#perséVERT2024\U0001f469\u200d\U0001f52c en classe", id="zwj-sequence"),
        pytest.param("#perséVERT2024\U0001f44d\U0001f3fd bravo", id="skin-tone"),
        pytest.param("#perséVERT2024\U0001f3f3\ufe0f\u200d\U0001f308", id="zwj-flag"),
        pytest.param("Bravo! #perséVERT2024.", id="trailing-punctuation"),
    ],
)
def test_campaign_spellings_in_a_caption_match(caption: str) -> None:
    campaign = CampaignTags(["perséVERT2024"])
    assert campaign.matches(find_tags(caption)), find_tags(caption)


def test_bluesky_tag_with_emoji_after_it_matches() -> None:
    # Bluesky's facet keeps the emoji and its variation selector in the tag.
    assert normalize("perséVERT2024\u267b\ufe0f") == "persevert2024"
    assert CampaignTags(["perséVERT2024"]).matches(["perséVERT2024♻️"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("perséVERT2024\ufe0f", "persevert2024"),  # a variation selector after a letter
        ("\u0301persévert2024", "persevert2024"),  # a mark that belongs to no letter
        ("persévert2024\U0001f44d\U0001f3fd\u0301", "persevert2024"),  # mark after an emoji
        ("1\ufe0f\u20e3", "1"),  # keycap emoji: the digit only
        ("a\u20dd", "a"),  # enclosing circle
        (
            "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22\u0e48",
            "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22\u0e48",
        ),
    ],
)
def test_marks_kept_only_on_letters(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://example.org/#perséVERT2024",
        "https://example.org/page#perseVERT2024",
        "voir example.org/#persevert2024",
        "mot#perséVERT2024",
        "(#perséVERT2024)",
    ],
)
def test_tag_inside_a_url_or_a_word_does_not_match(text: str) -> None:
    assert not CampaignTags(["perséVERT2024"]).matches(find_tags(text))
