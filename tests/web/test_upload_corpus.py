"""The hostile corpus, through HTTP: each case refused cleanly, nothing stored.

Refusals run one after another against one app, then the server must still
answer and the database and data directory must hold no trace of them.
Accepted oddities (metadata, orientation, colour modes, polyglots, hostile file
names) are approved and their served bytes checked.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.factories import UPLOAD_FIELDS, decide, sign_in
from tests.media import factories as make
from tests.media.test_pipeline import STORED_AS, near
from tests.web.conftest import Stored, files_under, serving, stored
from tests.web.test_upload_intake import sof_resized
from wall.config import Settings

JSON = {"Accept": "application/json"}
HTML_PAYLOAD = b"<html><body><script>alert('polyglot')</script></body></html>"
CORPUS_MAX_MB = 2
MB = 1024 * 1024


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "vagueVERTE") -> bytes:
    """A multipart body written by hand: (name, file name or None, content) per part."""
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: image/jpeg\r\n"
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def form_parts(photo: bytes | None = None, filename: str = "photo.jpg", **fields: str) -> bytes:
    values = {**UPLOAD_FIELDS, **fields}
    parts: list[tuple[str, str | None, bytes]] = [(k, None, v.encode()) for k, v in values.items()]
    if photo is not None:
        parts.append(("photo", filename, photo))
    return multipart(parts)


@dataclass(frozen=True)
class Case:
    """One request: a photo and fields, or a raw body with its headers."""

    photo: bytes | None = None
    fields: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    filename: str = "photo.jpg"

    async def send(self, client: httpx.AsyncClient) -> httpx.Response:
        if self.raw is not None:
            headers = {
                **JSON,
                "Content-Type": "multipart/form-data; boundary=vagueVERTE",
                **self.headers,
            }
            return await client.post("/upload", content=self.raw, headers=headers)
        data = {**UPLOAD_FIELDS, **self.fields}
        files = {"photo": (self.filename, self.photo or b"", "image/jpeg")}
        return await client.post("/upload", data=data, files=files, headers=JSON)


def image(fmt: str, size: tuple[int, int] = (400, 300), **params: object) -> bytes:
    return make.encoded(make.photo(*size), fmt, **params)


def png(size: tuple[int, int]) -> bytes:
    return make.encoded(Image.new("RGB", size, (30, 160, 60)), "PNG")


JPEG = image("JPEG")
PNG = image("PNG")
HOSTILE: dict[str, tuple[Callable[[], Case], int, str]] = {
    "empty file": (lambda: Case(b""), 422, "empty_file"),
    "text renamed .jpg": (
        lambda: Case(b"Bonjour, je ne suis pas une image.\n"),
        415,
        "unsupported_media",
    ),
    "html renamed .jpg": (lambda: Case(HTML_PAYLOAD), 415, "unsupported_media"),
    "pdf renamed .jpg": (
        lambda: Case(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
        415,
        "unsupported_media",
    ),
    "zip renamed .jpg": (
        lambda: Case(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40),
        415,
        "unsupported_media",
    ),
    "elf renamed .jpg": (
        lambda: Case(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56),
        415,
        "unsupported_media",
    ),
    "svg with script": (
        lambda: Case(
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="400" '
            b'height="400"><script>alert(1)</script><rect width="400" height="400"/></svg>',
            filename="photo.svg",
        ),
        415,
        "unsupported_media",
    ),
    "bmp (a real image, not accepted)": (lambda: Case(image("BMP")), 415, "unsupported_media"),
    "tiff (a real image, not accepted)": (lambda: Case(image("TIFF")), 415, "unsupported_media"),
    "ico (a real image, not accepted)": (
        lambda: Case(image("ICO", (256, 256))),
        415,
        "unsupported_media",
    ),
    "truncated jpeg": (lambda: Case(JPEG[: len(JPEG) // 2]), 415, "corrupt_image"),
    "truncated png": (lambda: Case(PNG[: len(PNG) // 2]), 415, "corrupt_image"),
    "gif header then html": (lambda: Case(b"GIF89a" + HTML_PAYLOAD), 415, "corrupt_image"),
    "jpeg header then html": (
        lambda: Case(b"\xff\xd8\xff\xe0" + HTML_PAYLOAD),
        415,
        "corrupt_image",
    ),
    "png claiming 30000x30000": (
        lambda: Case(make.png_header_only(30000, 30000)),
        413,
        "too_many_pixels",
    ),
    "jpeg claiming 200 megapixels": (
        lambda: Case(sof_resized(JPEG, 16320, 12240)),
        413,
        "too_many_pixels",
    ),
    "1x1 image": (lambda: Case(png((1, 1))), 422, "image_too_small"),
    "20000x2 image": (lambda: Case(png((20000, 2))), 422, "image_too_small"),
    "3000x250 image": (lambda: Case(png((3000, 250))), 422, "bad_aspect_ratio"),
    "file over the byte cap": (lambda: Case(os.urandom(CORPUS_MAX_MB * MB + 1)), 413, "too_large"),
    "content-length over the cap": (
        lambda: Case(raw=form_parts(JPEG), headers={"Content-Length": str(60 * MB)}),
        413,
        "too_large",
    ),
    "content-length not a number": (
        lambda: Case(raw=form_parts(JPEG), headers={"Content-Length": "douze"}),
        400,
        "bad_content_length",
    ),
    "multipart with no file": (lambda: Case(raw=form_parts(None)), 422, "photo_required"),
    "photo sent as a text field": (
        lambda: Case(
            raw=multipart(
                [("photo", None, JPEG), *[(k, None, v.encode()) for k, v in UPLOAD_FIELDS.items()]]
            )
        ),
        422,
        "photo_required",
    ),
    "two files": (
        lambda: Case(
            raw=form_parts(JPEG)[: -len("--vagueVERTE--\r\n")]
            + multipart([("photo", "b.jpg", JPEG)])
        ),
        400,
        "malformed_form",
    ),
    "a file under another name too": (
        lambda: Case(
            raw=form_parts(JPEG)[: -len("--vagueVERTE--\r\n")]
            + multipart([("extra", "x.jpg", JPEG)])
        ),
        400,
        "malformed_form",
    ),
    "broken boundary": (
        lambda: Case(
            raw=form_parts(JPEG), headers={"Content-Type": "multipart/form-data; boundary=autre"}
        ),
        400,
        "malformed_form",
    ),
    "multipart without a boundary": (
        lambda: Case(raw=form_parts(JPEG), headers={"Content-Type": "multipart/form-data"}),
        400,
        "malformed_form",
    ),
    "too many fields": (
        lambda: Case(raw=multipart([(f"f{i}", None, b"x") for i in range(40)])),
        400,
        "malformed_form",
    ),
    "a 20 kB text field": (lambda: Case(JPEG, {"caption": "v" * 20_000}), 400, "malformed_form"),
    "json instead of a form": (
        lambda: Case(raw=b'{"consent": "yes"}', headers={"Content-Type": "application/json"}),
        422,
        "consent_required",
    ),
    "missing consent": (lambda: Case(JPEG, {"consent": ""}), 422, "consent_required"),
    "consent no": (lambda: Case(JPEG, {"consent": "no"}), 422, "consent_required"),
    "consent oui": (lambda: Case(JPEG, {"consent": "oui"}), 422, "consent_required"),
    "missing age confirmation": (
        lambda: Case(JPEG, {"age_confirmation": ""}),
        422,
        "age_confirmation_required",
    ),
    "age confirmation 13": (
        lambda: Case(JPEG, {"age_confirmation": "13"}),
        422,
        "age_confirmation_required",
    ),
    "caption of 281 characters": (
        lambda: Case(JPEG, {"caption": "é" * 281}),
        422,
        "caption_too_long",
    ),
    "name of 61 characters": (
        lambda: Case(JPEG, {"display_name": "L" * 61}),
        422,
        "display_name_too_long",
    ),
    "school of 121 characters": (lambda: Case(JPEG, {"school": "É" * 121}), 422, "school_too_long"),
    "unknown region": (lambda: Case(JPEG, {"region": "Nunavut"}), 422, "unknown_region"),
    "NUL in the caption": (lambda: Case(JPEG, {"caption": "vert\x00vert"}), 422, "invalid_caption"),
    "escape sequence in the caption": (
        lambda: Case(JPEG, {"caption": "\x1b[31mrouge"}),
        422,
        "invalid_caption",
    ),
    "right-to-left override in the name": (
        lambda: Case(JPEG, {"display_name": "Léa\u202egpj"}),
        422,
        "invalid_display_name",
    ),
    "bell in the school": (lambda: Case(JPEG, {"school": "École\x07"}), 422, "invalid_school"),
    "honeypot filled": (
        lambda: Case(JPEG, {"website": "https://spam.example"}),
        422,
        "spam_suspected",
    ),
    "upload key with a path": (
        lambda: Case(JPEG, {"upload_key": "../../../../etc/passwd"}),
        422,
        "invalid_upload_key",
    ),
}


@pytest.fixture
def corpus_settings(settings: Settings) -> Settings:
    return settings.replace(max_upload_mb=CORPUS_MAX_MB, max_pending_per_client=0)


async def test_the_hostile_corpus_is_refused_and_leaves_no_trace(
    corpus_settings: Settings,
) -> None:
    assert len(HOSTILE) >= 40
    wrong: list[str] = []
    async with serving(corpus_settings) as client:
        for name, (build, status, code) in HOSTILE.items():
            response = await build().send(client)
            body = (
                response.json()
                if response.headers["content-type"].startswith("application/json")
                else {}
            )
            got = (response.status_code, body.get("error"))
            if got != (status, code) or not body.get("message"):
                wrong.append(f"{name}: expected {(status, code)}, got {got} {response.text[:200]}")
        health = await client.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert wrong == []
    assert await stored(corpus_settings) == Stored(photos=0, media_rows=0, files=[])


async def test_a_60_mb_body_declared_up_front_is_refused_before_it_is_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(60):
            sent += MB
            yield b"\0" * MB

    response = await client.post(
        "/upload",
        content=body(),
        headers={
            **JSON,
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(60 * MB),
        },
    )
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
    assert settings.max_upload_mb == 25
    assert sent == 0
    assert await stored(settings) == Stored(0, 0, [])


async def test_a_60_mb_streamed_body_is_cut_off_at_the_cap(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent = 0
    head = form_parts(None)[: -len("--vagueVERTE--\r\n")]
    head += (
        b'--vagueVERTE\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\n\r\n'
    )

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        sent += len(head)
        yield head
        for _ in range(60):
            sent += MB
            yield b"\xff" * MB

    response = await client.post(
        "/upload",
        content=body(),
        headers={**JSON, "Content-Type": "multipart/form-data; boundary=vagueVERTE"},
    )
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
    # The body stops being read one chunk past the 25 MB cap.
    assert sent <= 27 * MB
    assert await stored(settings) == Stored(0, 0, [])


def oriented(orientation: int) -> bytes:
    upright = make.quadrant_marker(400, 300)
    transform = STORED_AS[orientation]
    stored_as = upright.transpose(transform) if transform is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    return make.encoded(stored_as, "JPEG", exif=exif, quality=95)


def rgba_png() -> bytes:
    picture = make.photo(400, 300).convert("RGBA")
    picture.putalpha(Image.linear_gradient("L").resize((400, 300)))
    return make.encoded(picture, "PNG")


TRAVERSAL = "../../../../tmp/passwd-traversal.jpg"
CONTROL = "photo\x01\x1b[2J\t\u202egpj.exe"
ACCEPTED: dict[str, Callable[[], Case]] = {
    "jpeg with gps exif": lambda: Case(make.jpeg_with_everything(make.photo(900, 700))),
    "png with gps exif": lambda: Case(
        make.png_with_everything(make.photo(700, 500, seed=4)), filename="photo.png"
    ),
    "webp with gps exif": lambda: Case(
        make.webp_with_everything(make.photo(700, 500, seed=5)), filename="photo.webp"
    ),
    "heic with gps exif": lambda: Case(
        make.heic_with_everything(make.photo(640, 480, seed=6)), filename="photo.heic"
    ),
    "gif/html polyglot": lambda: Case(
        make.encoded(make.photo(400, 300).convert("P"), "GIF", comment=HTML_PAYLOAD) + HTML_PAYLOAD
    ),
    "jpeg/html polyglot": lambda: Case(image("JPEG", comment=HTML_PAYLOAD) + HTML_PAYLOAD),
    "path traversal in the file name": lambda: Case(
        raw=form_parts(
            image("JPEG", (410, 300)),
            filename=TRAVERSAL,
        )
    ),
    "control characters in the file name": lambda: Case(
        raw=form_parts(image("JPEG", (420, 300)), filename=CONTROL)
    ),
    "cmyk jpeg": lambda: Case(
        make.encoded(Image.new("CMYK", (400, 300), (200, 0, 200, 0)), "JPEG")
    ),
    "16-bit png": lambda: Case(make.png16_rgb(np.full((300, 400, 3), (5000, 40000, 9000)))),
    "png with alpha": lambda: Case(rgba_png()),
    "animated gif": lambda: Case(make.animated("GIF", [(30, 160, 60), (200, 20, 20)], (400, 300))),
    "animated webp": lambda: Case(
        make.animated("WEBP", [(30, 160, 60), (200, 20, 20)], (400, 300))
    ),
    "heic": lambda: Case(make.heic(make.photo(640, 480, seed=3))),
    **{f"exif orientation {n}": (lambda n=n: Case(oriented(n))) for n in range(1, 9)},  # type: ignore[misc]
}


async def test_odd_but_valid_photos_are_accepted_and_served_clean(
    corpus_settings: Settings,
) -> None:
    async with serving(corpus_settings) as client:
        ids: dict[str, str] = {}
        for name, build in ACCEPTED.items():
            response = await build().send(client)
            assert response.status_code == 201, (name, response.text)
            ids[name] = response.json()["id"]
        csrf = await sign_in(client, corpus_settings)
        served: dict[str, dict[str, bytes]] = {}
        for name, photo_id in ids.items():
            approved = await decide(client, csrf, photo_id, "approve")
            assert approved.status_code == 200, approved.text
            urls = approved.json()["image"]
            served[name] = {}
            for key in ("url", "thumb_url", "webp_url", "thumb_webp_url"):
                response = await client.get(urls[key])
                assert response.status_code == 200, (name, key)
                served[name][key] = response.content

    for name, files in served.items():
        for key, data in files.items():
            for marker in (
                b"Exif",
                b"GPS",
                b"ICC_PROFILE",
                b"http://ns.adobe.com/xap",
                b"<script",
                b"<html",
                make.SECRET_COMMENT,
                make.SECRET_CAMERA,
                *make.GPS_LATITUDE_DEGREES,
            ):
                assert marker not in data, (name, key, marker)
            with Image.open(io.BytesIO(data)) as picture:
                assert picture.format in ("JPEG", "WEBP")
                assert picture.mode == "RGB" and len(picture.getexif()) == 0
                assert not picture.getexif().get_ifd(0x8825), (name, key)  # no GPS IFD
                assert "xmp" not in picture.info and "exif" not in picture.info, (name, key)
                assert "comment" not in picture.info and "icc_profile" not in picture.info
    for n in range(1, 9):
        upright = Image.open(io.BytesIO(served[f"exif orientation {n}"]["url"])).convert("RGB")
        assert upright.size == (400, 300), n
        assert near(pixel(upright, 0.1, 0.1), make.RED), n
        assert near(pixel(upright, 0.9, 0.1), make.BLUE), n
        assert near(pixel(upright, 0.1, 0.9), make.BLUE), n

    everything = files_under(corpus_settings.data_path)
    assert not [f for f in everything if "passwd" in f or "gpj" in f or "\x01" in f]
    assert not os.path.exists("/tmp/passwd-traversal.jpg")  # noqa: ASYNC240
    around = files_under(corpus_settings.data_path.parent)  # the test's whole directory
    assert not [f for f in around if "passwd" in f or "gpj" in f or "\x01" in f]
    # public/media/ holds hard links to approved photos' files in media/.
    assert all(f.startswith(("media/", "public/media/")) or f == "secret_key" for f in everything)
    state = await stored(corpus_settings)
    assert state.photos == len(ACCEPTED)


def pixel(picture: Image.Image, x: float, y: float) -> tuple[int, ...]:
    value = picture.getpixel((int(x * (picture.width - 1)), int(y * (picture.height - 1))))
    assert isinstance(value, tuple)
    return value
