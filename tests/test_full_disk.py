"""A full disk for real: a 2 MB tmpfs mounted as ``WALL_DATA_DIR``.

Uploads meeting it get ``507 disk_full`` with the JSON form (or the French
page), nothing of them stays behind, and uploads work again once space is
freed. Mounting needs root (and CAP_SYS_ADMIN): elsewhere these tests skip
and say so, except in CI (``CI`` set), where they must run.
"""

from __future__ import annotations

import errno
import io
import os
import random
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.async_api import FilePayload, async_playwright, expect

from tests.browser import ARGS, CHROMIUM, require_chromium
from tests.factories import upload
from tests.live import LiveServer
from tests.web.conftest import serving, stored
from wall.app import create_app
from wall.config import Settings
from wall.media import MediaStore, process_image

PAGE = 4096
FULL_MESSAGE = (
    "Le serveur n'a plus d'espace pour enregistrer les photos. Réessaie un peu plus tard."
)


def noisy_jpeg(width: int = 400, height: int = 300, seed: int = 7) -> bytes:
    """A photo that compresses badly, so that its copies take room on the small disk."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A fresh 2 MB tmpfs, unmounted afterwards."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        problem = result.stderr.strip() if result.returncode else ""
    except FileNotFoundError:
        problem = "no mount command"
    if problem:
        why = f"cannot mount a tmpfs ({problem}): the full-disk tests need root"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def disk_settings(settings: Settings, small_disk: Path) -> Settings:
    return settings.replace(data_dir=str(small_disk / "data"))


def fill(directory: Path, leave_free: int = 0) -> Path:
    """Write a file until the disk is full, then give back ``leave_free`` bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    filler = directory / "filler.bin"
    chunk = b"\0" * (64 * 1024)
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(chunk)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            # What the buffer still holds cannot be written either.
            handle.truncate(handle.tell())
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - size % PAGE - leave_free))
    return filler


def pages(size: int) -> int:
    return -(-size // PAGE) * PAGE


def left_behind(settings: Settings) -> list[str]:
    """Spool and media files (the filler aside)."""
    found = []
    for folder in (settings.data_path / "tmp", settings.media_path):
        if folder.is_dir():
            found += [f"{folder.name}/{p.name}" for p in folder.iterdir()]
    return found


@pytest.fixture
async def client(disk_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(disk_settings) as http:
        yield http


async def test_a_full_disk_answers_507_and_uploads_resume_once_space_is_freed(
    client: httpx.AsyncClient, disk_settings: Settings
) -> None:
    filler = fill(disk_settings.data_path)
    photo = noisy_jpeg()

    refused = await upload(client, photo)

    assert refused.status_code == 507, refused.text
    assert refused.headers["content-type"] == "application/json"
    assert refused.json() == {
        "error": "disk_full",
        "message": FULL_MESSAGE,
        "message_en": "The server has no room left to store photos. "
        "Please try again a little later.",
    }
    assert left_behind(disk_settings) == []
    assert (await stored(disk_settings)).photos == 0

    # The plain form (no JavaScript) gets the French page with the same sentence.
    page = await client.post(
        "/upload",
        data={"consent": "yes", "everyone_agrees": "yes", "age_confirmation": "14_or_older"},
        files={"photo": ("photo.jpg", photo, "image/jpeg")},
    )
    assert page.status_code == 507
    assert page.headers["content-type"].startswith("text/html")
    assert FULL_MESSAGE.replace("'", "&#39;") in page.text

    filler.unlink()
    accepted = await upload(client, photo)
    assert accepted.status_code == 201, accepted.text
    after = await stored(disk_settings)
    assert after.photos == 1
    assert len(list(disk_settings.media_path.iterdir())) >= 2  # JPEG and WebP
    assert not list((disk_settings.data_path / "tmp").iterdir())


async def test_a_disk_filling_up_between_two_derivatives_leaves_none_of_them(
    client: httpx.AsyncClient, disk_settings: Settings, tmp_path: Path
) -> None:
    """Room for the spool copy and the first derivative, not for the second."""
    photo = noisy_jpeg()
    source = tmp_path / "photo.jpg"
    source.write_bytes(photo)
    scratch = MediaStore(tmp_path / "scratch")
    planned = process_image(source, scratch)
    first, second = planned.files[0], planned.files[1]
    second_size = (scratch.root / second.name).stat().st_size
    room = pages(len(photo)) + pages((scratch.root / first.name).stat().st_size) + 2 * PAGE
    assert second_size > 2 * PAGE
    shutil.rmtree(scratch.root)
    fill(disk_settings.data_path, leave_free=room)

    refused = await upload(client, photo)

    assert refused.status_code == 507, refused.text
    assert refused.json()["error"] == "disk_full"
    assert left_behind(disk_settings) == []
    assert (await stored(disk_settings)).photos == 0


@pytest.mark.browser
async def test_the_upload_page_says_in_french_that_the_disk_is_full(
    disk_settings: Settings,
) -> None:
    require_chromium()
    fill(disk_settings.data_path)
    server = LiveServer(create_app(disk_settings, null_pool=True))
    server.start()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=ARGS
            )
            try:
                page = await browser.new_page()
                await page.goto(f"{server.url}/upload")
                payload: FilePayload = {
                    "name": "photo.jpg",
                    "mimeType": "image/jpeg",
                    "buffer": noisy_jpeg(),
                }
                await page.set_input_files("#photo-input", files=[payload])
                await page.check("input[name=consent]")
                await page.check("input[name=everyone_agrees]")
                await page.check("input[name=age_confirmation][value='14_or_older']")
                await page.click("#upload-submit")
                await expect(page.locator("#upload-error")).to_have_text(FULL_MESSAGE)
                await expect(page.locator("#upload-form")).to_be_visible()
            finally:
                await browser.close()
    finally:
        server.stop()
    assert (await stored(disk_settings)).photos == 0
