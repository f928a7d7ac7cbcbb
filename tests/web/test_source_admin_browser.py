"""In Chromium: an admin adds a source on the admin page, the running wall polls it
with the token given, the token never shows again, then the admin edits, pauses
and removes it, all with no restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, sync_playwright

from tests.browser import ARGS, CHROMIUM, require_chromium, sign_in_page
from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator
from tests.fake_mastodon import FakeMastodon, FakeStatus
from tests.live import LiveServer
from wall.config import Settings

SECRET = "tok-BROWSER-5e1c9a77d2"
TIMELINE = "/api/v1/timelines/tag/"


def wait_until(probe: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not probe():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.1)


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_admin_manages_a_source_from_the_admin_page(
    live_server: LiveServer, settings: Settings
) -> None:
    require_chromium()
    asyncio.run(add_moderator(settings))
    mastodon = FakeMastodon().start()
    mastodon.add(FakeStatus(101, "zoe", "Notre cour en vert!"), seeds=(1,))

    def with_token() -> int:
        return sum(1 for s in mastodon.seen(TIMELINE) if s.authorization == f"Bearer {SECRET}")

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                sign_in_page(page, live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
                page.goto(f"{live_server.url}/moderation/admin")

                form = page.locator("#source-form")
                form.locator("input[name=name]").fill("fake-social")
                form.locator("select[name=type]").select_option("mastodon")
                form.locator("input[name=base_url]").fill(mastodon.url)
                form.locator("input[name=interval]").fill("1")
                form.locator("input[name=cred-token]").fill(SECRET)
                form.locator("button[type=submit]").click()
                row = page.locator('#sources tr[data-source="fake-social"]')
                row.wait_for()
                assert "token" in row.inner_text()
                assert form.locator("input[name=cred-token]").input_value() == ""
                wait_until(lambda: with_token() > 0)  # polled, no restart
                page.reload()
                assert SECRET not in page.content()

                # Editing shows the settings, never the token, and keeps it when left empty.
                row = page.locator('#sources tr[data-source="fake-social"]')
                row.locator("button", has_text="Modifier").click()
                assert form.locator("input[name=name]").input_value() == "fake-social"
                assert form.locator("input[name=name]").get_attribute("readonly") is not None
                token = form.locator("input[name=cred-token]")
                assert token.input_value() == ""
                assert token.get_attribute("placeholder") == "défini — vide pour garder"
                assert form.locator("input[name=recheck_per_minute]").input_value() == ""
                form.locator("input[name=interval]").fill("2")
                form.locator("input[name=recheck_per_minute]").fill("12")
                form.locator("button[type=submit]").click()
                page.locator("#mod-status", has_text="Source enregistrée").wait_for()
                row.locator("text=2 s").wait_for()
                row.locator("button", has_text="Modifier").click()
                assert form.locator("input[name=recheck_per_minute]").input_value() == "12"
                form.locator("button[type=reset]").click()
                seen = with_token()
                wait_until(lambda: with_token() > seen)  # the kept token is still sent

                row.locator("button", has_text="Mettre en pause").click()
                row.locator("text=en pause").wait_for()

                def accept(dialog: Dialog) -> None:
                    dialog.accept()

                page.on("dialog", accept)
                row.locator("button", has_text="Retirer").click()
                page.locator("#mod-status", has_text="Source retirée").wait_for()
                page.locator('#sources tr[data-source="fake-social"]').wait_for(state="detached")
                assert SECRET not in page.content()
            finally:
                browser.close()
    finally:
        mastodon.stop()
