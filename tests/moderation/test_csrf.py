"""A state-changing call needs this session's exact CSRF token, and nothing else."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import sign_in, upload
from wall.config import Settings


async def _pending(client: httpx.AsyncClient) -> list[str]:
    listing = await client.get("/api/moderation/photos", params={"status": "pending"})
    assert listing.status_code == 200
    return [photo["id"] for photo in listing.json()["photos"]]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda mine, other: "", id="empty"),
        pytest.param(lambda mine, other: mine[:-1], id="truncated-by-one"),
        pytest.param(lambda mine, other: mine[: len(mine) // 2], id="truncated-by-half"),
        pytest.param(lambda mine, other: other, id="another-sessions-token"),
        pytest.param(lambda mine, other: mine + other, id="extended"),
    ],
)
async def test_a_wrong_token_is_refused_and_changes_nothing(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    settings: Settings,
    forge: object,
) -> None:
    mine_client, other_client = clients
    photo_id = (await upload(mine_client)).json()["id"]
    mine = await sign_in(mine_client, settings)
    other = await sign_in(other_client, settings, email="autre@ecole.test", role="moderator")
    assert callable(forge)
    token = forge(mine, other)
    refused = await mine_client.post(
        f"/api/moderation/photos/{photo_id}/decision",
        json={"action": "approve"},
        headers={"X-CSRF-Token": token},
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "csrf_failed"
    assert photo_id in await _pending(mine_client)
    # The right token, on the same request, works: the refusal was the token's.
    accepted = await mine_client.post(
        f"/api/moderation/photos/{photo_id}/decision",
        json={"action": "approve"},
        headers={"X-CSRF-Token": mine},
    )
    assert accepted.status_code == 200


async def test_another_session_of_the_same_account_has_its_own_token(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], settings: Settings
) -> None:
    first, second = clients
    first_token = await sign_in(first, settings)
    second_token = await sign_in(second, settings)
    assert first_token != second_token
    crossed = await first.post("/api/auth/logout", headers={"X-CSRF-Token": second_token})
    assert crossed.status_code == 403 and crossed.json()["error"] == "csrf_failed"
    assert (await first.get("/api/moderation/photos")).status_code == 200
