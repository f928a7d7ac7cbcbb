"""One near-duplicate rule for every photo: one threshold, an indexed lookup on the pHash bands."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from sqlalchemy import text

from tests.moderation.factories import database, network_photo, photo_row
from wall.config import Settings
from wall.media.analysis import NEAR_DUPLICATE_DISTANCE, hamming
from wall.models import Photo
from wall.moderation.rules import duplicate_candidates

BASE = "f0e1d2c3b4a59687"


def flip(value: str, bits: Iterable[int]) -> str:
    """``value`` with the given bits flipped (bit 0 is the most significant)."""
    number = int(value, 16)
    for bit in bits:
        number ^= 1 << (63 - bit)
    return f"{number:016x}"


@pytest.mark.parametrize(
    ("bits", "duplicate"),
    [
        ((), True),
        ((5,), True),
        # 7 bits, every band 2 bits apart but one, which is 1 apart: found by a one-bit probe.
        ((0, 16, 17, 32, 33, 48, 49), True),
        ((0, 1, 16, 17, 32, 33, 63), True),
        # 8 bits: past the threshold (every band 2 apart: no probe meets them either).
        ((0, 1, 16, 17, 32, 33, 48, 49), False),
        ((0, 1, 2, 3, 4, 5, 6, 7), False),  # 8 bits in one band: shares three exact bands
        (tuple(range(0, 64, 3)), False),
    ],
)
async def test_one_threshold_for_every_photo(
    settings: Settings, bits: tuple[int, ...], duplicate: bool
) -> None:
    other = flip(BASE, bits)
    assert hamming(BASE, other) == len(bits)
    first = await network_photo(settings, phash=BASE)
    second = await network_photo(settings, phash=other)
    assert "duplicate" not in (await photo_row(settings, first)).flags
    assert ("duplicate" in (await photo_row(settings, second)).flags) is duplicate


async def test_a_photo_without_a_hash_is_no_duplicate(settings: Settings) -> None:
    await network_photo(settings, phash=None)
    second = await network_photo(settings, phash=None)
    assert "duplicate" not in (await photo_row(settings, second)).flags


def test_the_threshold_is_the_largest_the_bands_find_exactly() -> None:
    # 4 bands, probes one bit wide: 2 * 4 - 1.
    assert NEAR_DUPLICATE_DISTANCE == 7


def test_bands_follow_the_hash() -> None:
    photo = Photo(phash="0123456789abcdef")
    bands = (photo.phash_band0, photo.phash_band1, photo.phash_band2, photo.phash_band3)
    assert bands == (0x0123, 0x4567, 0x89AB, 0xCDEF)
    photo.phash = None  # erasure
    bands = (photo.phash_band0, photo.phash_band1, photo.phash_band2, photo.phash_band3)
    assert bands == (None, None, None, None)


async def test_the_lookup_reads_the_band_indexes(settings: Settings) -> None:
    """Not every hash: each database's plan names the four band indexes."""
    query = duplicate_candidates("x", BASE)
    assert query is not None
    async with database(settings) as db, db.reading() as session:
        if settings.database_url.startswith("sqlite"):
            compiled = query.compile(
                dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
            )
            plan = (await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
        else:
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            compiled = query.compile(
                dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
            )
            plan = (await session.execute(text(f"EXPLAIN {compiled}"))).all()
    described = " ".join(str(value) for row in plan for value in row)
    for band in range(4):
        assert f"ix_photos_phash_band{band}" in described
