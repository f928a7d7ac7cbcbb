"""Real images made with Pillow, and hostile files made by hand."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, ImageCms, ImageDraw, ImageFilter, PngImagePlugin

RED = (220, 20, 20)
BLUE = (20, 40, 200)

XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmp:CreatorTool="Camera secrete"/></rdf:RDF></x:xmpmeta>'
)


def photo(width: int = 800, height: int = 600, seed: int = 0) -> Image.Image:
    """A photo-like RGB picture: gradients, a few shapes and some noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    phase = rng.uniform(0, 2 * np.pi, 3)
    channels = [
        127 + 100 * np.sin(x / width * (2 + i) * np.pi + phase[i]) * np.cos(y / height * np.pi)
        for i in range(3)
    ]
    pixels = np.stack(channels, axis=-1) + rng.normal(0, 8, (height, width, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 60)), int(rng.integers(0, height - 60))
        size = int(rng.integers(40, min(width, height) // 2))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.ellipse((x0, y0, x0 + size, y0 + size), fill=colour)
    return image


def quadrant_marker(width: int = 400, height: int = 300) -> Image.Image:
    """Blue everywhere except a red top-left quadrant: shows which way is up."""
    image = Image.new("RGB", (width, height), BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=RED)
    return image


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (400, 300)) -> Image.Image:
    return Image.new("RGB", size, colour)


def synthetic_face(side: int = 400) -> Image.Image:
    """A smooth drawn face that OpenCV's frontal Haar cascade does detect."""
    face = Image.new("L", (side, side), 90)
    draw = ImageDraw.Draw(face)
    s = side
    draw.ellipse((s * 0.2, s * 0.1, s * 0.8, s * 0.95), fill=200)
    draw.rectangle((s * 0.28, s * 0.33, s * 0.45, s * 0.37), fill=40)
    draw.rectangle((s * 0.55, s * 0.33, s * 0.72, s * 0.37), fill=40)
    draw.ellipse((s * 0.31, s * 0.40, s * 0.43, s * 0.47), fill=40)
    draw.ellipse((s * 0.57, s * 0.40, s * 0.69, s * 0.47), fill=40)
    draw.polygon([(s * 0.5, s * 0.45), (s * 0.45, s * 0.65), (s * 0.55, s * 0.65)], fill=160)
    draw.ellipse((s * 0.38, s * 0.73, s * 0.62, s * 0.80), fill=70)
    canvas = Image.new("L", (side * 2, side * 3 // 2), 120)
    canvas.paste(face.filter(ImageFilter.GaussianBlur(4)), (side // 2, side // 4))
    return canvas.convert("RGB")


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)


def swapped_rgb_profile() -> bytes:
    """An ICC v2 RGB profile whose red and green primaries are sRGB's swapped.

    Pixels (v, 0, 0) tagged with it are green once converted to sRGB, so a test
    can tell whether the profile was applied at all.
    """
    description = b"Swapped primaries"
    gamma = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 0x0233) + b"\0\0"  # 2.2
    tags = [
        (
            b"desc",
            b"desc"
            + b"\0" * 4
            + struct.pack(">I", len(description) + 1)
            + description
            + b"\0"
            + b"\0" * 8
            + b"\0" * 3
            + b"\0" * 67,
        ),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(0.3851, 0.7169, 0.0971)),  # sRGB's green
        (b"gXYZ", _xyz(0.4361, 0.2225, 0.0139)),  # sRGB's red
        (b"bXYZ", _xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
        (b"cprt", b"text" + b"\0" * 4 + b"none\0\0\0\0"),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table = struct.pack(">I", len(tags))
    body = b""
    for signature, data in tags:
        padded = data + b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += padded
    size = 128 + table_size + len(body)
    header = (
        struct.pack(">I", size)
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + table + body


SECRET_COMMENT = b"Rue des Secrets, Quebec"
SECRET_CAMERA = b"Camera secrete"
# Latitude 46 deg as a TIFF rational (46/1), in both byte orders.
GPS_LATITUDE_DEGREES = (struct.pack(">II", 46, 1), struct.pack("<II", 46, 1))


def secret_exif() -> Image.Exif:
    """Camera EXIF and a GPS IFD (Quebec City)."""
    exif = Image.Exif()
    exif[0x010F] = SECRET_CAMERA.decode()  # Make
    exif[0x0131] = "Logiciel secret"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (46.0, 48.0, 52.0)
    gps[3] = "W"
    gps[4] = (71.0, 12.0, 27.0)
    return exif


def jpeg_with_everything(image: Image.Image) -> bytes:
    """A JPEG carrying GPS and camera EXIF, XMP, a comment and an ICC profile."""
    return encoded(
        image,
        "JPEG",
        exif=secret_exif(),
        xmp=XMP_PACKET,
        comment=SECRET_COMMENT,
        icc_profile=srgb_profile(),
    )


def png_with_everything(image: Image.Image) -> bytes:
    """A PNG carrying GPS EXIF (eXIf), XMP (iTXt), a comment (tEXt) and an ICC profile."""
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", SECRET_COMMENT.decode())
    text.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode())
    return encoded(image, "PNG", exif=secret_exif(), pnginfo=text, icc_profile=srgb_profile())


def webp_with_everything(image: Image.Image) -> bytes:
    """A WebP carrying GPS EXIF, XMP and an ICC profile (WebP has no comment)."""
    return encoded(image, "WEBP", exif=secret_exif(), xmp=XMP_PACKET, icc_profile=srgb_profile())


def heic_with_everything(image: Image.Image) -> bytes:
    """A HEIC carrying GPS EXIF and XMP (HEIF has no comment)."""
    heif = pillow_heif.from_pillow(image)
    buffer = io.BytesIO()
    heif.save(buffer, quality=90, exif=secret_exif().tobytes(), xmp=XMP_PACKET)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but holds almost no data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def png16_rgb(pixels: np.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one itself)."""
    height, width = pixels.shape[:2]
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    big_endian = pixels.astype(">u2")
    rows = b"".join(b"\x00" + big_endian[y].tobytes() for y in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def heic(image: Image.Image) -> bytes:
    heif = pillow_heif.from_pillow(image)
    buffer = io.BytesIO()
    heif.save(buffer, quality=90)
    return buffer.getvalue()


def animated(fmt: str, colours: list[tuple[int, int, int]], size: tuple[int, int]) -> bytes:
    frames = [Image.new("RGB", size, colour) for colour in colours]
    return encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
