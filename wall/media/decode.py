"""Decode an untrusted image file into a clean, upright, 8-bit sRGB picture.

The returned image is built from pixels alone: its ``info`` is empty, so no
EXIF, XMP, GPS, ICC profile or comment can follow it into a saved file.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from wall.media.limits import CorruptImage, MediaLimits, TooManyPixels, check_geometry

pillow_heif.register_heif_opener()

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
# Modes ImageCms can transform from without losing channels.
_CMS_MODES = frozenset({"RGB", "L", "CMYK"})
WHITE = (255, 255, 255)


def decode_image(path: Path, fmt: str, limits: MediaLimits, fit_side: int) -> Image.Image:
    """Open ``path`` with the single decoder ``fmt`` and return an sRGB ``RGB`` image.

    The size is checked from the header before any pixel is decoded. A JPEG is
    decoded at the smallest DCT scale that still covers ``fit_side`` on its
    longest side. Only the first frame of an animation is used.
    """
    try:
        image = Image.open(path, formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Above about 89 MP Pillow warns (an exception under warnings-as-errors),
        # above about 179 MP it refuses; both are far beyond our own limit.
        raise TooManyPixels(limits.max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise CorruptImage() from None
    with image:
        check_geometry(image.width, image.height, limits)
        if fmt == "JPEG":
            image.draft("RGB", _fitted(image.size, fit_side))
        try:
            image.load()
            icc = image.info.get("icc_profile")
            ImageOps.exif_transpose(image, in_place=True)
            srgb = _to_srgb(image, icc if isinstance(icc, bytes) else None)
        except (MemoryError, RecursionError):
            raise
        except Exception:
            # Decoders fed hostile bytes may fail in many ways; all mean "refuse".
            raise CorruptImage() from None
    # A new image holds the pixels and nothing else (color=None skips a fill
    # that paste would overwrite anyway).
    clean = Image.new("RGB", srgb.size, None)
    clean.paste(srgb)
    return clean


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """8-bit sRGB pixels; transparency is composited on white."""
    if image.mode in _SIXTEEN_BIT_MODES:
        image = _sixteen_to_eight(image)
    elif image.mode == "F":
        image = Image.fromarray(np.clip(np.asarray(image), 0, 255).astype(np.uint8), "L")

    alpha: Image.Image | None = None
    if "A" in image.getbands() or "a" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        image = rgba.convert("RGB")
    elif image.mode not in _CMS_MODES:
        image = image.convert("RGB")

    if icc:
        image = _apply_profile(image, icc)
    if image.mode != "RGB":
        image = image.convert("RGB")

    if alpha is not None:
        base = Image.new("RGB", image.size, WHITE)
        base.paste(image, mask=alpha)
        image = base
    return image


def _sixteen_to_eight(image: Image.Image) -> Image.Image:
    # Pillow's own I;16 -> L conversion clips at 255 instead of scaling.
    values = np.asarray(image, dtype=np.uint32)
    return Image.fromarray(np.clip(values // 257, 0, 255).astype(np.uint8), "L")


def _apply_profile(image: Image.Image, icc: bytes) -> Image.Image:
    """Convert from the embedded profile to sRGB; keep the pixels if it is unusable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if converted is not None else image
