"""Quick rejection reasons: stable codes in decisions and the audit log, French words
in the rejected tab and the audit CSV, kept by the purge when free text is not.
Flags come with French words too, and audit rows keep no client address."""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy import select

from tests.factories import decide, sign_in
from tests.moderation.factories import database, network_photo
from wall.config import Settings
from wall.media import MediaStore
from wall.models import AuditEntry, Decision, ModeratorSession
from wall.moderation.reasons import REJECTION_REASONS
from wall.pseudonyms import pseudonym
from wall.purge import purge


async def _reject(
    client: httpx.AsyncClient, csrf: str, photo_id: str, body: dict[str, object]
) -> httpx.Response:
    return await client.post(
        f"/api/moderation/photos/{photo_id}/decision",
        json={"action": "reject", **body},
        headers={"X-CSRF-Token": csrf},
    )


async def _csv_rows(client: httpx.AsyncClient) -> list[dict[str, str]]:
    response = await client.get("/api/moderation/audit.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_a_quick_reason_is_a_code_shown_in_french(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = await network_photo(settings)
    csrf = await sign_in(client, settings)
    answer = await _reject(client, csrf, photo_id, {"reason_code": "face_without_consent"})
    assert answer.status_code == 200, answer.text

    async with database(settings) as db, db.reading() as session:
        decision = await session.scalar(select(Decision).where(Decision.photo_id == photo_id))
        assert decision is not None and decision.reason_code == "face_without_consent"
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "decision.reject")
        )
        assert entry is not None and entry.details["reason_code"] == "face_without_consent"

    rejected = (await client.get("/api/moderation/photos?status=rejected")).json()["photos"]
    assert [p["id"] for p in rejected] == [photo_id]
    assert rejected[0]["last_decision"]["reason_label"] == (
        "Visage reconnaissable sans consentement"
    )
    assert rejected[0]["last_decision"]["by"] == "admin@ecole.test"

    row = next(r for r in await _csv_rows(client) if r["action"] == "decision.reject")
    assert row["photo_id"] == photo_id
    assert (
        "reason_code=face_without_consent (Visage reconnaissable sans consentement)"
        in (row["details"])
    )


async def test_unknown_or_misplaced_codes_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = await network_photo(settings)
    csrf = await sign_in(client, settings)
    unknown = await _reject(client, csrf, photo_id, {"reason_code": "ugly"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "invalid_reason_code"
    approve = await client.post(
        f"/api/moderation/photos/{photo_id}/decision",
        json={"action": "approve", "reason_code": "off_topic"},
        headers={"X-CSRF-Token": csrf},
    )
    assert approve.status_code == 422 and approve.json()["error"] == "invalid_reason_code"
    pending = (await client.get("/api/moderation/photos")).json()["photos"]
    assert [p["id"] for p in pending] == [photo_id]
    bulk_approve = await client.post(
        "/api/moderation/photos/bulk",
        json={"action": "approve", "ids": [photo_id], "reason_code": "poor_quality"},
        headers={"X-CSRF-Token": csrf},
    )
    assert bulk_approve.status_code == 422
    assert bulk_approve.json()["error"] == "invalid_reason_code"
    bulk = await client.post(
        "/api/moderation/photos/bulk",
        json={"action": "reject", "ids": [photo_id], "reason_code": "poor_quality"},
        headers={"X-CSRF-Token": csrf},
    )
    assert bulk.status_code == 200 and bulk.json()["decided"] == 1
    rejected = (await client.get("/api/moderation/photos?status=rejected")).json()["photos"]
    assert rejected[0]["last_decision"]["reason_code"] == "poor_quality"


async def test_the_purge_keeps_codes_and_drops_free_text(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = await network_photo(settings)
    csrf = await sign_in(client, settings)
    answer = await _reject(
        client, csrf, photo_id, {"reason_code": "personal_information", "reason": "nom de Léa"}
    )
    assert answer.status_code == 200
    async with database(settings) as db:
        await purge(db, MediaStore(settings.media_path))
        async with db.reading() as session:
            decision = await session.scalar(select(Decision).where(Decision.photo_id == photo_id))
            entry = await session.scalar(
                select(AuditEntry).where(AuditEntry.action == "decision.reject")
            )
    assert decision is not None and entry is not None
    assert (decision.reason, decision.reason_code) == (None, "personal_information")
    assert "reason" not in entry.details
    assert entry.details["reason_code"] == "personal_information"


def test_five_reasons_for_five_keys() -> None:
    assert len(REJECTION_REASONS) == 5
    assert all(len(code) <= 32 for code in REJECTION_REASONS)  # decisions.reason_code


async def test_flags_come_in_french_with_a_reason(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = await network_photo(settings, green_score=0.0, flags=["sensitive", "odd_new"])
    await sign_in(client, settings)
    (photo,) = (await client.get("/api/moderation/photos")).json()["photos"]
    assert photo["id"] == photo_id
    labels = {f["code"]: (f["label"], f["explanation"]) for f in photo["flag_labels"]}
    assert labels["low_green"][0] == "Peu de vert"
    assert labels["sensitive"][0] == "Contenu sensible"
    assert all(explanation for code, (_, explanation) in labels.items() if code != "odd_new")
    assert labels["odd_new"] == ("odd_new", "")  # an unknown code is shown as it is
    page = (await client.get("/moderation")).text
    assert "Peu de vert" in page and "low_green</option>" not in page


async def test_audit_rows_and_sessions_keep_no_client_address(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = await network_photo(settings)
    csrf = await sign_in(client, settings)
    assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
    # The admin's other actions write audit rows too.
    token = {"X-CSRF-Token": csrf}
    invite = await client.post(
        "/api/moderation/schools", json={"school": "École du Parc"}, headers=token
    )
    assert invite.status_code == 201, invite.text
    revoked = await client.post(
        f"/api/moderation/schools/{invite.json()['id']}/revoke", headers=token
    )
    assert revoked.status_code == 200, revoked.text
    assert (await client.get("/api/moderation/export.zip")).status_code == 200
    address = "127.0.0.1"  # what httpx's ASGI transport gives as the peer
    expected = pseudonym(settings.secret_key or "", "audit client", address)
    async with database(settings) as db, db.reading() as session:
        rows = (await session.execute(select(AuditEntry.action, AuditEntry.client))).all()
        sessions = set((await session.scalars(select(ModeratorSession.client))).all())
    assert {action for action, _ in rows} >= {
        "decision.approve",
        "school_invite.created",
        "school_invite.revoked",
        "archive.exported",
    }
    assert {client for _, client in rows} == {expected} and sessions == {expected}
    row = next(r for r in await _csv_rows(client) if r["action"] == "decision.approve")
    assert row["client"] == expected and address not in row["client"]
