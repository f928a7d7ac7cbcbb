"""The pages' words: the same keys in both languages, none hidden by Jinja."""

from __future__ import annotations

from wall.wording import PAGE


def test_both_languages_have_the_same_words() -> None:
    assert set(PAGE["fr"]) == set(PAGE["en"])


def test_no_key_is_the_name_of_a_dict_method() -> None:
    # Jinja's ``t.copy`` finds dict.copy before the key "copy": the page would
    # show "<built-in method copy…>".
    assert set(PAGE["fr"]) & set(dir(dict)) == set()


def test_french_puts_a_non_breaking_space_before_double_punctuation() -> None:
    for key in ("copy_failed", "confirm_title", "card_intro", "too_big", "need_age"):
        text = PAGE["fr"][key]
        for mark in ":;!?%":
            assert f" {mark}" not in text, (key, mark)
        assert "\u00a0" in text, key
