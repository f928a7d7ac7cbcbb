"""The audit log: what is recorded, who sees it, the CSV export, and no way to edit it."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator, decide, sign_in, upload
from wall.config import Settings
from wall.moderation.audit import csv_safe


async def test_sign_ins_decisions_and_admin_changes_are_recorded(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    photo_id = (await upload(client)).json()["id"]
    await add_moderator(settings)  # a failed attempt on a known account names it
    failed = await client.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": "=cmd|' /C calc'!A0"}
    )
    assert failed.status_code == 401
    csrf = await sign_in(client, settings)
    headers = {"X-CSRF-Token": csrf}
    await decide(client, csrf, photo_id, "approve")
    await decide(client, csrf, photo_id, "remove", reason='=HYPERLINK("http://x")')
    added = await client.post(
        "/api/moderation/moderators",
        json={"email": "benevole@ecole.test", "password": "un-long-mot-de-passe"},
        headers=headers,
    )
    assert added.status_code == 201
    target = added.json()["id"]
    await client.patch(
        f"/api/moderation/moderators/{target}", json={"role": "admin"}, headers=headers
    )
    await client.patch(
        f"/api/moderation/moderators/{target}", json={"disabled": True}, headers=headers
    )
    await client.post("/api/moderation/intake", json={"paused": True}, headers=headers)

    entries = (await client.get("/api/moderation/audit?limit=100")).json()["entries"]
    actions = [e["action"] for e in reversed(entries)]
    assert actions == [
        "auth.login_failed",
        "auth.login",
        "decision.approve",
        "decision.remove",
        "moderator.added",
        "moderator.role_changed",
        "moderator.disabled",
        "settings.intake_paused",
    ]
    assert all(e["client"] for e in entries)
    assert entries[-1]["actor"] == ADMIN_EMAIL and entries[-1]["details"] == {
        "reason": "bad_credentials"
    }
    assert ADMIN_PASSWORD not in str(entries) and "calc" not in str(entries)
    role_change = next(e for e in entries if e["action"] == "moderator.role_changed")
    assert role_change["details"] == {"from": "moderator", "to": "admin"}

    exported = await client.get("/api/moderation/audit.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    removal = next(r for r in rows if r["action"] == "decision.remove")
    assert removal["details"].startswith("from=approved")
    assert "reason==HYPERLINK" in removal["details"]
    # A cell that a spreadsheet would run is defused.
    bad = next(r for r in rows if r["action"] == "auth.login_failed")
    assert bad["actor"] == ADMIN_EMAIL


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("ok", "ok"),
        (None, ""),
    ],
)
def test_csv_cells_cannot_run_as_formulas(value: str | None, cell: str) -> None:
    assert csv_safe(value) == cell


async def test_the_csv_defuses_formula_cells(client: httpx.AsyncClient, settings: Settings) -> None:
    await add_moderator(settings, email="=1+1@x.test", role="moderator")
    await client.post("/api/auth/login", json={"email": "=1+1@x.test", "password": "devine"})
    await sign_in(client, settings)
    rows = list(csv.reader(io.StringIO((await client.get("/api/moderation/audit.csv")).text)))
    assert rows[0][:4] == ["id", "created_at", "actor", "action"]
    assert rows[1][2:4] == ["'=1+1@x.test", "auth.login_failed"]


def test_nothing_can_edit_the_audit_log(app: Starlette) -> None:
    audit_routes = [r for r in app.routes if isinstance(r, Route) and "audit" in r.path]
    assert audit_routes
    for route in audit_routes:
        assert (route.methods or set()) <= {"GET", "HEAD"}
