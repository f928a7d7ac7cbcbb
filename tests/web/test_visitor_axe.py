"""axe-core on every page of the visitor's path, on a phone-sized Chromium:
the upload form, its success screen, the manage page and its confirmation,
the removal form and the privacy policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import FilePayload, Page, ViewportSize, sync_playwright

from tests.axe import axe_script, serious_violations
from tests.browser import ARGS, CHROMIUM, require_chromium
from tests.factories import jpeg_bytes
from tests.live import LiveServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
PHONE: ViewportSize = {"width": 390, "height": 844}


def _send_a_photo(page: Page, server: LiveServer) -> str:
    page.goto(f"{server.url}/upload")
    photo: FilePayload = {"name": "vert.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    page.set_input_files("#photo-input", files=[photo])
    page.check("input[name=consent]")
    page.check("input[name=everyone_agrees]")
    page.check("input[name=age_confirmation][value='14_or_older']")
    page.click("#upload-submit")
    page.wait_for_selector("#upload-done-title", state="visible")
    href = page.get_attribute("#upload-manage-link", "href")
    assert href is not None
    return href


def test_axe_finds_nothing_serious_on_the_visitors_pages(live_server: LiveServer) -> None:
    require_chromium()
    script = axe_script()
    found: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport=PHONE).new_page()
            for path in ("/upload", "/upload?lang=en", "/removal-request", "/confidentialite"):
                page.goto(f"{live_server.url}{path}")
                found += [f"{path}: {v}" for v in serious_violations(page, script)]
            manage = _send_a_photo(page, live_server)
            found += [f"success: {v}" for v in serious_violations(page, script)]
            for path in (manage, f"{manage}/withdraw"):
                page.goto(path)
                found += [f"{path}: {v}" for v in serious_violations(page, script)]
        finally:
            browser.close()
    assert found == [], "\n".join(found)
