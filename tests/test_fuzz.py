"""Property-based fuzzing (hypothesis) of the hashtag normaliser and the upload fields."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData, UploadFile

from wall import uploads
from wall.config import Settings
from wall.errors import InvalidField
from wall.hashtags import CampaignTags, normalize, query_forms

SEPARATORS = "_\u00b7\u30fb\u200c"
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text())
@example("ĸ\u0301")  # folds to k + combining acute, which NFKC composes into ḱ
@example("ė\u0301")  # folds to e + acute, which composes into é, which folds again
@example("İSTANBUL")
def test_normalize_is_idempotent_and_keeps_only_tag_characters(tag: str) -> None:
    once = normalize(tag)
    assert normalize(once) == once
    assert all(
        ch in SEPARATORS or unicodedata.category(ch)[0] in "LM" or ch.isdecimal() for ch in once
    )


@FUZZ
@given(st.text(), st.sampled_from(["#", " ", "-", "!", ".", "\u00a0"]))
def test_punctuation_and_the_hash_sign_never_change_a_tag(tag: str, mark: str) -> None:
    assert normalize(mark + tag + mark) == normalize(tag)


@FUZZ
@given(st.text())
def test_unicode_forms_of_one_tag_normalize_alike(tag: str) -> None:
    forms = {normalize(unicodedata.normalize(form, tag)) for form in ("NFC", "NFD", "NFKD")}
    assert forms == {normalize(tag)}


@FUZZ
@given(st.text(alphabet=st.characters(codec="ascii", categories=["L", "Nd"]), min_size=1))
def test_ascii_tags_match_in_any_case_with_or_without_hash(tag: str) -> None:
    campaign = CampaignTags([tag])
    assert campaign.matches([tag.upper()])
    assert campaign.matches(["#" + tag.lower()])
    assert campaign.matches(["#" + tag.swapcase()])


@FUZZ
@given(st.lists(st.text(), min_size=1, max_size=4), st.text())
def test_a_tag_matches_exactly_when_its_normal_form_is_a_campaign_one(
    tags: list[str], candidate: str
) -> None:
    if not any(normalize(tag) for tag in tags):
        return
    campaign = CampaignTags(tags)
    assert campaign.matches([candidate]) == (normalize(candidate) in campaign.normalized)
    assert all(campaign.matches([tag]) for tag in tags if normalize(tag))
    forms = query_forms(tags)
    assert len(forms) == len(set(forms)) and "" not in forms


FIELDS = [
    "display_name",
    "caption",
    "school",
    "region",
    "consent",
    "age_confirmation",
    "show_name",
    "upload_key",
    "website",
]
REGIONS = Settings().regions


def form_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(),
        st.text(max_size=400),
        st.sampled_from(["yes", "14_or_older", "guardian_consent", "", *REGIONS]),
        st.from_regex(r"[A-Za-z0-9_-]{16,64}", fullmatch=True),
    )


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(FIELDS), form_values()), max_size=12))
def test_upload_fields_accept_or_refuse_with_the_domain_error_only(
    items: list[tuple[str, str]],
) -> None:
    pairs: list[tuple[str, str | UploadFile]] = list(items)
    form = FormData(pairs)
    try:
        fields = uploads.validate_fields(form, Settings())
    except InvalidField as exc:
        assert exc.status == 422 and exc.code and exc.message
        return
    assert len(fields.display_name or "") <= uploads.MAX_NAME
    assert len(fields.caption) <= uploads.MAX_CAPTION
    assert len(fields.school or "") <= uploads.MAX_SCHOOL
    assert fields.region is None or fields.region in REGIONS
    assert fields.age_confirmation in uploads.AGE_CHOICES
    assert fields.show_name is False or fields.display_name is not None
    for text in (fields.display_name or "", fields.caption, fields.school or ""):
        assert text == text.strip()
        assert unicodedata.is_normalized("NFC", text)
        assert "\x00" not in text
        assert not any(
            unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\r\t\u200d" for ch in text
        )
