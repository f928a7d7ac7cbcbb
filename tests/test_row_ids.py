"""Numbers past what the databases hold, in cursors and path ids: 400 or 404, never 500."""

from __future__ import annotations

import httpx

from tests.factories import sign_in
from wall.config import Settings

HUGE = str(2**64 + 1)
PAST_INTEGER = str(2**31)  # moderator and removal request ids are INTEGER


async def test_huge_ids_are_refused_or_not_found(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    csrf = await sign_in(client, settings)
    headers = {"X-CSRF-Token": csrf}

    audit = await client.get(f"/api/moderation/audit?before={HUGE}")
    assert (audit.status_code, audit.json()["error"]) == (400, "bad_cursor")
    last_row = await client.get(f"/api/moderation/audit?before={2**63 - 1}")
    assert last_row.status_code == 200

    for number in (HUGE, PAST_INTEGER):
        moderator = await client.patch(
            f"/api/moderation/moderators/{number}", json={"disabled": True}, headers=headers
        )
        assert (moderator.status_code, moderator.json()["error"]) == (404, "moderator_not_found")
        sessions = await client.post(f"/api/moderation/moderators/{number}/logout", headers=headers)
        assert sessions.status_code == 404

        resolve = await client.post(
            f"/api/moderation/removal-requests/{number}/resolve",
            json={"resolution": "dismissed"},
            headers=headers,
        )
        assert (resolve.status_code, resolve.json()["error"]) == (
            404,
            "removal_request_not_found",
        )

    events = await client.get(f"/api/wall/events?after={HUGE}")
    assert (events.status_code, events.json()["error"]) == (400, "bad_last_event_id")
