"""The one path from an untrusted image file to the clean files the wall stores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.lowlevel
import anyio.to_thread
from PIL import Image

from wall.media.analysis import dominant_colour, green_score, phash
from wall.media.blurhash import encode_blurhash
from wall.media.decode import decode_image
from wall.media.derivatives import (
    DISPLAY_SIDE,
    ENCODINGS,
    THUMB_SIDE,
    encode,
    fit,
)
from wall.media.faces import detect_faces, hide_faces
from wall.media.limits import MediaLimits
from wall.media.sniff import sniff_file
from wall.media.store import MediaStore

# Two cores on our machines: two decodes at once keep both busy, and bound
# the memory (about 60 MB per 12 MP JPEG) when many uploads arrive together.
DEFAULT_CONCURRENT_DECODES = 2

PUBLIC_KINDS = ("display", "display_webp", "thumb", "thumb_webp")
PRIVATE_KINDS = ("display_private", "thumb_private")

_default_limiter: anyio.lowlevel.RunVar[anyio.CapacityLimiter] = anyio.lowlevel.RunVar(
    "wall_media_decode_limiter"
)


@dataclass(frozen=True)
class StoredFile:
    """One stored derivative.

    ``kind`` is ``display``/``thumb`` (JPEG), ``display_webp``/``thumb_webp``
    (WebP, same pixels), and, only when faces were blurred, the unblurred
    ``display_private``/``thumb_private`` (JPEG) for moderators' eyes only.
    """

    name: str
    kind: str
    width: int
    height: int
    content_type: str

    @property
    def private(self) -> bool:
        return self.kind.endswith("_private")


@dataclass(frozen=True)
class ProcessedImage:
    """What the pipeline made of one image."""

    files: tuple[StoredFile, ...]
    placeholder: str
    green_score: float
    phash: str = ""
    blurhash: str = ""
    faces_blurred: int = 0

    def pick(self, kind: str) -> StoredFile:
        for stored in self.files:
            if stored.kind == kind:
                return stored
        raise KeyError(kind)

    @property
    def names(self) -> list[str]:
        """Every stored name, private ones included."""
        return [stored.name for stored in self.files]

    @property
    def public_names(self) -> list[str]:
        return [stored.name for stored in self.files if not stored.private]

    @property
    def private_names(self) -> list[str]:
        return [stored.name for stored in self.files if stored.private]

    @property
    def width(self) -> int:
        return self.pick("display").width

    @property
    def height(self) -> int:
        return self.pick("display").height


def process_image(
    path: Path,
    store: MediaStore,
    limits: MediaLimits | None = None,
    *,
    blur_faces: bool = False,
) -> ProcessedImage:
    """Turn an untrusted image file into clean derivatives in ``store``.

    The format is sniffed from the content, the size checked from the header,
    then the pixels are decoded, turned upright and into sRGB, and written as
    new JPEG and WebP files that carry no metadata. With ``blur_faces`` the
    public files have detected faces pixelated and unblurred private copies
    are stored too. ``path`` stays the caller's: it is only read. Raises a
    ``WallError`` (see ``wall.media.limits``) for anything refused; nothing is
    stored then.
    """
    limits = limits or MediaLimits()
    fmt = sniff_file(path, limits)
    clean = decode_image(path, fmt, limits, DISPLAY_SIDE)
    display = fit(clean, DISPLAY_SIDE)
    del clean

    thumb = fit(display, THUMB_SIDE)
    faces = detect_faces(display) if blur_faces else []
    public = hide_faces(display, faces) if faces else display
    public_thumb = fit(public, THUMB_SIDE) if faces else thumb

    planned: list[tuple[str, Image.Image, str]] = [
        ("display", public, "jpg"),
        ("display_webp", public, "webp"),
        ("thumb", public_thumb, "jpg"),
        ("thumb_webp", public_thumb, "webp"),
    ]
    if faces:
        planned += [
            ("display_private", display, "jpg"),
            ("thumb_private", thumb, "jpg"),
        ]
    encoded = [(kind, image, ext, encode(image, ext)) for kind, image, ext in planned]

    files: list[StoredFile] = []
    created: list[str] = []
    try:
        for kind, image, ext, data in encoded:
            existed = store.path(store.name_for(data, ext)) is not None
            name = store.write(data, ext)
            if not existed:
                created.append(name)
            files.append(StoredFile(name, kind, image.width, image.height, ENCODINGS[ext]))
    except BaseException:
        store.delete(created)
        raise

    return ProcessedImage(
        files=tuple(files),
        placeholder=dominant_colour(public_thumb),
        # Measured on the unblurred thumbnail: both work on a 64 or 32 px
        # downscale anyway, and a blurred face must not hide a duplicate.
        green_score=green_score(thumb),
        phash=phash(thumb),
        blurhash=encode_blurhash(public_thumb),
        faces_blurred=len(faces),
    )


async def process_image_async(
    path: Path,
    store: MediaStore,
    limits: MediaLimits | None = None,
    *,
    blur_faces: bool = False,
    limiter: anyio.CapacityLimiter | None = None,
) -> ProcessedImage:
    """``process_image`` in a worker thread, never more than ``limiter`` at once.

    Pass a limiter made in the app's lifespan to set the bound; by default each
    event loop gets one of ``DEFAULT_CONCURRENT_DECODES`` tokens.
    """

    def work() -> ProcessedImage:
        return process_image(path, store, limits, blur_faces=blur_faces)

    return await anyio.to_thread.run_sync(work, limiter=limiter or _decode_limiter())


def _decode_limiter() -> anyio.CapacityLimiter:
    try:
        return _default_limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(DEFAULT_CONCURRENT_DECODES)
        _default_limiter.set(limiter)
        return limiter
