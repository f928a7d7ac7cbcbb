"""What the pipeline accepts, and the errors it raises for what it refuses.

Every refusal is a ``WallError`` with a stable ``code`` (for programs and
tests), an HTTP status and a French message (for people).
"""

from __future__ import annotations

from dataclasses import dataclass

from wall.errors import InvalidField, PayloadTooLarge, UnsupportedMedia


@dataclass(frozen=True)
class MediaLimits:
    """Bounds on an incoming image, all checked before its pixels are decoded.

    ``max_bytes`` is a backstop: the web layer already caps the body while it
    streams. ``max_pixels`` is checked from the header; keep it below Pillow's
    own warning threshold (about 89 megapixels).
    """

    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 50_000_000
    min_side: int = 200
    max_aspect: float = 10.0

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.max_pixels < 1 or self.min_side < 1:
            raise ValueError("media limits must be positive")
        if self.max_aspect < 1:
            raise ValueError("max_aspect must be at least 1")


class EmptyFile(InvalidField):
    code = "empty_file"
    message = "Le fichier est vide. Choisis une photo à envoyer."


class FileTooLarge(PayloadTooLarge):
    code = "too_large"
    message = "Le fichier est trop volumineux."


class NotAnImage(UnsupportedMedia):
    code = "unsupported_media"


class CorruptImage(UnsupportedMedia):
    code = "corrupt_image"
    message = "L'image est endommagée ou incomplète. Essaie une autre photo."


class TooManyPixels(PayloadTooLarge):
    code = "too_many_pixels"
    message = "L'image est trop grande (trop de pixels)."

    def __init__(self, max_pixels: int) -> None:
        megapixels = max_pixels // 1_000_000
        super().__init__(f"L'image est trop grande : au plus {megapixels} mégapixels.")


class ImageTooSmall(InvalidField):
    code = "image_too_small"

    def __init__(self, min_side: int) -> None:
        super().__init__(f"L'image est trop petite : au moins {min_side} pixels de côté.")


class BadAspectRatio(InvalidField):
    code = "bad_aspect_ratio"
    message = "L'image est trop étroite ou trop allongée pour le mur."


def check_geometry(width: int, height: int, limits: MediaLimits) -> None:
    """Refuse a size read from the header before anything is decoded."""
    if width * height > limits.max_pixels:
        raise TooManyPixels(limits.max_pixels)
    if min(width, height) < limits.min_side:
        raise ImageTooSmall(limits.min_side)
    if max(width, height) / min(width, height) > limits.max_aspect:
        raise BadAspectRatio()
