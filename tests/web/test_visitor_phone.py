"""A visitor's whole path on a phone (390×844 Chromium) against a real uvicorn.

A 12 MP phone photo, lying on its side with EXIF orientation 6 and GPS, goes
through the real form: the browser shrinks it before sending, the server
stores it upright, and every page of the path (form, success, manage,
confirmation) fits the screen, with 44 px targets and AA contrast.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from PIL import Image
from playwright.async_api import Browser, FilePayload, Page, async_playwright, expect
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.browser import ARGS, CHROMIUM, require_chromium
from tests.factories import jpeg_bytes
from tests.live import LiveServer
from tests.media.factories import heic, photo
from tests.web.conftest import photo_row, stored
from tests.web.test_upload_browser import PHONE, THANKS, phone_page
from wall.app import create_app
from wall.config import Settings
from wall.db import Database
from wall.models import Photo

pytestmark = pytest.mark.browser

UPRIGHT = (3000, 4000)  # 12 MP, portrait as the visitor held the phone
RED = (200, 30, 30)
GREEN = (40, 160, 70)
BODY_LIMIT = 3 * 1024 * 1024


def phone_photo() -> bytes:
    """A 12 MP JPEG stored sideways (EXIF orientation 6) with GPS, as phones write it.

    Upright, its top quarter is red and the rest green; noise gives it the
    weight of a real photo (about 5 MB)."""
    width, height = UPRIGHT
    upright = Image.new("RGB", UPRIGHT, GREEN)
    upright.paste(RED, (0, 0, width, height // 4))
    upright = Image.blend(upright, Image.effect_noise(UPRIGHT, 40).convert("RGB"), 0.25)
    # Orientation 6 means "turn 90° clockwise to show": store it turned the other way.
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (46.0, 48.0, 52.0), 3: "W", 4: (71.0, 12.0, 29.0)}
    buffer = io.BytesIO()
    sideways.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


class BodySizes:
    """Records the size of each ``POST /upload`` body as the server receives it."""

    def __init__(self, app: ASGIApp, sizes: list[int]) -> None:
        self.app = app
        self.sizes = sizes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != ("POST", "/upload"):
            await self.app(scope, receive, send)
            return
        total = 0

        async def counting() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if not message.get("more_body", False):
                    self.sizes.append(total)  # before the answer leaves
            return message

        await self.app(scope, counting, send)


@pytest.fixture
def upload_sizes() -> list[int]:
    return []


@pytest.fixture
def server(app: Starlette, upload_sizes: list[int]) -> Iterator[LiveServer]:
    app.add_middleware(BodySizes, sizes=upload_sizes)
    live = LiveServer(app)
    live.start()
    try:
        yield live
    finally:
        live.stop()


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


# Run in the page: what a person would trip over.
TOO_SMALL = """() => {
  const targets = document.querySelectorAll(
    "button, summary, select, textarea, input:not([type=hidden]), a.button, .lang-switch a,"
    + " .removal-link a, .consent label");
  return [...targets].filter((el) => {
    if (el.closest(".trap") || el.closest("[hidden]") || el.offsetParent === null) return false;
    if (el.matches(".consent input")) return false;  // its whole label is the target
    const box = el.getBoundingClientRect();
    return box.height < 44 || box.width < 44;
  }).map((el) => el.outerHTML.slice(0, 80));
}"""

LOW_CONTRAST = """() => {
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => {
      c /= 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const value = rgb(getComputedStyle(el).backgroundColor);
      if (value.length < 4 || value[3] > 0) return value.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.offsetParent === null || el.closest(".trap")) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    const a = luminance(rgb(style.color)), b = luminance(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(style.fontSize) >= 24
      || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) found.push(`${ratio.toFixed(2)} ${el.outerHTML.slice(0, 60)}`);
  }
  return found;
}"""


async def fits_the_phone(page: Page) -> None:
    """No sideways scrolling, every target at least 44 px, AA contrast."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"
    assert await page.evaluate(TOO_SMALL) == [], page.url
    assert await page.evaluate(LOW_CONTRAST) == [], page.url


async def loaded(page: Page, selector: str) -> None:
    """The image at ``selector`` has arrived and decoded.

    Polled from here: ``wait_for_function`` polls with the page's timers, which
    a page without JavaScript never runs, so only its first check would count."""
    await expect(page.locator(selector)).to_be_visible()
    check = "(image) => image.complete && image.naturalWidth > 0"
    deadline = time.monotonic() + 30
    while not await page.eval_on_selector(selector, check):
        assert time.monotonic() < deadline, f"{selector} never loaded"
        await asyncio.sleep(0.1)


async def in_view(page: Page, selector: str) -> bool:
    box = await page.locator(selector).bounding_box()
    assert box is not None
    return box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


async def test_a_12_mp_photo_is_shrunk_stored_upright_and_the_whole_path_fits_the_phone(
    server: LiveServer, settings: Settings, browser: Browser, upload_sizes: list[int]
) -> None:
    photo = phone_photo()
    assert len(photo) > BODY_LIMIT, "the test photo must be heavier than the goal"
    page, errors = await phone_page(browser)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.goto(f"{server.url}/upload")
    await fits_the_phone(page)

    payload: FilePayload = {"name": "IMG_0042.JPG", "mimeType": "image/jpeg", "buffer": photo}
    await page.set_input_files("#photo-input", files=[payload])
    await expect(page.locator("#upload-preview")).to_be_visible()
    assert await in_view(page, "#upload-submit"), "the button must show without scrolling"
    assert await page.locator("#upload-details").get_attribute("open") is None  # folded
    await page.check("input[name=consent]")
    await page.check("input[name=everyone_agrees]")
    await page.check("input[name=age_confirmation][value='14_or_older']")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-done-title")).to_be_visible(timeout=30_000)
    await expect(page.locator("#upload-done-title")).to_have_text(THANKS)

    # Shrunk before sending: under 3 MB on the wire instead of about 5.
    assert len(upload_sizes) == 1 and upload_sizes[0] < BODY_LIMIT, upload_sizes
    # Stored upright: portrait, red on top.
    manage_url: str = await page.evaluate("document.getElementById('upload-manage-link').href")
    assert (await stored(settings)).photos == 1
    rows = await _only_photo(settings)
    display = rows.media["display"]
    assert display["height"] > display["width"]
    with Image.open(settings.media_path / display["name"]) as image:
        rgb = image.convert("RGB")
        top = rgb.getpixel((rgb.width // 2, rgb.height // 10))
        bottom = rgb.getpixel((rgb.width // 2, rgb.height * 9 // 10))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 120 and top[1] < 110, top  # red
    assert bottom[1] > 110 and bottom[0] < 110, bottom  # green

    # The success screen: the link wraps, copies, and comes as a QR code and a card.
    await fits_the_phone(page)
    await loaded(page, "#manage-qr")
    await loaded(page, "#share-card-image")
    await expect(page.locator("#manage-copy")).to_have_text("Copier le lien")
    await page.click("#manage-copy")
    await expect(page.locator("#manage-link-status")).to_have_text("Lien copié.")
    assert await page.evaluate("navigator.clipboard.readText()") == manage_url
    card_href = await page.get_attribute("#share-card-download", "href")
    assert card_href is not None and card_href.startswith(manage_url)

    # The manage page: thumbnail, status in French, deletion behind a confirmation.
    await page.goto(manage_url)
    await fits_the_phone(page)
    await loaded(page, "#manage-thumb")
    status = page.locator("#manage-status")
    await expect(status).to_have_text("État\u00a0: en attente de validation")
    await page.click("#manage-withdraw")
    await expect(page.locator("#confirm-title")).to_have_text("Retirer ta photo\u00a0?")
    await fits_the_phone(page)
    assert (await _only_photo(settings)).status == "pending"  # nothing deleted yet
    await page.click("#confirm-withdraw")
    await expect(page.locator("#manage-status")).to_contain_text("supprimée définitivement")
    assert (await _only_photo(settings)).status == "erased"
    assert errors == []


async def _only_photo(settings: Settings) -> Photo:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            ids = (await session.scalars(select(Photo.id))).all()
    finally:
        await db.dispose()
    assert len(ids) == 1
    return await photo_row(settings, ids[0])


async def validation_message(page: Page, selector: str) -> str:
    message: str = await page.eval_on_selector(selector, "(el) => el.validationMessage")
    return message


async def test_missing_photo_and_consent_are_refused_in_the_page_language_before_sending(
    server: LiveServer, settings: Settings, browser: Browser, upload_sizes: list[int]
) -> None:
    page, _ = await phone_page(browser)
    await page.goto(f"{server.url}/upload")
    await page.click("#upload-submit")
    assert await validation_message(page, "#photo-input") == "Choisis une photo à envoyer."
    assert await validation_message(page, "input[name=consent]") == (
        "Coche la case pour accepter que ta photo soit affichée sur le mur."
    )
    assert await validation_message(page, "input[name=age_confirmation]") == (
        "Indique si tu as 14\u00a0ans ou plus, ou si un parent ou tuteur a donné son accord."
    )
    # Ticking clears the message; a file of the wrong type gets its own.
    await page.check("input[name=consent]")
    assert await validation_message(page, "input[name=consent]") == ""
    pdf: FilePayload = {"name": "devoir.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1"}
    await page.set_input_files("#photo-input", files=[pdf])
    assert await validation_message(page, "#photo-input") == (
        "Ce fichier n'est pas une image acceptée (JPEG, PNG, WebP, HEIC ou GIF)."
    )
    await page.check("input[name=age_confirmation][value='guardian_consent']")
    await page.click("#upload-submit")
    assert upload_sizes == []  # nothing left the phone
    assert (await stored(settings)).photos == 0

    await page.goto(f"{server.url}/upload?lang=en")
    await page.click("#upload-submit")
    assert await validation_message(page, "#photo-input") == "Choose a photo to send."
    assert await validation_message(page, "input[name=consent]") == (
        "Tick the box to agree that your photo is shown on the wall."
    )


async def test_a_heic_photo_over_the_size_limit_is_refused_before_sending(
    settings: Settings, browser: Browser
) -> None:
    app = create_app(settings.replace(max_upload_mb=1), null_pool=True)
    live = LiveServer(app)
    live.start()
    try:
        page, _ = await phone_page(browser)
        await page.goto(f"{live.url}/upload")
        heavy: FilePayload = {
            "name": "IMG_0001.HEIC",
            "mimeType": "image/heic",
            "buffer": b"\0" * (1024 * 1024 + 1),
        }
        await page.set_input_files("#photo-input", files=[heavy])
        assert await validation_message(page, "#photo-input") == (
            "La photo est trop volumineuse (maximum 1\u00a0Mo)."
        )
    finally:
        live.stop()


async def test_sending_shows_a_percentage_and_can_be_cancelled(
    server: LiveServer, settings: Settings, browser: Browser
) -> None:
    page, _ = await phone_page(browser)
    await page.goto(f"{server.url}/upload")
    # Slow 3G's upload speed, so that sending takes long enough to watch.
    cdp = await page.context.new_cdp_session(page)
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 400,
            "downloadThroughput": 50_000,
            "uploadThroughput": 50_000,
        },
    )
    # A PNG too small to be redrawn, heavy enough to take seconds on that line.
    noise = Image.effect_noise((700, 700), 60).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    payload: FilePayload = {
        "name": "bruit.png",
        "mimeType": "image/png",
        "buffer": buffer.getvalue(),
    }
    await page.set_input_files("#photo-input", files=[payload])
    await page.check("input[name=consent]")
    await page.check("input[name=everyone_agrees]")
    await page.check("input[name=age_confirmation][value='14_or_older']")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-cancel")).to_be_visible()
    await expect(page.locator("#upload-percent")).to_have_text(re.compile(r"^\d{1,3}\u00a0%$"))
    assert await in_view(page, "#upload-cancel")
    await page.click("#upload-cancel")
    await expect(page.locator("#upload-error")).to_have_text(
        "Envoi annulé. Tu peux réessayer quand tu veux."
    )
    await expect(page.locator("#upload-submit")).to_be_enabled()
    await expect(page.locator("#upload-cancel")).to_be_hidden()
    assert (await stored(settings)).photos == 0


async def test_without_javascript_the_success_page_fits_and_deleting_still_asks_first(
    server: LiveServer, settings: Settings, browser: Browser
) -> None:
    page, errors = await phone_page(browser, javascript=False)
    await page.goto(f"{server.url}/upload")
    payload: FilePayload = {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}
    await page.set_input_files("#photo-input", files=[payload])
    await page.check("input[name=consent]")
    await page.check("input[name=everyone_agrees]")
    await page.check("input[name=age_confirmation][value='14_or_older']")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-done-title")).to_have_text(THANKS)
    await fits_the_phone(page)
    await loaded(page, "#manage-qr")
    await loaded(page, "#share-card-image")
    await expect(page.locator("#manage-copy")).to_be_hidden()  # needs the script
    manage_url = await page.get_attribute("#upload-manage-link", "href")
    assert manage_url is not None
    await page.goto(manage_url)
    await page.click("#manage-withdraw")
    await fits_the_phone(page)
    assert (await _only_photo(settings)).status == "pending"
    await page.click("#keep-photo")  # changed their mind
    assert page.url == manage_url
    await page.click("#manage-withdraw")
    await page.click("#confirm-withdraw")
    await expect(page.locator("#manage-status")).to_contain_text("supprimée définitivement")
    assert (await _only_photo(settings)).status == "erased"
    assert errors == []


async def test_heic_goes_as_it_is_and_a_big_png_is_redrawn_as_a_jpeg(
    server: LiveServer, settings: Settings, browser: Browser, upload_sizes: list[int]
) -> None:
    iphone = heic(photo(1200, 900))
    big_png = io.BytesIO()
    Image.effect_noise((3000, 2000), 50).convert("RGB").save(big_png, "PNG")
    assert big_png.tell() > BODY_LIMIT
    for name, mime, data in (
        ("IMG_0001.HEIC", "image/heic", iphone),
        ("capture.png", "image/png", big_png.getvalue()),
    ):
        page, errors = await phone_page(browser)
        await page.goto(f"{server.url}/upload")
        payload: FilePayload = {"name": name, "mimeType": mime, "buffer": data}
        await page.set_input_files("#photo-input", files=[payload])
        await page.check("input[name=consent]")
        await page.check("input[name=everyone_agrees]")
        await page.check("input[name=age_confirmation][value='14_or_older']")
        await page.click("#upload-submit")
        await expect(page.locator("#upload-done-title")).to_be_visible(timeout=30_000)
        assert errors == []
    heic_body, png_body = upload_sizes
    assert len(iphone) < heic_body < len(iphone) + 4096  # the file and the form around it
    assert png_body < BODY_LIMIT
    assert (await stored(settings)).photos == 2


async def test_the_sign_in_page_fits_the_phone_too(server: LiveServer, browser: Browser) -> None:
    page, errors = await phone_page(browser)
    for address in ("/login", "/login?lang=en"):
        await page.goto(server.url + address)
        assert await page.get_attribute("html", "lang") in ("fr-CA", "en-CA")
        await fits_the_phone(page)
    assert errors == []


# A phone's share sheet, recorded: headless Chromium on Linux has none.
SHARE_SHEET = """
window.shared = [];
navigator.share = async (data) => { window.shared.push(data.url || data.files[0].name); };
navigator.canShare = (data) => true;
"""
NO_SHARE_SHEET = "delete Navigator.prototype.share; delete Navigator.prototype.canShare;"


async def send_small_photo(page: Page, server: LiveServer) -> str:
    await page.goto(f"{server.url}/upload")
    payload: FilePayload = {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    await page.set_input_files("#photo-input", files=[payload])
    await page.check("input[name=consent]")
    await page.check("input[name=everyone_agrees]")
    await page.check("input[name=age_confirmation][value='14_or_older']")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-done-title")).to_be_visible()
    href = await page.get_attribute("#upload-manage-link", "href")
    assert href is not None
    return href


async def test_the_share_buttons_use_the_share_sheet_or_else_copy(
    server: LiveServer, browser: Browser
) -> None:
    page, errors = await phone_page(browser)
    await page.add_init_script(SHARE_SHEET)
    manage_url = await send_small_photo(page, server)
    await page.click("#manage-share")
    await page.click("#share-card-share")
    await page.wait_for_function("() => window.shared.length === 2")
    assert await page.evaluate("window.shared") == [manage_url, "perséVERT2024.jpg"]
    assert errors == []

    page, errors = await phone_page(browser)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.add_init_script(NO_SHARE_SHEET)
    manage_url = await send_small_photo(page, server)
    # Without a share sheet, sharing the link copies it, and the card is downloaded.
    await expect(page.locator("#share-card-share")).to_be_hidden()
    await expect(page.locator("#share-card-download")).to_be_visible()
    await page.click("#manage-share")
    await expect(page.locator("#manage-link-status")).to_have_text("Lien copié.")
    assert await page.evaluate("navigator.clipboard.readText()") == manage_url
    async with page.expect_download() as download:
        await page.click("#share-card-download")
    assert (await download.value).suggested_filename == "perséVERT2024.jpg"
    assert errors == []
