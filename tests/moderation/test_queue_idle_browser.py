"""An idle moderator gives their photo back after ``WALL_CLAIM_IDLE_SECONDS``, and
takes one again at the next key (headless Chromium, a 2-second idle time)."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from tests.factories import add_moderator
from tests.live import LiveServer
from tests.moderation.factories import many_pending
from tests.moderation.test_queue_browser import (
    api,
    chromium,
    moderator_page,
    wait_holding_other_than,
)
from wall.config import Settings

IDLE_SECONDS = 2.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, claim_idle_seconds=IDLE_SECONDS)


def test_an_idle_tab_gives_its_photo_back_and_takes_one_at_the_next_key(
    live_server: LiveServer, settings: Settings
) -> None:
    asyncio.run(add_moderator(settings, email="ana@ecole.test", role="moderator"))
    asyncio.run(add_moderator(settings, email="ben@ecole.test", role="moderator"))
    (photo,) = asyncio.run(many_pending(settings, 1))
    with chromium() as browser, api(live_server, "ben@ecole.test") as ben:
        # The page's idle clock starts at its last activity, inside moderator_page.
        taken_at = time.monotonic()
        page = moderator_page(browser, live_server, "ana@ecole.test")
        assert wait_holding_other_than(page, "") == photo

        def holder() -> str | None:
            (listed,) = ben.get("/api/moderation/photos").json()["photos"]
            claimed = listed["claimed_by"]
            return None if claimed is None else str(claimed)

        assert holder() == "ana@ecole.test"
        assert wait_holding_other_than(page, photo) == ""
        assert time.monotonic() - taken_at >= IDLE_SECONDS
        assert holder() is None
        assert "inactivité" in page.inner_text("#mod-status")
        page.keyboard.press("j")  # any key: back to work
        assert wait_holding_other_than(page, "") == photo
        assert holder() == "ana@ecole.test"
