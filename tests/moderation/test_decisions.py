"""Decisions under load: concurrency, undo, claims, restore, pins, bulk."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from sqlalchemy import func, select

from tests.factories import decide, sign_in, upload
from tests.moderation.factories import age, database
from wall.config import Settings
from wall.models import AuditEntry, Claim, Decision
from wall.moderation.states import BULK_ACTIONS, MODERATOR_ACTIONS, TRANSITIONS, Action


async def _count_decisions(settings: Settings, photo_id: str, action: str) -> int:
    async with database(settings) as db, db.reading() as session:
        n = await session.scalar(
            select(func.count())
            .select_from(Decision)
            .where(Decision.photo_id == photo_id, Decision.action == action)
        )
    return int(n or 0)


async def test_two_moderators_approving_at_once_record_one_decision(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], settings: Settings
) -> None:
    first, second = clients
    photo_id = (await upload(first)).json()["id"]
    csrf_a = await sign_in(first, settings, email="alice@ecole.test", role="moderator")
    csrf_b = await sign_in(second, settings, email="bob@ecole.test", role="moderator")
    answers = await asyncio.gather(
        decide(first, csrf_a, photo_id, "approve"), decide(second, csrf_b, photo_id, "approve")
    )
    assert sorted(r.status_code for r in answers) == [200, 409]
    late = next(r for r in answers if r.status_code == 409)
    winner = "alice" if answers[0].status_code == 200 else "bob"
    assert late.json()["error"] == "forbidden_transition"
    assert f"Déjà décidée par {winner}@ecole.test" in late.json()["message"]
    assert await _count_decisions(settings, photo_id, "approve") == 1


async def test_undo_takes_back_my_last_decision_within_the_window(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], settings: Settings
) -> None:
    me, other = clients
    first_id = (await upload(me)).json()["id"]
    second_id = (await upload(me)).json()["id"]
    csrf = await sign_in(me, settings, email="alice@ecole.test", role="moderator")
    other_csrf = await sign_in(other, settings, email="bob@ecole.test", role="moderator")
    nothing = await me.post("/api/moderation/undo", headers={"X-CSRF-Token": csrf})
    assert nothing.status_code == 409 and nothing.json()["error"] == "nothing_to_undo"

    assert (await decide(me, csrf, first_id, "approve")).status_code == 200
    undone = await me.post("/api/moderation/undo", headers={"X-CSRF-Token": csrf})
    assert undone.status_code == 200 and undone.json()["status"] == "pending"
    assert undone.json()["approved_at"] is None
    public = (await me.get("/api/wall/photos")).json()
    assert public["photos"] == []
    # An undo is not itself undone.
    again = await me.post("/api/moderation/undo", headers={"X-CSRF-Token": csrf})
    assert again.json()["error"] == "nothing_to_undo"

    # Too late.
    assert (await decide(me, csrf, first_id, "reject")).status_code == 200
    await age(settings, Decision, ("created_at",), dt.timedelta(seconds=31), action="reject")
    late = await me.post("/api/moderation/undo", headers={"X-CSRF-Token": csrf})
    assert late.status_code == 409 and late.json()["error"] == "undo_expired"

    # Something happened since: another moderator approved what I had rejected.
    assert (await decide(me, csrf, second_id, "reject")).status_code == 200
    assert (await decide(other, other_csrf, second_id, "approve")).status_code == 200
    superseded = await me.post("/api/moderation/undo", headers={"X-CSRF-Token": csrf})
    assert superseded.status_code == 409 and superseded.json()["error"] == "undo_superseded"

    async with database(settings) as db, db.reading() as session:
        actions = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.photo_id == first_id))
        ).all()
    assert "decision.undo" in actions


async def test_claims_keep_two_moderators_off_the_same_photo(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], settings: Settings
) -> None:
    alice, bob = clients
    photo_id = (await upload(alice)).json()["id"]
    other_id = (await upload(alice)).json()["id"]
    csrf_a = await sign_in(alice, settings, email="alice@ecole.test", role="moderator")
    csrf_b = await sign_in(bob, settings, email="bob@ecole.test", role="moderator")
    claimed = await alice.post(
        f"/api/moderation/photos/{photo_id}/claim", headers={"X-CSRF-Token": csrf_a}
    )
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "alice@ecole.test"
    listing = (await bob.get("/api/moderation/photos")).json()["photos"]
    assert {p["id"]: p["claimed_by"] for p in listing}[photo_id] == "alice@ecole.test"

    taken = await bob.post(
        f"/api/moderation/photos/{photo_id}/claim", headers={"X-CSRF-Token": csrf_b}
    )
    assert (
        taken.status_code == 409 and taken.json()["message"] == "Déjà prise par alice@ecole.test."
    )
    refused = await decide(bob, csrf_b, photo_id, "reject")
    assert refused.status_code == 409 and refused.json()["error"] == "claimed_by_other"

    # Moving on releases the previous claim: one claim per moderator.
    await alice.post(f"/api/moderation/photos/{other_id}/claim", headers={"X-CSRF-Token": csrf_a})
    assert (await decide(bob, csrf_b, photo_id, "reject")).status_code == 200

    # A forgotten claim expires.
    await age(settings, Claim, ("expires_at",), dt.timedelta(minutes=3), photo_id=other_id)
    assert (await decide(bob, csrf_b, other_id, "approve")).status_code == 200


async def test_only_an_admin_restores_a_removed_photo(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], settings: Settings
) -> None:
    admin, volunteer = clients
    photo_id = (await upload(admin)).json()["id"]
    admin_csrf = await sign_in(admin, settings)
    csrf = await sign_in(volunteer, settings, email="benevole@ecole.test", role="moderator")
    assert (await decide(volunteer, csrf, photo_id, "approve")).status_code == 200
    removed = await decide(volunteer, csrf, photo_id, "remove", reason="Demande d'un parent")
    assert removed.json()["status"] == "removed"
    refused = await decide(volunteer, csrf, photo_id, "restore")
    assert refused.status_code == 403 and refused.json()["error"] == "admin_only"
    restored = await decide(admin, admin_csrf, photo_id, "restore")
    assert restored.status_code == 200 and restored.json()["status"] == "pending"
    assert (await decide(admin, admin_csrf, photo_id, "restore")).status_code == 409


async def test_pins_are_capped(client: httpx.AsyncClient, settings: Settings) -> None:
    ids = [(await upload(client)).json()["id"] for _ in range(settings.max_pinned + 1)]
    csrf = await sign_in(client, settings)
    for photo_id in ids:
        assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
    for photo_id in ids[:-1]:
        assert (await decide(client, csrf, photo_id, "pin")).status_code == 200
    over = await decide(client, csrf, ids[-1], "pin")
    assert over.status_code == 409 and over.json()["error"] == "pin_limit_reached"
    assert (await decide(client, csrf, ids[0], "unpin")).status_code == 200
    assert (await decide(client, csrf, ids[-1], "pin")).status_code == 200


async def test_bulk_decisions_answer_per_photo(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ids = [(await upload(client)).json()["id"] for _ in range(3)]
    csrf = await sign_in(client, settings)
    assert (await decide(client, csrf, ids[2], "reject")).status_code == 200
    response = await client.post(
        "/api/moderation/photos/bulk",
        json={"action": "approve", "ids": [ids[0], ids[1], ids[2], "nope"]},
        headers={"X-CSRF-Token": csrf},
    )
    results = {r["id"]: r for r in response.json()["results"]}
    assert response.json()["decided"] == 3
    assert results[ids[0]]["status"] == results[ids[1]]["status"] == "approved"
    assert results[ids[2]]["ok"] is True  # rejected → approved is allowed
    assert results["nope"]["http_status"] == 404
    again = await client.post(
        "/api/moderation/photos/bulk",
        json={"action": "reject", "ids": [ids[0]]},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.json()["results"][0]["error"] == "forbidden_transition"
    pin = await client.post(
        "/api/moderation/photos/bulk",
        json={"action": "pin", "ids": [ids[0]]},
        headers={"X-CSRF-Token": csrf},
    )
    assert pin.status_code == 422 and pin.json()["error"] == "invalid_bulk_action"


# Every moderator action of the state table, from each status it leaves (and
# pinned as pin/unpin need), plus the bulk entries and undo: how to get there.
SETUP: dict[tuple[str, str], tuple[str, ...]] = {
    (status, action): {
        "pending": (),
        "approved": ("approve", "pin") if action == "unpin" else ("approve",),
        "rejected": ("reject",),
        "removed": ("remove",),
    }[status]
    for (status, action) in ((s.value, a.value) for (s, a) in TRANSITIONS)
    if Action(action) in MODERATOR_ACTIONS
}
CLAIMED_CASES = [
    *(("decision", status, action) for (status, action) in SETUP),
    *(("bulk", status, action) for (status, action) in SETUP if Action(action) in BULK_ACTIONS),
    ("undo", "approved", "approve"),
    ("undo", "rejected", "reject"),
]


@pytest.mark.parametrize(("via", "status", "action"), CLAIMED_CASES)
async def test_every_action_on_a_photo_another_moderator_claimed_answers_409(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    settings: Settings,
    via: str,
    status: str,
    action: str,
) -> None:
    alice, bob = clients
    photo_id = (await upload(alice)).json()["id"]
    csrf_a = await sign_in(alice, settings, email="alice@ecole.test", role="moderator")
    csrf_b = await sign_in(bob, settings, email="bob@ecole.test", role="admin")
    steps = (action,) if via == "undo" else SETUP[(status, action)]
    for step in steps:
        assert (await decide(bob, csrf_b, photo_id, step)).status_code == 200
    claim = f"/api/moderation/photos/{photo_id}/claim"
    assert (await alice.post(claim, headers={"X-CSRF-Token": csrf_a})).status_code == 200

    async def act() -> tuple[int, str]:
        if via == "decision":
            answer = await decide(bob, csrf_b, photo_id, action)
            return answer.status_code, answer.json().get("error", "")
        if via == "undo":
            answer = await bob.post("/api/moderation/undo", headers={"X-CSRF-Token": csrf_b})
            return answer.status_code, answer.json().get("error", "")
        answer = await bob.post(
            "/api/moderation/photos/bulk",
            json={"action": action, "ids": [photo_id]},
            headers={"X-CSRF-Token": csrf_b},
        )
        [entry] = answer.json()["results"]
        return entry.get("http_status", answer.status_code), entry.get("error", "")

    async def decisions() -> int:
        async with database(settings) as db, db.reading() as session:
            n = await session.scalar(
                select(func.count()).select_from(Decision).where(Decision.photo_id == photo_id)
            )
        return int(n or 0)

    before = await decisions()
    assert await act() == (409, "claimed_by_other")
    assert await decisions() == before  # nothing applied
    # Once Alice lets go, the same request goes through: the claim was the only obstacle.
    release = "/api/moderation/claims/release"
    assert (await alice.post(release, headers={"X-CSRF-Token": csrf_a})).status_code == 200
    assert (await act())[0] == 200
    assert await decisions() == before + 1
