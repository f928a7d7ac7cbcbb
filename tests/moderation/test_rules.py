"""Automatic rules on realistic posts: accents, case, emoji; recorded as the rule's."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from tests.factories import sign_in, upload
from tests.moderation.factories import database, network_photo, photo_row
from wall.config import Settings
from wall.models import AuditEntry, Decision, Photo
from wall.moderation import rules
from wall.moderation.states import Action


def _photo(caption: str, **fields: object) -> Photo:
    values: dict[str, object] = {
        "source": "mastodon",
        "author_handle": "@eleve@mastodon.test",
        "caption": caption,
        "green_score": 0.4,
        "flags": [],
    }
    values.update(fields)
    return Photo(**values)


@pytest.mark.parametrize(
    ("caption", "words"),
    [
        ("Tout le monde en VERT 🌲💚 #perséVERT2024", []),
        ("CÂLISSE qu'il fait froid 🥶 mais on est en vert", ["calisse"]),
        ("calisse!!!🌿", ["calisse"]),
        ("Merde, j'ai oublié mon chandail vert", ["merde"]),
        ("What the F*ck", []),  # a disguised word is left to people
        ("Scunthorpe says hi", []),  # whole words only
        ("this is fucking great 💚", ["fucking"]),
        ("Enculé!", ["encule"]),
        ("kill yourself", ["kill yourself"]),
    ],
)
def test_blocked_words_fold_case_and_accents(caption: str, words: list[str]) -> None:
    found = rules.RuleConfig().blocked_words_in(caption)
    assert [
        w.removeprefix(r"(?<!\w)").removesuffix(r"(?!\w)").replace("\\", "") for w in found
    ] == words


def test_the_verdicts() -> None:
    config = rules.RuleConfig(
        allow_accounts=("@Ecole@mastodon.test", "bluesky:prof.bsky.social"),
        block_accounts=("troll@mastodon.test",),
        allowlist_only_sources=("instagram",),
    )
    school = "@ecole@MASTODON.test"
    approve = rules.evaluate(config, _photo("Bravo 🌲", author_handle=school), near_duplicate=False)
    assert (approve.action, approve.rule) == (Action.APPROVE, "allowlist")
    # Allowlisted, but flagged: left to a person.
    for photo, duplicate, flag in [
        (_photo("Bravo", author_handle=school, green_score=0.01), False, "low_green"),
        (_photo("Bravo", author_handle=school, flags=["sensitive"]), False, None),
        (_photo("Bravo", author_handle=school), True, "duplicate"),
        (_photo("Bravo merde", author_handle=school), False, "blocked_word"),
    ]:
        verdict = rules.evaluate(config, photo, near_duplicate=duplicate)
        assert verdict.action is None
        assert flag is None or flag in verdict.flags
    upload = rules.evaluate(
        config, _photo("Bravo", source="upload", author_handle=school), near_duplicate=False
    )
    assert upload.action is None  # uploads are always decided by a person
    other_network = rules.evaluate(
        config,
        _photo("x", source="bluesky", author_handle="@prof.bsky.social"),
        near_duplicate=False,
    )
    assert other_network.rule == "allowlist"
    blocked = rules.evaluate(
        config, _photo("Bravo", author_handle="@TROLL@mastodon.test"), near_duplicate=False
    )
    assert (blocked.action, blocked.rule) == (Action.REJECT, "blocklist")
    only = rules.evaluate(config, _photo("Bravo", source="instagram"), near_duplicate=False)
    assert (only.action, only.rule) == (Action.REJECT, "source_allowlist_only")
    strict = rules.RuleConfig(words_action="reject")
    words = rules.evaluate(strict, _photo("Ostie que c'est beau"), near_duplicate=False)
    assert (words.action, words.rule) == (Action.REJECT, "blocked_words")


async def _decision(settings: Settings, photo_id: str) -> tuple[str, str | None] | None:
    async with database(settings) as db, db.reading() as session:
        row = await session.scalar(select(Decision).where(Decision.photo_id == photo_id))
    return None if row is None else (row.action, row.rule)


async def test_rules_configured_by_an_admin_apply_at_intake(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    saved = await client.put(
        "/api/moderation/rules",
        json={
            "allow_accounts": ["@ecole@mastodon.test"],
            "block_accounts": ["troll@mastodon.test"],
            "blocked_words": ["tabarnak", "pas cool"],
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert saved.status_code == 200 and saved.json()["words_action"] == "flag"
    bad = await client.put(
        "/api/moderation/rules", json={"green_threshold": 3}, headers={"X-CSRF-Token": csrf}
    )
    assert bad.status_code == 422

    trusted = await network_photo(settings)
    assert await _decision(settings, trusted) == ("approve", "allowlist")
    troll = await network_photo(settings, author_handle="@Troll@mastodon.test")
    assert await _decision(settings, troll) == ("reject", "blocklist")
    grey = await network_photo(settings, green_score=0.0)
    assert await _decision(settings, grey) is None
    assert (await photo_row(settings, grey)).flags == ["low_green"]
    # Uploads: flagged, never decided by a rule.
    flagged = (await upload(client, caption="TABARNAK 🌲 c'est Pas Cool")).json()["id"]
    assert await _decision(settings, flagged) is None
    assert (await photo_row(settings, flagged)).flags == ["blocked_word"]

    await client.put(
        "/api/moderation/rules", json={"words_action": "reject"}, headers={"X-CSRF-Token": csrf}
    )
    rejected = (await upload(client, caption="Tabarnak!")).json()["id"]
    assert await _decision(settings, rejected) == ("reject", "blocked_words")
    async with database(settings) as db, db.reading() as session:
        audited = (await session.scalars(select(AuditEntry.action))).all()
    assert {"settings.rules", "rule.flag", "decision.approve", "decision.reject"} <= set(audited)
