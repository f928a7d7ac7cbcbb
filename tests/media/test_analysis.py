from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.media import factories as make
from wall.media.analysis import (
    NEAR_DUPLICATE_DISTANCE,
    dominant_colour,
    green_score,
    hamming,
    is_near_duplicate,
    phash,
)
from wall.media.blurhash import encode_blurhash


def halves(left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (400, 300), right)
    image.paste(left, (0, 0, 200, 300))
    return image


def gradient() -> Image.Image:
    ramp = Image.fromarray(np.tile(np.linspace(0, 255, 320).astype(np.uint8), (240, 1)))
    mirrored = ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return Image.merge("RGB", (ramp, Image.new("L", ramp.size, 120), mirrored))


def jpeg_round_trip(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


@pytest.mark.parametrize(
    "colour",
    [
        (30, 160, 40),  # grass green, hue 125°
        (120, 200, 30),  # yellow-green, hue 92°
        (20, 140, 90),  # sea green, hue 155°
        (40, 70, 40),  # dark foliage, value 0.27, saturation 0.43
    ],
)
def test_green_image_scores_one(colour: tuple[int, int, int]) -> None:
    assert green_score(make.solid(colour)) == 1.0


@pytest.mark.parametrize(
    "colour",
    [
        (220, 20, 20),  # red
        (230, 220, 30),  # yellow, hue 57°
        (30, 200, 220),  # cyan-ish, hue 186°
        (110, 130, 115),  # greyish green, saturation 0.15
        (10, 40, 10),  # near-black green, value 0.16
        (255, 255, 255),
        (0, 0, 0),
    ],
)
def test_not_clearly_green_scores_zero(colour: tuple[int, int, int]) -> None:
    assert green_score(make.solid(colour)) == 0.0


def test_half_green_scores_a_half() -> None:
    assert green_score(halves((30, 160, 40), (220, 20, 20))) == pytest.approx(0.5, abs=0.02)


def test_dominant_colour_is_the_larger_area_not_the_mean() -> None:
    image = Image.new("RGB", (400, 300), (20, 140, 40))
    image.paste((240, 240, 240), (0, 0, 100, 300))
    assert dominant_colour(image) == "#148c28"


def test_phash_matches_the_reference_algorithm() -> None:
    # Expected values computed with the imagehash library's phash().
    assert phash(make.solid((10, 200, 10))) == "8000000000000000"
    assert phash(gradient()) == "8a00000000000000"
    assert phash(make.photo(seed=0)) == "a89a3c5755551f1c"


def test_copies_are_near_and_other_photos_far() -> None:
    original = make.photo(1200, 900, seed=5)
    reference = phash(original)
    copies = [
        jpeg_round_trip(original, 50),
        original.resize((600, 450)),
        jpeg_round_trip(original.resize((480, 360)), 40),
    ]
    for copy in copies:
        assert hamming(reference, phash(copy)) <= 4
        assert is_near_duplicate(reference, phash(copy))
    for seed in (6, 7, 8):
        assert hamming(reference, phash(make.photo(1200, 900, seed=seed))) > 2 * (
            NEAR_DUPLICATE_DISTANCE
        )


def test_hamming() -> None:
    assert hamming("0000000000000000", "0000000000000000") == 0
    assert hamming("0000000000000000", "ffffffffffffffff") == 64
    assert hamming("8000000000000001", "0000000000000000") == 2
    with pytest.raises(ValueError):
        hamming("abc", "0000000000000000")


def test_blurhash_matches_the_reference_encoder() -> None:
    # Expected values computed with the reference Python encoder (blurhash
    # 1.1.5) on the same 32 px box downscale.
    assert encode_blurhash(make.quadrant_marker()) == "LcDsZY|CsSJ;|C;bn~OFsSn~jsa}"
    assert encode_blurhash(gradient()) == "L,HT|72zw%XAofWrjufRfQfQfQfQ"


def test_blurhash_of_a_flat_image_has_its_colour_and_no_detail() -> None:
    hashed = encode_blurhash(make.solid((255, 0, 0)), 1, 1)
    assert hashed == "00TI:j"  # size 0, max 0, DC 0xff0000 in base 83
