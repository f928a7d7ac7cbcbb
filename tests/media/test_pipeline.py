from __future__ import annotations

import io
from pathlib import Path

import anyio
import numpy as np
import pytest
from PIL import Image

from tests.media import factories as make
from wall.errors import WallError
from wall.media import (
    MediaLimits,
    MediaStore,
    ProcessedImage,
    hamming,
    process_image,
    process_image_async,
)
from wall.media.decode import decode_image

PUBLIC_KINDS = {"display", "display_webp", "thumb", "thumb_webp"}


def stored_files(store: MediaStore) -> list[Path]:
    return sorted(store.root.iterdir()) if store.root.exists() else []


def refuse(path: Path, store: MediaStore, code: str, limits: MediaLimits | None = None) -> int:
    with pytest.raises(WallError) as caught:
        process_image(path, store, limits)
    assert caught.value.code == code
    assert caught.value.message
    assert stored_files(store) == []
    return caught.value.status


def assert_clean(store: MediaStore, result: ProcessedImage) -> None:
    """Every stored file decodes, matches its record, and carries no metadata."""
    for stored in result.files:
        path = store.path(stored.name)
        assert path is not None
        raw = path.read_bytes()
        for marker in (b"Exif", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"<script", b"<html"):
            assert marker not in raw, (stored.kind, marker)
        with Image.open(path) as image:
            assert Image.MIME[image.format or ""] == stored.content_type
            assert image.size == (stored.width, stored.height)
            assert image.mode == "RGB"
            assert len(image.getexif()) == 0
            for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"):
                assert key not in image.info, (stored.kind, key)


def pixel(
    store: MediaStore, result: ProcessedImage, kind: str, xy: tuple[float, float]
) -> tuple[int, ...]:
    stored = result.pick(kind)
    path = store.path(stored.name)
    assert path is not None
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        value = rgb.getpixel((int(xy[0] * (rgb.width - 1)), int(xy[1] * (rgb.height - 1))))
    assert isinstance(value, tuple)
    return value


def near(actual: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


# --- refusals -----------------------------------------------------------------


def test_empty_file_is_refused(uploads: Path, store: MediaStore) -> None:
    assert refuse(make.write(uploads, "photo.jpg", b""), store, "empty_file") == 422


@pytest.mark.parametrize(
    "data",
    [
        b"Bonjour, ceci n'est pas une photo.\n",
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40,
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56,
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="400" '
        b'height="400"><script>alert(document.cookie)</script><rect width="400" '
        b'height="400"/></svg>',
        b"    ",
    ],
    ids=["text", "html", "pdf", "zip", "elf", "svg", "spaces"],
)
def test_non_images_named_jpg_are_refused_by_content(
    uploads: Path, store: MediaStore, data: bytes
) -> None:
    assert refuse(make.write(uploads, "photo.jpg", data), store, "unsupported_media") == 415


def test_truncated_jpeg_is_refused(uploads: Path, store: MediaStore) -> None:
    data = make.encoded(make.photo(), "JPEG", quality=90)
    path = make.write(uploads, "cut.jpg", data[: len(data) // 2])
    assert refuse(path, store, "corrupt_image") == 415


def test_truncated_png_is_refused(uploads: Path, store: MediaStore) -> None:
    data = make.encoded(make.photo(), "PNG")
    refuse(make.write(uploads, "cut.png", data[: len(data) // 2]), store, "corrupt_image")


def test_png_claiming_30000_by_30000_is_refused_before_decoding(
    uploads: Path, store: MediaStore
) -> None:
    # The file is a header and nothing else: a decoder that read it would fail on
    # the missing pixel data (415 corrupt_image). The 413 shows the refusal came
    # from the header, before any of 900 megapixels (2.7 GB) could be decoded.
    path = make.write(uploads, "bomb.png", make.png_header_only(30000, 30000))
    assert refuse(path, store, "too_many_pixels") == 413


@pytest.mark.parametrize("size", [(10000, 10000), (8000, 7000)], ids=["pillow-warns", "ours"])
def test_too_many_pixels_checked_from_the_header(
    uploads: Path, store: MediaStore, size: tuple[int, int]
) -> None:
    refuse(make.write(uploads, "big.png", make.png_header_only(*size)), store, "too_many_pixels")


def test_pixel_limit_is_configurable(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "p.png", make.encoded(make.photo(800, 600), "PNG"))
    refuse(path, store, "too_many_pixels", MediaLimits(max_pixels=400_000))
    assert process_image(path, store, MediaLimits(max_pixels=480_000)).width == 800


def test_one_pixel_image_is_refused(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "dot.png", make.encoded(make.solid(make.RED, (1, 1)), "PNG"))
    assert refuse(path, store, "image_too_small") == 422


def test_20000_by_2_image_is_refused(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "line.png", make.encoded(make.solid(make.RED, (20000, 2)), "PNG"))
    refuse(path, store, "image_too_small")


def test_too_elongated_image_is_refused(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "banner.png", make.encoded(make.solid(make.RED, (2100, 200)), "PNG"))
    assert refuse(path, store, "bad_aspect_ratio") == 422


def test_file_over_the_byte_cap_is_refused(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "p.jpg", make.encoded(make.photo(), "JPEG"))
    limits = MediaLimits(max_bytes=path.stat().st_size - 1)
    assert refuse(path, store, "too_large", limits) == 413


def test_declared_name_does_not_matter(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "document.pdf", make.encoded(make.photo(), "PNG"))
    assert process_image(path, store).width == 800


# --- polyglots ----------------------------------------------------------------

HTML_PAYLOAD = b"<html><body><script>alert('polyglot')</script></body></html>"


def test_gif_html_polyglot_keeps_no_payload(uploads: Path, store: MediaStore) -> None:
    gif = make.encoded(make.photo(400, 300).convert("P"), "GIF", comment=HTML_PAYLOAD)
    path = make.write(uploads, "poly.gif", gif + HTML_PAYLOAD)
    result = process_image(path, store)
    assert_clean(store, result)


def test_jpeg_html_polyglot_keeps_no_payload(uploads: Path, store: MediaStore) -> None:
    jpeg = make.encoded(make.photo(400, 300), "JPEG", comment=HTML_PAYLOAD)
    path = make.write(uploads, "poly.jpg", jpeg + HTML_PAYLOAD)
    assert_clean(store, process_image(path, store))


# --- metadata -----------------------------------------------------------------


def test_all_metadata_is_dropped(uploads: Path, store: MediaStore) -> None:
    source = make.jpeg_with_everything(make.photo(900, 700))
    with Image.open(io.BytesIO(source)) as original:  # the factory did its job
        assert {"exif", "xmp", "comment", "icc_profile"} <= set(original.info)
        assert original.getexif().get_ifd(0x8825)
    path = make.write(uploads, "gps.jpg", source)
    result = process_image(path, store)
    assert {f.kind for f in result.files} == PUBLIC_KINDS
    assert_clean(store, result)
    for stored in result.files:
        raw = (store.root / stored.name).read_bytes()
        assert b"Camera secrete" not in raw
        assert b"Rue des Secrets" not in raw


def test_the_upload_is_only_read(uploads: Path, store: MediaStore) -> None:
    data = make.encoded(make.photo(), "JPEG")
    path = make.write(uploads, "mine.jpg", data)
    process_image(path, store)
    assert path.read_bytes() == data
    assert not any("mine" in p.name for p in stored_files(store))


# --- orientation --------------------------------------------------------------

# For each EXIF orientation, the transform that turns an upright picture into
# what a camera stores with that tag (the inverse of the display transform).
STORED_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_ends_upright(
    uploads: Path, store: MediaStore, orientation: int
) -> None:
    upright = make.quadrant_marker(400, 300)
    transform = STORED_AS[orientation]
    stored = upright.transpose(transform) if transform is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = make.write(uploads, "o.jpg", make.encoded(stored, "JPEG", exif=exif, quality=95))
    result = process_image(path, store)
    assert (result.width, result.height) == (400, 300)
    for kind in ("display", "thumb_webp"):
        assert near(pixel(store, result, kind, (0.1, 0.1)), make.RED), kind
        assert near(pixel(store, result, kind, (0.9, 0.1)), make.BLUE), kind
        assert near(pixel(store, result, kind, (0.1, 0.9)), make.BLUE), kind
    assert_clean(store, result)


# --- colour -------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb(uploads: Path, store: MediaStore) -> None:
    cmyk = Image.new("CMYK", (400, 300), (0, 255, 255, 0))
    path = make.write(uploads, "cmyk.jpg", make.encoded(cmyk, "JPEG"))
    result = process_image(path, store)
    assert near(pixel(store, result, "display", (0.5, 0.5)), (255, 0, 0))
    assert_clean(store, result)


def test_sixteen_bit_png_is_scaled_not_clipped(uploads: Path, store: MediaStore) -> None:
    ramp = np.tile(np.linspace(0, 65535, 400).astype(np.uint16), (300, 1))
    path = make.write(uploads, "deep.png", make.encoded(Image.fromarray(ramp), "PNG"))
    result = process_image(path, store)
    assert near(pixel(store, result, "display", (0.0, 0.5)), (0, 0, 0), 8)
    assert near(pixel(store, result, "display", (0.5, 0.5)), (128, 128, 128), 8)
    assert near(pixel(store, result, "display", (1.0, 0.5)), (255, 255, 255), 8)


def test_sixteen_bit_rgb_png(uploads: Path, store: MediaStore) -> None:
    deep = np.zeros((300, 400, 3), dtype=">u2")
    deep[..., 1] = 40000
    data = make.png16_rgb(deep)
    result = process_image(make.write(uploads, "rgb16.png", data), store)
    assert near(pixel(store, result, "display", (0.5, 0.5)), (0, 156, 0), 6)


def test_alpha_is_composited_on_white(uploads: Path, store: MediaStore) -> None:
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (0, 0, 200, 300))
    result = process_image(make.write(uploads, "a.png", make.encoded(image, "PNG")), store)
    assert near(pixel(store, result, "display", (0.1, 0.5)), (200, 0, 0))
    assert near(pixel(store, result, "display", (0.9, 0.5)), (255, 255, 255), 4)


def test_palette_with_transparency(uploads: Path, store: MediaStore) -> None:
    image = Image.new("P", (400, 300), 0)
    image.putpalette([0, 0, 0, 0, 150, 0] + [0] * 762)
    image.paste(1, (0, 0, 200, 300))
    path = make.write(uploads, "p.png", make.encoded(image, "PNG", transparency=0))
    result = process_image(path, store)
    assert near(pixel(store, result, "display", (0.1, 0.5)), (0, 150, 0))
    assert near(pixel(store, result, "display", (0.9, 0.5)), (255, 255, 255), 4)


def test_grayscale_jpeg(uploads: Path, store: MediaStore) -> None:
    gray = Image.new("L", (400, 300), 90)
    result = process_image(make.write(uploads, "g.jpg", make.encoded(gray, "JPEG")), store)
    assert near(pixel(store, result, "display", (0.5, 0.5)), (90, 90, 90), 4)


def test_icc_profile_is_applied_then_dropped(uploads: Path, store: MediaStore) -> None:
    data = make.encoded(make.solid((30, 160, 60)), "PNG", icc_profile=make.srgb_profile())
    result = process_image(make.write(uploads, "icc.png", data), store)
    assert near(pixel(store, result, "display", (0.5, 0.5)), (30, 160, 60), 4)
    assert_clean(store, result)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_non_srgb_profile_is_converted_to_srgb(
    uploads: Path, store: MediaStore, fmt: str
) -> None:
    data = make.encoded(
        make.solid((200, 0, 0)), fmt, icc_profile=make.swapped_rgb_profile(), quality=95
    )
    result = process_image(make.write(uploads, "wide", data), store)
    # Red in that profile is sRGB's green primary.
    assert near(pixel(store, result, "display", (0.5, 0.5)), (0, 200, 0), 12)
    assert_clean(store, result)


def test_unusable_icc_profile_does_not_refuse_the_photo(uploads: Path, store: MediaStore) -> None:
    data = make.encoded(make.solid((30, 160, 60)), "PNG", icc_profile=b"not a profile" * 20)
    result = process_image(make.write(uploads, "badicc.png", data), store)
    assert near(pixel(store, result, "display", (0.5, 0.5)), (30, 160, 60), 4)
    assert_clean(store, result)


# --- formats ------------------------------------------------------------------


def test_animated_gif_uses_the_first_frame(uploads: Path, store: MediaStore) -> None:
    data = make.animated("GIF", [(255, 0, 0), (0, 0, 255)], (400, 300))
    result = process_image(make.write(uploads, "anim.gif", data), store)
    assert near(pixel(store, result, "display", (0.5, 0.5)), (255, 0, 0))
    assert_clean(store, result)


def test_animated_webp_uses_the_first_frame(uploads: Path, store: MediaStore) -> None:
    data = make.animated("WEBP", [(0, 0, 255), (255, 0, 0)], (400, 300))
    result = process_image(make.write(uploads, "anim.webp", data), store)
    assert near(pixel(store, result, "display", (0.5, 0.5)), (0, 0, 255))


def test_webp(uploads: Path, store: MediaStore) -> None:
    data = make.encoded(make.quadrant_marker(), "WEBP", quality=95)
    result = process_image(make.write(uploads, "w.webp", data), store)
    assert near(pixel(store, result, "display", (0.1, 0.1)), make.RED)
    assert_clean(store, result)


def test_heic(uploads: Path, store: MediaStore) -> None:
    data = make.heic(make.quadrant_marker())
    assert data[4:12] == b"ftypheic"
    result = process_image(make.write(uploads, "i.heic", data), store)
    assert (result.width, result.height) == (400, 300)
    assert near(pixel(store, result, "display", (0.1, 0.1)), make.RED, 32)
    assert near(pixel(store, result, "display", (0.9, 0.9)), make.BLUE, 32)
    assert_clean(store, result)


# --- derivatives --------------------------------------------------------------


def test_derivatives_of_a_large_jpeg(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "big.jpg", make.encoded(make.photo(4000, 3000), "JPEG"))
    result = process_image(path, store)
    sizes = {f.kind: (f.width, f.height, f.content_type) for f in result.files}
    assert sizes == {
        "display": (1600, 1200, "image/jpeg"),
        "display_webp": (1600, 1200, "image/webp"),
        "thumb": (480, 360, "image/jpeg"),
        "thumb_webp": (480, 360, "image/webp"),
    }
    assert (result.width, result.height) == (1600, 1200)
    assert sorted(result.names) == sorted(p.name for p in stored_files(store))
    assert result.private_names == []
    assert result.placeholder.startswith("#") and len(result.placeholder) == 7
    assert len(result.phash) == 16 and len(result.blurhash) == 28
    assert_clean(store, result)


def test_small_images_are_not_upscaled(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "small.png", make.encoded(make.photo(300, 250), "PNG"))
    result = process_image(path, store)
    assert (result.pick("display").width, result.pick("display").height) == (300, 250)
    assert (result.pick("thumb").width, result.pick("thumb").height) == (300, 250)


def test_same_photo_twice_gives_the_same_names(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "p.png", make.encoded(make.photo(), "PNG"))
    assert process_image(path, store).names == process_image(path, store).names


def test_reencoded_upload_is_a_near_duplicate(uploads: Path, store: MediaStore) -> None:
    original = make.photo(1200, 900, seed=3)
    first = process_image(make.write(uploads, "a.jpg", make.encoded(original, "JPEG")), store)
    smaller = original.resize((900, 675))
    again = process_image(
        make.write(uploads, "b.jpg", make.encoded(smaller, "JPEG", quality=60)), store
    )
    other = process_image(
        make.write(uploads, "c.png", make.encoded(make.photo(seed=4), "PNG")), store
    )
    assert hamming(first.phash, again.phash) <= 6
    assert hamming(first.phash, other.phash) > 6


# --- concurrency --------------------------------------------------------------


async def test_async_processing_respects_its_limiter(uploads: Path, store: MediaStore) -> None:
    paths = [
        make.write(uploads, f"{i}.jpg", make.encoded(make.photo(1600, 1200, seed=i), "JPEG"))
        for i in range(3)
    ]
    limiter = anyio.CapacityLimiter(1)
    busiest = waiting = 0
    results: list[ProcessedImage] = []
    done = anyio.Event()

    async def one(path: Path) -> None:
        results.append(await process_image_async(path, store, limiter=limiter))

    async def watch() -> None:
        nonlocal busiest, waiting
        while not done.is_set():
            busiest = max(busiest, int(limiter.borrowed_tokens))
            waiting = max(waiting, limiter.statistics().tasks_waiting)
            await anyio.sleep(0.002)

    async with anyio.create_task_group() as outer:
        outer.start_soon(watch)
        async with anyio.create_task_group() as group:
            for path in paths:
                group.start_soon(one, path)
        done.set()
    assert len(results) == 3
    assert busiest == 1
    assert waiting >= 1


async def test_async_processing_with_the_default_limiter(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "p.webp", make.encoded(make.photo(), "WEBP"))
    result = await process_image_async(path, store)
    assert result.width == 800


async def test_async_refusal_raises_the_wall_error(uploads: Path, store: MediaStore) -> None:
    with pytest.raises(WallError) as caught:
        await process_image_async(make.write(uploads, "x.jpg", b"%PDF-1.4"), store)
    assert caught.value.code == "unsupported_media"


def test_large_jpeg_is_decoded_at_a_reduced_scale(uploads: Path) -> None:
    path = make.write(uploads, "big.jpg", make.encoded(make.photo(4000, 3000), "JPEG"))
    # DCT scaling by 1/2 still covers the 1600 px display; 1/4 would not.
    assert decode_image(path, "JPEG", MediaLimits(), 1600).size == (2000, 1500)
    assert decode_image(path, "JPEG", MediaLimits(), 900).size == (1000, 750)
    assert decode_image(path, "JPEG", MediaLimits(), 4000).size == (4000, 3000)
