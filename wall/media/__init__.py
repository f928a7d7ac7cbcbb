"""The one media pipeline: every image the wall stores goes through it.

Uploads and source downloads alike call ``process_image`` (in a worker thread
through ``process_image_async``). It sniffs the content, decodes with an
explicit list of decoders after checking the pixel count, applies the EXIF
orientation, converts to sRGB, and writes derivatives built from the pixels
alone, so no metadata ever reaches a stored file.
"""

from wall.media.pipeline import (
    MediaLimits,
    ProcessedImage,
    StoredFile,
    process_image,
    process_image_async,
)
from wall.media.store import MediaStore

__all__ = [
    "MediaLimits",
    "MediaStore",
    "ProcessedImage",
    "StoredFile",
    "process_image",
    "process_image_async",
]
