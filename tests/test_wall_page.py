"""The wall page in a real headless Chromium: approvals and removals arrive live.

The layout, the wave, phases and filters: ``test_wall_screen.py``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.browser import chromium_page
from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, UPLOAD_FIELDS, add_moderator, jpeg_bytes
from tests.live import LiveServer
from wall.config import Settings


def _moderator(base_url: str, settings: Settings) -> tuple[httpx.Client, str]:
    asyncio.run(add_moderator(settings))
    client = httpx.Client(base_url=base_url)
    login = client.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status_code == 200
    return client, login.json()["csrf_token"]


def _upload(base_url: str, caption: str) -> str:
    response = httpx.post(
        f"{base_url}/upload",
        data={**UPLOAD_FIELDS, "caption": caption},
        files={"photo": ("vert.jpg", jpeg_bytes(), "image/jpeg")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.text
    photo_id: str = response.json()["id"]
    return photo_id


@pytest.mark.browser
def test_an_approved_photo_appears_without_reload(
    live_server: LiveServer, settings: Settings
) -> None:
    moderator, csrf = _moderator(live_server.url, settings)
    first = _upload(live_server.url, "Première vague")
    second = _upload(live_server.url, "Deuxième vague")

    def decide(photo_id: str, action: str) -> httpx.Response:
        return moderator.post(
            f"/api/moderation/photos/{photo_id}/decision",
            json={"action": action},
            headers={"X-CSRF-Token": csrf},
        )

    assert decide(first, "approve").status_code == 200
    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.wait_for_selector(f'li[data-id="{first}"]', timeout=5000)
        assert page.locator("li.tile").count() == 1
        page.evaluate("window.__sameDocument = true")

        assert decide(second, "approve").status_code == 200
        page.wait_for_selector(f'li[data-id="{second}"]', timeout=2000)
        assert "Deuxième vague" in page.inner_text("#wall-grid")
        # Newest first: the top-left slot of the layout.
        assert page.evaluate("() => window.VagueVerte.wall.visible()[0]") == second

        assert decide(first, "remove").status_code == 200
        page.wait_for_selector(f'li[data-id="{first}"]', state="detached", timeout=2000)
        assert page.evaluate("window.__sameDocument") is True
        image = page.locator(f'li[data-id="{second}"] img')
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    moderator.close()


@pytest.mark.browser
def test_pinned_photos_lead_and_the_page_recovers_from_a_refused_stream(
    live_server: LiveServer, settings: Settings
) -> None:
    moderator, csrf = _moderator(live_server.url, settings)

    def decide(photo_id: str, action: str) -> httpx.Response:
        return moderator.post(
            f"/api/moderation/photos/{photo_id}/decision",
            json={"action": action},
            headers={"X-CSRF-Token": csrf},
        )

    older, newer = _upload(live_server.url, "Ancienne"), _upload(live_server.url, "Récente")
    assert decide(older, "approve").status_code == 200
    assert decide(newer, "approve").status_code == 200
    with chromium_page() as page:
        refused = {"count": 0}

        def refuse_once(route: Any) -> None:
            # The first stream is answered 503, as by a proxy while the wall restarts.
            if refused["count"] == 0:
                refused["count"] += 1
                route.fulfill(status=503, body="")
            else:
                route.continue_()

        page.route("**/api/wall/events*", refuse_once)
        page.goto(live_server.url + "/")
        page.wait_for_selector(f'li[data-id="{older}"]', timeout=5000)
        page.wait_for_function("() => document.getElementById('wall-status').textContent !== ''")

        # After its retry the page follows events again: a pin marks the older photo.
        assert decide(older, "pin").status_code == 200
        page.wait_for_selector(f'li.pinned[data-id="{older}"]', timeout=15000)
        assert refused["count"] == 1
        third = _upload(live_server.url, "Toute nouvelle")
        assert decide(third, "approve").status_code == 200
        page.wait_for_selector(f'li[data-id="{third}"]', timeout=2000)
        # The new approval leads; the pinned photo hides no live one.
        order = page.evaluate("() => window.VagueVerte.wall.visible()")
        assert order[0] == third
        assert sorted(order) == sorted([older, third, newer])
    moderator.close()


@pytest.mark.browser
def test_the_projected_wall_invites_phones_with_a_qr_code(live_server: LiveServer) -> None:
    import cv2
    import numpy as np

    with chromium_page() as page:
        page.goto(live_server.url + "/")
        qr = page.locator("#upload-qr")
        qr.wait_for()
        assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
        shot = qr.screenshot()
        text = page.inner_text("#wall-invite")
    image = cv2.imdecode(np.frombuffer(shot, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    # A phone camera sees a large code; OpenCV's detector wants one too, with a quiet zone.
    large = cv2.resize(image, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    _, sharp = cv2.threshold(large, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    framed = cv2.copyMakeBorder(sharp, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    decoded, _points, _ = cv2.QRCodeDetector().detectAndDecode(framed)
    assert decoded == f"{live_server.url}/upload"
    assert decoded in text
