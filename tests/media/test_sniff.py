from __future__ import annotations

import pytest

from wall.media.sniff import sniff_head


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"GIF89a\x10\x00", "GIF"),
        (b"GIF87a\x10\x00", "GIF"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WEBP"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIF"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "HEIF"),
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00", None),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00", None),  # MP4 video
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"<svg xmlns=", None),
        (b"BM\x00\x00", None),  # BMP
        (b"II*\x00", None),  # TIFF
        (b"", None),
    ],
)
def test_sniff_head(head: bytes, fmt: str | None) -> None:
    assert sniff_head(head) == fmt
