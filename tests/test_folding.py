"""One folding for the word rules and the moderators' search: case, accents, ligatures."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import sign_in
from tests.moderation.factories import network_photo, photo_row
from wall.config import Settings
from wall.folding import fold
from wall.moderation import rules


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("écœurant", "ecoeurant"),
        ("ÉCŒURANT", "ecoeurant"),
        ("Œuvre", "oeuvre"),
        ("Lætitia", "laetitia"),
        ("ÆSOPE", "aesope"),
        ("Straße", "strasse"),
        ("STRAẞE", "strasse"),
        ("ﬁerté", "fierte"),  # the ﬁ ligature (NFKC)
        ("ＶＥＲＴ", "vert"),  # full-width letters (NFKC)
        ("Câlisse", "calisse"),
        ("e\u0301cole", "ecole"),  # a combining accent
        ("Noël à Québec", "noel a quebec"),
    ],
)
def test_fold_french_vectors(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize("caption", ["ecoeurant", "ÉCŒURANT", "écoeurant", "C'est écœurant!"])
def test_a_rule_on_a_ligature_matches_every_spelling(caption: str) -> None:
    config = rules.RuleConfig(blocked_words=("écœurant",))
    assert config.blocked_words_in(caption) != []
    assert rules.RuleConfig(blocked_words=("ecoeurant",)).blocked_words_in(caption) != []


def test_a_rule_still_matches_whole_words_only() -> None:
    config = rules.RuleConfig(blocked_words=("écœurant",))
    assert config.blocked_words_in("écœurantissime") == []


async def test_search_and_rules_fold_alike(client: httpx.AsyncClient, settings: Settings) -> None:
    csrf = await sign_in(client, settings)
    put = await client.put(
        "/api/moderation/rules",
        json={"blocked_words": ["écœurant"], "words_action": "flag"},
        headers={"X-CSRF-Token": csrf},
    )
    assert put.status_code == 200, put.text
    typed = await network_photo(settings, caption="Le brocoli, c'est ecoeurant #perséVERT2024")
    shouted = await network_photo(settings, caption="ÉCŒURANT ce froid #perséVERT2024")
    other = await network_photo(settings, caption="Tout en vert #perséVERT2024")
    for photo_id in (typed, shouted):
        assert "blocked_word" in (await photo_row(settings, photo_id)).flags
    assert "blocked_word" not in (await photo_row(settings, other)).flags
    for query in ("écœurant", "ECOEURANT", "écoeurant", "ÉCŒURANT"):
        found = await client.get("/api/moderation/photos", params={"q": query})
        assert found.status_code == 200
        assert {p["id"] for p in found.json()["photos"]} == {typed, shouted}, query
