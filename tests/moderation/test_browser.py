"""A moderator clears part of the queue with the keyboard alone, in headless Chromium."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from tests.browser import ARGS, CHROMIUM, require_chromium
from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, UPLOAD_FIELDS, add_moderator, jpeg_bytes
from tests.live import LiveServer
from wall.config import Settings


def _upload(http: httpx.Client, caption: str, color: tuple[int, int, int]) -> str:
    response = http.post(
        "/upload",
        data={**UPLOAD_FIELDS, "caption": caption},
        files={"photo": ("photo.jpg", jpeg_bytes(color=color), "image/jpeg")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.text
    photo_id: str = response.json()["id"]
    return photo_id


def _press(page: Page, key: str, path: str) -> Any:
    """Press a key and wait for the request it sends (not for a duration)."""
    with page.expect_response(lambda r: path in r.url and r.request.method == "POST") as answer:
        page.keyboard.press(key)
    return answer.value


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_keyboard_approve_reject_move_undo(live_server: LiveServer, settings: Settings) -> None:
    require_chromium()
    asyncio.run(add_moderator(settings, role="moderator"))
    with httpx.Client(base_url=live_server.url) as http:
        ids = [_upload(http, f"Photo {n}", (20 + 40 * n, 160, 60)) for n in range(4)]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_server.url}/moderation")
            assert page.url.endswith("/login")
            page.fill("input[name=email]", ADMIN_EMAIL)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/moderation")
            page.wait_for_selector(f"#mod-queue li.current[data-id='{ids[0]}']")
            assert page.locator("#mod-queue li").count() == 4

            assert _press(page, "a", "/decision").status == 200  # approve Photo 0
            page.wait_for_selector(f"#mod-queue li.current[data-id='{ids[1]}']")
            assert _press(page, "r", "/decision").status == 200  # reject Photo 1
            page.wait_for_selector(f"#mod-queue li.current[data-id='{ids[2]}']")
            page.keyboard.press("j")  # skip Photo 2
            page.wait_for_selector(f"#mod-queue li.current[data-id='{ids[3]}']")
            page.keyboard.press("k")
            page.wait_for_selector(f"#mod-queue li.current[data-id='{ids[2]}']")
            page.keyboard.press("j")
            page.wait_for_selector(f"#mod-queue li.current[data-id='{ids[3]}']")
            assert _press(page, "a", "/decision").status == 200  # approve Photo 3
            assert _press(page, "u", "/api/moderation/undo").status == 200  # …and take it back
            page.wait_for_selector(f"#mod-queue li[data-id='{ids[3]}']")
        finally:
            browser.close()

    with httpx.Client(base_url=live_server.url) as http:
        http.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        statuses = {}
        for status in ("pending", "approved", "rejected"):
            body = http.get("/api/moderation/photos", params={"status": status}).json()
            statuses.update({p["id"]: status for p in body["photos"]})
    assert statuses == {
        ids[0]: "approved",
        ids[1]: "rejected",
        ids[2]: "pending",
        ids[3]: "pending",
    }
