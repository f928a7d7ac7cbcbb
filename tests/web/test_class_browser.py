"""In Chromium: an admin makes a school's link on the admin page, a teacher sends
25 photos through its form at once, and the admin revokes it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import ARGS, CHROMIUM, require_chromium, sign_in_page
from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator, jpeg_bytes
from tests.live import LiveServer
from tests.web.conftest import stored
from wall.config import Settings


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admin_link_then_a_class_of_25_through_the_real_form(
    live_server: LiveServer, settings: Settings, tmp_path: Path
) -> None:
    require_chromium()
    asyncio.run(add_moderator(settings))
    files = []
    for n in range(25):
        path = tmp_path / f"classe-{n:02d}.jpg"
        path.write_bytes(jpeg_bytes((640, 480), (20 + n * 8, 160, 70), gps=True))
        files.append(str(path))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            admin = browser.new_page()
            sign_in_page(admin, live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
            admin.goto(f"{live_server.url}/moderation/admin")
            form = admin.locator("#add-school-invite")
            form.locator("input[name=school]").fill("École des Érables")
            form.locator("select[name=region]").select_option("Estrie")
            form.locator("input[name=days]").fill("3")
            form.locator("button[type=submit]").click()
            admin.wait_for_selector("#school-invite-link:not([hidden])")
            link = admin.locator("#school-invite-url").inner_text()
            assert link.startswith(f"{live_server.url}/classe/")
            row = admin.locator("#school-invites tr").first
            row.locator("text=actif").wait_for()
            assert "École des Érables" in row.inner_text()

            # A phone-sized screen in the classroom.
            teacher = browser.new_page(viewport={"width": 390, "height": 844})
            teacher.goto(link)
            assert "École des Érables" in teacher.locator("#class-school").inner_text()
            assert teacher.evaluate("document.documentElement.scrollWidth") <= 390
            teacher.set_input_files("#class-photos", files)
            teacher.check("input[name=school_consent]")
            teacher.click("#class-submit")
            teacher.wait_for_selector("#class-stored", timeout=60_000)
            assert teacher.locator("#class-stored").inner_text() == (
                "25 photo(s) reçue(s), en attente de validation."
            )
            assert teacher.evaluate("document.documentElement.scrollWidth") <= 390

            admin.reload()
            row = admin.locator("#school-invites tr").first
            row.locator("text=25 / 150").wait_for()
            row.locator("button", has_text="Révoquer").click()
            row.locator("text=révoqué").wait_for()
            answer = teacher.goto(link)
            assert answer is not None and answer.status == 403
            assert "a été révoqué" in teacher.locator("#class-link-refused").inner_text()
        finally:
            browser.close()
    assert asyncio.run(stored(settings)).photos == 25
