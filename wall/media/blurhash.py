"""A small numpy BlurHash encoder (https://blurha.sh), for blurry placeholders."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from PIL import Image

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_SAMPLE_SIDE = 32


def _base83(value: int, length: int) -> str:
    return "".join(_ALPHABET[(value // 83**i) % 83] for i in range(length - 1, -1, -1))


def _to_linear(srgb: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _to_srgb_byte(linear: float) -> int:
    v = min(1.0, max(0.0, linear))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def encode_blurhash(image: Image.Image, x_components: int = 4, y_components: int = 3) -> str:
    """The BlurHash of ``image`` (computed on a 32 px downscale)."""
    if not (1 <= x_components <= 9 and 1 <= y_components <= 9):
        raise ValueError("BlurHash components must be between 1 and 9")
    small = image.convert("RGB").resize((_SAMPLE_SIDE, _SAMPLE_SIDE), Image.Resampling.BOX)
    linear = _to_linear(np.asarray(small, dtype=np.float64) / 255.0)
    height, width = linear.shape[:2]
    xs = np.arange(width)
    ys = np.arange(height)
    factors: list[NDArray[np.float64]] = []
    for j in range(y_components):
        for i in range(x_components):
            basis = np.outer(np.cos(np.pi * j * ys / height), np.cos(np.pi * i * xs / width))
            scale = 1.0 if i == 0 and j == 0 else 2.0
            factors.append(scale * (basis[..., None] * linear).sum(axis=(0, 1)) / (width * height))
    dc, ac = factors[0], factors[1:]

    result = _base83((x_components - 1) + (y_components - 1) * 9, 1)
    if ac:
        actual_max = float(max(np.abs(f).max() for f in ac))
        quantised_max = max(0, min(82, math.floor(actual_max * 166 - 0.5)))
        maximum = (quantised_max + 1) / 166
        result += _base83(quantised_max, 1)
    else:
        maximum = 1.0
        result += _base83(0, 1)
    r, g, b = (_to_srgb_byte(float(c)) for c in dc)
    result += _base83((r << 16) + (g << 8) + b, 4)
    for factor in ac:
        q = [
            max(0, min(18, math.floor(math.copysign(abs(c / maximum) ** 0.5, c) * 9 + 9.5)))
            for c in factor
        ]
        result += _base83(q[0] * 19 * 19 + q[1] * 19 + q[2], 2)
    return result
