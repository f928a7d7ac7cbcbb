"""The upload page in a phone-sized headless Chromium, against a real uvicorn.

Playwright's async API: its sync API keeps an event loop running in the test's
thread, which the database fixtures need for themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, FilePayload, Page, ViewportSize, async_playwright, expect

from tests.browser import ARGS, CHROMIUM, require_chromium
from tests.factories import jpeg_bytes
from tests.live import LiveServer
from tests.web.conftest import stored
from wall.config import Settings

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
THANKS = "Merci! Ta photo sera affichée après validation."


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def phone_page(browser: Browser, *, javascript: bool = True) -> tuple[Page, list[str]]:
    """A phone-sized page, and what went wrong in it: console errors (CSP violations
    among them) and failed requests, the favicon we do not have aside."""
    context = await browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=javascript
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    return page, errors


async def choose(page: Page, photo: bytes, name: str) -> None:
    payload: FilePayload = {"name": name, "mimeType": "image/jpeg", "buffer": photo}
    await page.set_input_files("#photo-input", files=[payload])


async def fill_form(page: Page, photo: bytes, name: str) -> None:
    await choose(page, photo, name)
    await page.click("#upload-details summary")  # the optional details are folded
    await page.fill("input[name=display_name]", "Léa")
    await page.fill("textarea[name=caption]", "Tout en vert!")
    await page.select_option("select[name=region]", "Mauricie")
    await page.check("input[name=consent]")
    await page.check("input[name=everyone_agrees]")
    await page.check("input[name=age_confirmation][value=guardian_consent]")


async def test_a_phone_sends_a_photo_and_sees_the_confirmation(
    live_server: LiveServer, settings: Settings, browser: Browser
) -> None:
    page, errors = await phone_page(browser)
    await page.goto(f"{live_server.url}/upload")
    assert len(await page.input_value("#upload-key")) >= 16
    await fill_form(page, jpeg_bytes((1200, 900)), "IMG_2024.jpg")
    await expect(page.locator("#upload-preview")).to_be_visible()
    await expect(page.locator("#take-photo")).to_be_visible()
    await page.click("#upload-submit")
    await expect(page.locator("#upload-done-title")).to_have_text(THANKS)
    await expect(page.locator("#upload-done-title")).to_be_visible()
    await expect(page.locator("#upload-form")).to_be_hidden()
    assert "/manage/" in (await page.get_attribute("#upload-manage-link", "href") or "")
    assert errors == []
    assert (await stored(settings)).photos == 1


async def test_a_server_refusal_shows_the_french_message_next_to_the_form_with_fields_kept(
    live_server: LiveServer, settings: Settings, browser: Browser
) -> None:
    page, errors = await phone_page(browser)
    await page.goto(f"{live_server.url}/upload")
    key = await page.input_value("#upload-key")
    await fill_form(page, b"%PDF-1.7\n%%EOF\n", "devoir.jpg")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-error")).to_have_text(
        "Ce fichier n'est pas une image acceptée (JPEG, PNG, WebP, HEIC ou GIF)."
    )
    await expect(page.locator("#upload-form")).to_be_visible()
    await expect(page.locator("input[name=display_name]")).to_be_visible()
    assert await page.input_value("input[name=display_name]") == "Léa"
    assert await page.input_value("textarea[name=caption]") == "Tout en vert!"
    assert await page.input_value("select[name=region]") == "Mauricie"
    assert await page.is_checked("input[name=consent]")
    assert await page.is_checked("input[name=age_confirmation][value=guardian_consent]")
    assert await page.input_value("#upload-key") == key
    assert (await stored(settings)).photos == 0
    assert errors == ["415 " + f"{live_server.url}/upload"]

    # The same page, now with a real photo: accepted.
    await choose(page, jpeg_bytes(), "a.jpg")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-done-title")).to_be_visible()
    assert (await stored(settings)).photos == 1


async def test_the_english_page_shows_english_errors(
    live_server: LiveServer, browser: Browser
) -> None:
    page, _ = await phone_page(browser)
    await page.goto(f"{live_server.url}/upload")
    await page.click("#lang-switch")
    await expect(page.locator("h1")).to_have_text("Send your green photo")
    await fill_form(page, b"", "empty.jpg")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-error")).to_have_text(
        "The file is empty. Choose a photo to send."
    )


async def test_without_javascript_the_form_still_works(
    live_server: LiveServer, settings: Settings, browser: Browser
) -> None:
    page, _ = await phone_page(browser, javascript=False)
    await page.goto(f"{live_server.url}/upload")
    await expect(page.locator("#take-photo")).to_be_hidden()
    await fill_form(page, jpeg_bytes(), "photo.jpg")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-done-title")).to_have_text(THANKS)
    assert (await stored(settings)).photos == 1
