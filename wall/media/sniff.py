"""Tell an image format from its first bytes, never from a name or a declared type."""

from __future__ import annotations

from pathlib import Path

from wall.media.limits import EmptyFile, FileTooLarge, MediaLimits, NotAnImage

# Brands of the ISO base media files that libheif decodes as HEIF/HEIC.
# AVIF (``avif``/``avis``) is deliberately absent: no decoder is installed.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})

HEAD_BYTES = 32


def sniff_head(head: bytes) -> str | None:
    """The Pillow format id (``JPEG``, ``PNG``, ``WEBP``, ``GIF``, ``HEIF``) or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


def sniff_file(path: Path, limits: MediaLimits) -> str:
    """Check the size and magic bytes of ``path``; return the only decoder to use."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        if size == 0:
            raise EmptyFile()
        if size > limits.max_bytes:
            raise FileTooLarge()
        handle.seek(0)
        head = handle.read(HEAD_BYTES)
    fmt = sniff_head(head)
    if fmt is None:
        raise NotAnImage()
    return fmt
