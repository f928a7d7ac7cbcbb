"""Handing out the queue: each moderator gets the next photo nobody else holds.

Parallel requests on SQLite and PostgreSQL: two moderators never hold the
same photo; claims come back by beacon, by expiry and by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from tests.factories import decide, sign_in
from tests.live import running
from tests.moderation.factories import age, database, many_pending
from wall.config import Settings
from wall.models import Claim

Moderators = list[tuple[httpx.AsyncClient, str]]


@pytest.fixture
def team_size() -> int:
    return 3


@pytest.fixture
async def moderators(
    app: Starlette, settings: Settings, team_size: int
) -> AsyncIterator[Moderators]:
    """Moderators m0, m1… signed in with their own cookie jars, on one running app."""
    async with running(app) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        signed: Moderators = []
        clients = [
            httpx.AsyncClient(transport=transport, base_url="http://wall.test")
            for _ in range(team_size)
        ]
        try:
            for n, http in enumerate(clients):
                signed.append((http, await sign_in(http, settings, email=f"m{n}@ecole.test")))
            yield signed
        finally:
            for http in clients:
                await http.aclose()


async def take_next(
    http: httpx.AsyncClient, csrf: str, *, exclude: list[str] | None = None, query: str = ""
) -> str | None:
    response = await http.post(
        f"/api/moderation/next{query}",
        json={"exclude": exclude} if exclude is not None else {},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    photo = response.json()["photo"]
    return None if photo is None else str(photo["id"])


async def claims_held(settings: Settings) -> dict[str, int]:
    async with database(settings) as db, db.reading() as session:
        return {c.photo_id: c.moderator_id for c in (await session.scalars(select(Claim))).all()}


@pytest.mark.parametrize("team_size", [6])
async def test_parallel_moderators_never_get_the_same_photo(
    moderators: Moderators, settings: Settings
) -> None:
    ids = await many_pending(settings, 15)
    decided: list[str] = []
    for _ in range(4):
        held = await asyncio.gather(*(take_next(http, csrf) for http, csrf in moderators))
        taken = [photo_id for photo_id in held if photo_id is not None]
        assert len(taken) == len(set(taken)), held  # never one photo for two moderators
        # The oldest photos go first: what is handed out is the head of what is left.
        left = [i for i in ids if i not in decided]
        assert sorted(taken, key=ids.index) == left[: len(taken)]
        answers = await asyncio.gather(
            *(
                decide(http, csrf, photo_id, "approve")
                for (http, csrf), photo_id in zip(moderators, held, strict=True)
                if photo_id is not None
            )
        )
        assert [a.status_code for a in answers] == [200] * len(taken)
        decided += taken
    assert sorted(decided) == sorted(ids)
    assert [await take_next(http, csrf) for http, csrf in moderators] == [None] * 6


async def test_a_decision_brings_the_next_free_photo_to_each_moderator(
    moderators: Moderators, settings: Settings
) -> None:
    ids = await many_pending(settings, 7)
    held = await asyncio.gather(*(take_next(http, csrf) for http, csrf in moderators))
    assert sorted(held, key=lambda photo: ids.index(str(photo))) == ids[:3]
    answers = await asyncio.gather(
        *(
            http.post(
                f"/api/moderation/photos/{photo_id}/decision",
                json={"action": "approve", "take_next": True},
                headers={"X-CSRF-Token": csrf},
            )
            for (http, csrf), photo_id in zip(moderators, held, strict=True)
        )
    )
    assert [a.status_code for a in answers] == [200] * 3
    following = [a.json()["next_photo"]["id"] for a in answers]
    assert sorted(following, key=ids.index) == ids[3:6]  # three different photos, the oldest
    owners = await claims_held(settings)
    assert sorted(owners) == sorted(following) and len(set(owners.values())) == 3
    plain = await moderators[0][0].post(
        f"/api/moderation/photos/{following[0]}/decision",
        json={"action": "approve"},
        headers={"X-CSRF-Token": moderators[0][1]},
    )
    assert plain.status_code == 200 and "next_photo" not in plain.json()
    bad = await moderators[1][0].post(
        f"/api/moderation/photos/{following[1]}/decision",
        json={"action": "approve", "take_next": "yes"},
        headers={"X-CSRF-Token": moderators[1][1]},
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_take_next"


async def test_a_held_photo_is_skipped_and_a_reload_keeps_ones_own(
    moderators: Moderators, settings: Settings
) -> None:
    first, second, third = await many_pending(settings, 3)
    (alice, alice_csrf), (bob, bob_csrf) = moderators[:2]
    assert await take_next(alice, alice_csrf) == first
    assert await take_next(bob, bob_csrf) == second
    assert await take_next(alice, alice_csrf) == first  # a reloaded page finds its photo again
    # Passing over one's photo gives it back and takes the next free one.
    assert await take_next(alice, alice_csrf, exclude=[first]) == third
    assert (await claims_held(settings)).keys() == {second, third}
    assert await take_next(moderators[2][0], moderators[2][1]) == first
    # A listing says who holds what.
    listing = (await alice.get("/api/moderation/photos")).json()["photos"]
    assert {p["id"]: p["claimed_by"] for p in listing} == {
        first: "m2@ecole.test",
        second: "m1@ecole.test",
        third: "m0@ecole.test",
    }
    # Filters apply to what is handed out.
    assert await take_next(bob, bob_csrf, query="?q=inexistant") is None
    bad = await bob.post(
        "/api/moderation/next", json={"exclude": "x"}, headers={"X-CSRF-Token": bob_csrf}
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_exclude"


async def test_an_expired_claim_goes_to_the_next_moderator(
    moderators: Moderators, settings: Settings
) -> None:
    (photo,) = await many_pending(settings, 1)
    (alice, alice_csrf), (bob, bob_csrf) = moderators[:2]
    assert await take_next(alice, alice_csrf) == photo
    assert await take_next(bob, bob_csrf) is None
    claim = (
        await alice.post(
            f"/api/moderation/photos/{photo}/claim", headers={"X-CSRF-Token": alice_csrf}
        )
    ).json()
    expires = dt.datetime.fromisoformat(claim["expires_at"].replace("Z", "+00:00"))
    remaining = (expires - dt.datetime.now(dt.UTC)).total_seconds()
    assert settings.claim_idle_seconds - 5 < remaining <= settings.claim_idle_seconds
    await age(settings, Claim, ("expires_at",), dt.timedelta(seconds=remaining + 1))
    assert await take_next(bob, bob_csrf) == photo


async def test_the_closing_tab_beacon_releases_the_claim(
    moderators: Moderators, settings: Settings
) -> None:
    first, second = await many_pending(settings, 2)
    (alice, alice_csrf), (bob, bob_csrf) = moderators[:2]
    assert await take_next(alice, alice_csrf) == first
    form = {"Content-Type": "text/plain;charset=UTF-8"}
    release = "/api/moderation/claims/release"
    # What navigator.sendBeacon sends: no header token, the token in the body.
    no_token = await alice.post(release, content=f"photo_id={first}", headers=form)
    assert no_token.status_code == 403 and no_token.json()["error"] == "csrf_failed"
    wrong = await alice.post(
        release, content=f"csrf_token={bob_csrf}&photo_id={first}", headers=form
    )
    assert wrong.status_code == 403
    # Bob's beacon naming Alice's photo releases nothing of Alice's.
    other = await bob.post(release, data={"csrf_token": bob_csrf, "photo_id": first})
    assert other.status_code == 200 and other.json()["claims_released"] == 0
    assert (await claims_held(settings)).keys() == {first}
    beacon = await alice.post(release, data={"csrf_token": alice_csrf, "photo_id": first})
    assert beacon.status_code == 200 and beacon.json()["claims_released"] == 1
    assert await claims_held(settings) == {}
    assert await take_next(bob, bob_csrf) == first
    # The page's own release (header token) still works.
    assert await take_next(alice, alice_csrf) == second
    by_header = await alice.post(release, headers={"X-CSRF-Token": alice_csrf})
    assert by_header.status_code == 200 and by_header.json()["claims_released"] == 1


async def test_who_is_online_and_what_waits_behind_the_pause(
    moderators: Moderators, settings: Settings
) -> None:
    first, _second = await many_pending(settings, 2)
    (alice, alice_csrf), (bob, _bob_csrf) = moderators[:2]
    assert await take_next(alice, alice_csrf) == first
    stats = (await bob.get("/api/moderation/stats")).json()
    online = {m["moderator"]: m["holding"] for m in stats["online"]}
    assert online == {f"m{n}@ecole.test": None for n in range(3)} | {"m0@ecole.test": first}
    assert stats["waiting_behind_pause"] == 0
    admin, admin_csrf = alice, alice_csrf
    paused = await admin.post(
        "/api/moderation/intake", json={"paused": True}, headers={"X-CSRF-Token": admin_csrf}
    )
    assert paused.status_code == 200
    await many_pending(settings, 3, start=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    stats = (await bob.get("/api/moderation/stats")).json()
    assert (stats["pending"], stats["waiting_behind_pause"]) == (2, 3)
