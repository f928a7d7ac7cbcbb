"""Decode, normalise and derive the images the wall stores."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import anyio
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from wall.errors import InvalidField, UnsupportedMedia
from wall.media.store import MediaStore

DECODERS = ["JPEG", "PNG", "WEBP", "GIF"]
DISPLAY_SIDE = 1600
THUMB_SIDE = 480

_decode_slots = anyio.CapacityLimiter(2)


@dataclass(frozen=True)
class MediaLimits:
    max_pixels: int = 50_000_000
    min_side: int = 200
    max_aspect: float = 10.0


@dataclass(frozen=True)
class StoredFile:
    """One derivative: ``kind`` is ``display`` or ``thumb``."""

    name: str
    kind: str
    width: int
    height: int
    content_type: str


@dataclass(frozen=True)
class ProcessedImage:
    files: tuple[StoredFile, ...]
    placeholder: str
    green_score: float

    def pick(self, kind: str) -> StoredFile:
        for stored in self.files:
            if stored.kind == kind:
                return stored
        raise KeyError(kind)

    @property
    def names(self) -> list[str]:
        return [stored.name for stored in self.files]


def _open(path: Path, limits: MediaLimits) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path, formats=DECODERS)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
    ):
        raise UnsupportedMedia() from None
    width, height = image.size
    if width * height > limits.max_pixels:
        raise UnsupportedMedia(
            f"L'image a trop de pixels (maximum {limits.max_pixels // 1_000_000} mégapixels).",
            code="too_many_pixels",
        )
    if min(width, height) < limits.min_side:
        raise InvalidField(
            f"L'image est trop petite (au moins {limits.min_side} pixels de côté).",
            code="image_too_small",
        )
    if max(width, height) / min(width, height) > limits.max_aspect:
        raise InvalidField("L'image est trop allongée.", code="bad_aspect_ratio")
    try:
        image.seek(0)
        image.load()
    except (OSError, ValueError, SyntaxError):
        raise UnsupportedMedia(
            "L'image est endommagée ou incomplète.", code="corrupt_image"
        ) from None
    return image


def _clean_rgb(image: Image.Image) -> Image.Image:
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA", "P", "PA"):
        rgba = upright.convert("RGBA")
        base = Image.new("RGB", rgba.size, (255, 255, 255))
        base.paste(rgba, mask=rgba.getchannel("A"))
        upright = base
    rgb = upright.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def _derive(image: Image.Image, side: int, kind: str, store: MediaStore) -> StoredFile:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=85, optimize=True)
    name = store.write(buffer.getvalue(), "jpg")
    return StoredFile(name, kind, copy.width, copy.height, "image/jpeg")


def _green_score(image: Image.Image) -> float:
    small = image.copy()
    small.thumbnail((64, 64))
    hsv = small.convert("HSV")
    h, s, v = (np.asarray(hsv, dtype=np.int32)[..., i] for i in range(3))
    green = (h >= 60) & (h <= 130) & (s >= 60) & (v >= 50)
    return round(float(green.mean()), 4)


def process_image(
    path: Path, store: MediaStore, limits: MediaLimits | None = None
) -> ProcessedImage:
    """Turn an untrusted image file into clean derivatives in ``store``."""
    limits = limits or MediaLimits()
    with _open(path, limits) as image:
        clean = _clean_rgb(image)
    display = _derive(clean, DISPLAY_SIDE, "display", store)
    thumb = _derive(clean, THUMB_SIDE, "thumb", store)
    r, g, b = clean.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return ProcessedImage((display, thumb), f"#{r:02x}{g:02x}{b:02x}", _green_score(clean))


async def process_image_async(
    path: Path, store: MediaStore, limits: MediaLimits | None = None
) -> ProcessedImage:
    """``process_image`` in a worker thread, at most two decodes at once."""
    return await anyio.to_thread.run_sync(process_image, path, store, limits, limiter=_decode_slots)
