import unicodedata
from typing import Literal

import pytest

from wall.config import Settings
from wall.hashtags import CampaignTags, normalize, query_forms


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
