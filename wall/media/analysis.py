"""Cheap measurements of a clean picture: green share, colour, perceptual hash."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

# Two photos whose hashes differ in at most this many of 64 bits are flagged
# as near-duplicates: the one threshold, for uploads and social posts alike
# (wall.moderation.rules). Measured on our test pictures: re-encoded, resized
# or recompressed copies differ by 0-4 bits, a 3 % crop by up to 8, unrelated
# pictures by 20 or more (32 on average). A flag only alerts a moderator.
# 7 is the largest distance the indexed lookup finds exactly: the hash is
# stored as 4 bands of 16 bits, and two hashes at most 7 bits apart have a
# band at most 1 bit apart (if all 4 differed in 2 or more, that would be 8),
# so probing each band's value and its 16 one-bit neighbours misses none.
NEAR_DUPLICATE_DISTANCE = 7

GREEN_HUE = (75.0, 165.0)
GREEN_MIN_SATURATION = 0.30
GREEN_MIN_VALUE = 0.20
_SAMPLE_SIDE = 64
_HASH_SIDE = 32
_HASH_LOW = 8


def _sample(image: Image.Image) -> NDArray[np.float64]:
    small = image.copy()
    small.thumbnail((_SAMPLE_SIDE, _SAMPLE_SIDE), Image.Resampling.BOX)
    return np.asarray(small.convert("RGB"), dtype=np.float64) / 255.0


def green_score(image: Image.Image) -> float:
    """Share (0-1) of clearly green pixels, on a 64 px downscale.

    A pixel is "clearly green" when, in HSV, its hue is between 75° and 165°
    (from yellow-green through green to sea green, excluding yellow at 60° and
    cyan at 180°), its saturation is at least 0.30 (not greyish) and its value
    is at least 0.20 (not near black).
    """
    rgb = _sample(image)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    top = rgb.max(axis=-1)
    spread = top - rgb.min(axis=-1)
    safe = np.where(spread == 0, 1.0, spread)
    hue = (
        np.select(
            [top == red, top == green],
            [((green - blue) / safe) % 6.0, (blue - red) / safe + 2.0],
            (red - green) / safe + 4.0,
        )
        * 60.0
    )
    saturation = np.where(top == 0, 0.0, spread / np.where(top == 0, 1.0, top))
    clearly_green = (
        (spread > 0)
        & (hue >= GREEN_HUE[0])
        & (hue <= GREEN_HUE[1])
        & (saturation >= GREEN_MIN_SATURATION)
        & (top >= GREEN_MIN_VALUE)
    )
    return round(float(clearly_green.mean()), 4)


def dominant_colour(image: Image.Image) -> str:
    """``#rrggbb``: the mean of the most populated cell of a coarse 8x8x8 colour grid."""
    pixels = (_sample(image) * 255.0).reshape(-1, 3)
    cells = pixels.astype(np.int64) >> 5
    keys = (cells[:, 0] << 6) | (cells[:, 1] << 3) | cells[:, 2]
    winner = np.bincount(keys, minlength=512).argmax()
    r, g, b = (round(float(v)) for v in pixels[keys == winner].mean(axis=0))
    return f"#{r:02x}{g:02x}{b:02x}"


def _dct_matrix(n: int) -> NDArray[np.float64]:
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    return np.cos(np.pi * (2 * x + 1) * k / (2 * n))


_DCT = _dct_matrix(_HASH_SIDE)


def phash(image: Image.Image) -> str:
    """64-bit DCT perceptual hash as 16 hex digits (the classic pHash).

    Greyscale, 32x32 Lanczos downscale, 2-D DCT, the 8x8 lowest frequencies
    compared with their median; bits in row-major order, first bit highest.
    """
    gray = image.convert("L").resize((_HASH_SIDE, _HASH_SIDE), Image.Resampling.LANCZOS)
    pixels = np.asarray(gray, dtype=np.float64)
    # Rounding turns the float noise of coefficients that are exactly zero in
    # theory (flat or symmetric pictures) into zeros, so their bits are stable.
    low = np.round((_DCT @ pixels @ _DCT.T)[:_HASH_LOW, :_HASH_LOW], 6)
    bits = (low > np.median(low)).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hashes from ``phash``."""
    if len(a) != 16 or len(b) != 16:
        raise ValueError("perceptual hashes are 16 hex digits")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def is_near_duplicate(a: str, b: str) -> bool:
    return hamming(a, b) <= NEAR_DUPLICATE_DISTANCE
