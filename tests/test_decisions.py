"""Decisions through the API: transitions, 404, 409, pins, listing by status."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import decide, sign_in, upload
from wall.config import Settings


async def test_forbidden_transitions_answer_409(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = (await upload(client)).json()["id"]
    csrf = await sign_in(client, settings)
    assert (await decide(client, csrf, photo_id, "pin")).status_code == 409
    assert (await decide(client, csrf, photo_id, "reject")).status_code == 200
    conflict = await decide(client, csrf, photo_id, "reject")
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "forbidden_transition"
    assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
    assert (await decide(client, csrf, photo_id, "pin")).json()["pinned"] is True
    assert (await decide(client, csrf, photo_id, "pin")).status_code == 409
    assert (await decide(client, csrf, photo_id, "unpin")).json()["pinned"] is False


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": "explode"}, 422, "invalid_action"),
        ({"action": "withdraw"}, 422, "invalid_action"),
        ({"action": "approve", "reason": 12}, 422, "invalid_reason"),
        ({"action": "approve", "reason": "x" * 501}, 422, "reason_too_long"),
    ],
)
async def test_bad_decision_bodies(
    client: httpx.AsyncClient, settings: Settings, body: dict[str, object], status: int, code: str
) -> None:
    photo_id = (await upload(client)).json()["id"]
    csrf = await sign_in(client, settings)
    response = await client.post(
        f"/api/moderation/photos/{photo_id}/decision", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert (response.status_code, response.json()["error"]) == (status, code)
    listing = (await client.get("/api/moderation/photos?status=pending")).json()
    assert [p["id"] for p in listing["photos"]] == [photo_id]


async def test_unknown_photo_is_404(client: httpx.AsyncClient, settings: Settings) -> None:
    csrf = await sign_in(client, settings)
    response = await decide(client, csrf, "no-such-photo", "approve")
    assert response.status_code == 404
    assert response.json()["error"] == "photo_not_found"


async def test_pending_queue_is_oldest_first_and_paginates(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ids = [(await upload(client)).json()["id"] for _ in range(5)]
    await sign_in(client, settings)
    first = (await client.get("/api/moderation/photos?status=pending&limit=2")).json()
    assert [p["id"] for p in first["photos"]] == ids[:2]
    assert first["count"] == 5
    second = (
        await client.get(f"/api/moderation/photos?status=pending&limit=2&before={first['next']}")
    ).json()
    assert [p["id"] for p in second["photos"]] == ids[2:4]
    bad = await client.get("/api/moderation/photos?status=lost")
    assert bad.status_code == 400 and bad.json()["error"] == "bad_status"
