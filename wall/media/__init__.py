"""The one media pipeline: every image the wall stores goes through it.

Uploads and source downloads alike call ``process_image`` (in a worker thread
through ``process_image_async``). It sniffs the content, checks the pixel
count from the header, decodes with the one matching decoder, applies the EXIF
orientation, converts to sRGB, and writes JPEG and WebP derivatives built from
the pixels alone, so no metadata ever reaches a stored file.
"""

from wall.media.analysis import NEAR_DUPLICATE_DISTANCE, hamming, is_near_duplicate
from wall.media.limits import MediaLimits
from wall.media.pipeline import (
    DEFAULT_CONCURRENT_DECODES,
    ProcessedImage,
    StoredFile,
    process_image,
    process_image_async,
)
from wall.media.store import MediaStore

__all__ = [
    "DEFAULT_CONCURRENT_DECODES",
    "NEAR_DUPLICATE_DISTANCE",
    "MediaLimits",
    "MediaStore",
    "ProcessedImage",
    "StoredFile",
    "hamming",
    "is_near_duplicate",
    "process_image",
    "process_image_async",
]
