"""The moderation page in headless Chromium: two moderators on one queue, a closed
tab, quick rejection reasons, zoom, the sticky header and the contrast of the page."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, sync_playwright

from tests.axe import axe_script, serious_violations
from tests.browser import ARGS, CHROMIUM, require_chromium, sign_in_page
from tests.factories import ADMIN_PASSWORD, add_moderator
from tests.live import LiveServer
from tests.moderation.contrast import low_contrast
from tests.moderation.factories import many_pending, network_photo
from wall.config import Settings
from wall.consent import photo_number
from wall.moderation.reasons import REJECTION_REASONS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@contextmanager
def chromium() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def moderator_page(
    browser: Browser, server: LiveServer, email: str, size: tuple[int, int] = (1366, 768)
) -> Page:
    """A signed-in moderator's own browser context, on the moderation page."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    sign_in_page(page, server.url, email, ADMIN_PASSWORD)
    return page


def holding(page: Page) -> str:
    value = page.eval_on_selector("#mod-app", "app => app.dataset.holding || ''")
    return str(value)


def wait_holding_other_than(page: Page, previous: str) -> str:
    page.wait_for_function(
        "previous => (document.getElementById('mod-app').dataset.holding || '') !== previous",
        arg=previous,
    )
    return holding(page)


@contextmanager
def api(server: LiveServer, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as http:
        answer = http.post("/api/auth/login", json={"email": email, "password": ADMIN_PASSWORD})
        assert answer.status_code == 200, answer.text
        yield http


def test_two_moderators_on_100_photos_never_hold_the_same_one(
    live_server: LiveServer, settings: Settings
) -> None:
    asyncio.run(add_moderator(settings, email="ana@ecole.test", role="moderator"))
    asyncio.run(add_moderator(settings, email="ben@ecole.test", role="moderator"))
    ids = asyncio.run(many_pending(settings, 100))
    refused: list[str] = []

    def watch(response: Response) -> None:
        if response.request.method == "POST" and response.status >= 400:
            refused.append(f"{response.status} {response.url}")

    approved: dict[str, list[str]] = {"ana": [], "ben": []}
    with chromium() as browser:
        pages = {
            name: moderator_page(browser, live_server, f"{name}@ecole.test")
            for name in ("ana", "ben")
        }
        for page in pages.values():
            page.on("response", watch)
        held = {name: wait_holding_other_than(page, "") for name, page in pages.items()}
        while any(held.values()):
            assert held["ana"] != held["ben"], held
            working = [name for name, photo in held.items() if photo]
            for name in working:  # both keys go out before either answer comes back
                pages[name].keyboard.press("a")
            for name in working:
                approved[name].append(held[name])
                held[name] = wait_holding_other_than(pages[name], held[name])
    assert refused == []
    assert not set(approved["ana"]) & set(approved["ben"])
    assert sorted(approved["ana"] + approved["ben"]) == sorted(ids)
    assert min(len(approved["ana"]), len(approved["ben"])) >= 20  # both really worked
    with api(live_server, "ana@ecole.test") as http:
        body = http.get("/api/moderation/photos", params={"status": "approved", "limit": 100})
        assert body.json()["count"] == 100


def test_a_closed_tab_gives_its_photo_back_within_5_seconds(
    live_server: LiveServer, settings: Settings
) -> None:
    asyncio.run(add_moderator(settings, email="ana@ecole.test", role="moderator"))
    asyncio.run(add_moderator(settings, email="ben@ecole.test", role="moderator"))
    first, _second = asyncio.run(many_pending(settings, 2))
    with chromium() as browser, api(live_server, "ben@ecole.test") as ben:
        page = moderator_page(browser, live_server, "ana@ecole.test")
        assert wait_holding_other_than(page, "") == first

        def holder() -> str | None:
            photos = ben.get("/api/moderation/photos").json()["photos"]
            holder_email: str | None = next(p["claimed_by"] for p in photos if p["id"] == first)
            return holder_email

        assert holder() == "ana@ecole.test"
        closed_at = time.monotonic()
        page.close()
        while holder() is not None:
            assert time.monotonic() - closed_at < 5, "the claim outlived its tab"
            time.sleep(0.1)
    assert time.monotonic() - closed_at < 5


def test_reject_with_a_reason_key_shows_in_the_audit_csv_and_the_rejected_tab(
    live_server: LiveServer, settings: Settings
) -> None:
    asyncio.run(add_moderator(settings))  # an admin, who may export the audit log
    photo_id = asyncio.run(network_photo(settings, caption="Une photo hors sujet"))
    with chromium() as browser:
        page = moderator_page(browser, live_server, "admin@ecole.test")
        assert wait_holding_other_than(page, "") == photo_id
        with page.expect_response(lambda r: "/decision" in r.url) as answer:
            page.keyboard.press("1")
        assert answer.value.status == 200
        page.click(".mod-tabs [data-status=rejected]")
        page.wait_for_selector(f"#mod-queue li[data-id='{photo_id}'] .mod-decision")
        line = page.inner_text(f"#mod-queue li[data-id='{photo_id}'] .mod-decision")
        assert REJECTION_REASONS["off_topic"] in line
    with api(live_server, "admin@ecole.test") as http:
        rows = list(csv.DictReader(io.StringIO(http.get("/api/moderation/audit.csv").text)))
    (row,) = [r for r in rows if r["action"] == "decision.reject"]
    assert row["photo_id"] == photo_id
    assert f"reason_code=off_topic ({REJECTION_REASONS['off_topic']})" in row["details"]


def test_sticky_header_zoom_facts_and_contrast_at_1366x768_and_on_login(
    live_server: LiveServer, settings: Settings
) -> None:
    asyncio.run(add_moderator(settings))
    media = {
        "display": {"name": "a" * 40 + ".jpg", "width": 1600, "height": 1200},
        "thumb": {"name": "b" * 40 + ".jpg", "width": 400, "height": 300},
        "display_private": {"name": "c" * 40 + ".jpg", "width": 1600, "height": 1200},
        "thumb_private": {"name": "d" * 40 + ".jpg", "width": 400, "height": 300},
    }
    blurred = asyncio.run(
        network_photo(
            settings,
            source="upload",
            media=media,
            flags=["low_green"],
            age_confirmation="guardian_consent",
            school="École des Érables",
            region="Estrie",
            show_name=False,
            submitted_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
        )
    )
    asyncio.run(many_pending(settings, 30))
    with chromium() as browser:
        page = moderator_page(browser, live_server, "admin@ecole.test")
        assert wait_holding_other_than(page, "") == blurred
        item = page.locator(f"#mod-queue li[data-id='{blurred}']")
        facts = item.locator(".mod-facts").inner_text()
        for expected in ("moins de 14 ans", "École des Érables", "Estrie", "Nom affiché"):
            assert expected in facts
        assert "Peu de vert" in item.locator(".flags").inner_text()
        assert "moins de vert que le seuil" in item.locator(".flags").inner_text()
        assert item.locator("img").get_attribute("src") == "/media/" + "a" * 40 + ".jpg"

        page.keyboard.press("z")  # the unblurred original, full size
        page.wait_for_selector("#mod-zoom:not([hidden])")
        assert page.get_attribute("#mod-zoom-img", "src") == "/media/" + "c" * 40 + ".jpg"
        assert "non flouté" in page.inner_text("#mod-zoom-note")
        page.keyboard.press("Escape")
        page.wait_for_selector("#mod-zoom", state="hidden")
        item.locator("img").click()  # a click zooms too
        page.wait_for_selector("#mod-zoom:not([hidden])")
        page.keyboard.press("Escape")

        page.wait_for_function("document.getElementById('stat-pending').textContent === '31'")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_function("window.scrollY > 1000")
        top = page.locator("#mod-top").bounding_box()
        assert top is not None and top["y"] == 0 and top["height"] < 768 / 2
        for selector in ("#stat-pending", "#mod-hint", ".mod-tabs"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= top["height"]
        assert "annuler la dernière décision" in page.inner_text("#mod-hint")
        assert "admin@ecole.test" in page.inner_text("#mod-online")

        problems = low_contrast(page)
        page.goto(f"{live_server.url}/moderation/admin")
        page.wait_for_selector("#moderators tr")
        problems += low_contrast(page)
        login = browser.new_page()
        for lang, html_lang in (("fr", "fr-CA"), ("en", "en-CA")):
            login.goto(f"{live_server.url}/login?lang={lang}")
            assert login.get_attribute("html", "lang") == html_lang
            problems += low_contrast(login)
        assert sorted(set(problems)) == [], "\n".join(sorted(set(problems)))


def test_axe_finds_nothing_serious_on_login_moderation_and_admin_pages(
    live_server: LiveServer, settings: Settings
) -> None:
    script = axe_script()
    asyncio.run(add_moderator(settings))
    asyncio.run(network_photo(settings, flags=["sensitive"], green_score=0.0))
    asyncio.run(many_pending(settings, 3))
    with chromium() as browser:
        login = browser.new_page()
        login.goto(f"{live_server.url}/login")
        found = serious_violations(login, script) + low_contrast(login)
        page = moderator_page(browser, live_server, "admin@ecole.test")
        wait_holding_other_than(page, "")
        found += serious_violations(page, script)
        page.goto(f"{live_server.url}/moderation/admin")
        page.wait_for_selector("#moderators tr")
        found += serious_violations(page, script)
    assert found == [], "\n".join(found)


def test_removal_requests_show_a_parents_description_and_the_photo_found_by_number(
    live_server: LiveServer, settings: Settings
) -> None:
    asyncio.run(add_moderator(settings, email="ana@ecole.test", role="moderator"))
    photo_id = asyncio.run(network_photo(settings))  # pending, as polled
    number = photo_number(photo_id)
    with httpx.Client(base_url=live_server.url) as http:
        by_number = {"photo_ref": f"n° {number}", "reason": "C'est ma fille."}
        described = {"description": "Vers 10 h, trois élèves en vert", "reason": "Mon fils."}
        for form in (by_number, described):
            assert http.post("/removal-request", data=form).status_code == 201
    with chromium() as browser:
        page = moderator_page(browser, live_server, "ana@ecole.test")
        page.click("button[data-status=requests]")
        page.wait_for_selector("#mod-requests li >> nth=1")
        shown = page.inner_text("#mod-requests")
    assert f"photo n°\u00a0{number} (en attente)" in shown
    assert "Description\u00a0: Vers 10 h, trois élèves en vert" in shown
    assert "aucune photo trouvée\u00a0: chercher d'après la description" in shown
    assert " :" not in shown.replace("\u00a0:", "")  # every colon after a non-breaking space
