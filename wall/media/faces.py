"""Find frontal faces with OpenCV's bundled Haar cascade, and hide them.

Best effort only: a Haar cascade misses profiles, small or tilted faces and
some children's faces. Blurring lowers the exposure of the public copies; it
does not replace a moderator's look at the photo.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFilter

# The stubs of opencv-python do not declare cv2.data, which the wheel ships.
CASCADE_FILE = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
FACE_MARGIN = 0.25
PIXEL_CELLS = 6

_local = threading.local()


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int


def _classifier() -> cv2.CascadeClassifier:
    # A CascadeClassifier is not safe to share between threads: one per thread.
    classifier: cv2.CascadeClassifier | None = getattr(_local, "classifier", None)
    if classifier is None:
        classifier = cv2.CascadeClassifier(str(CASCADE_FILE))
        if classifier.empty():
            raise RuntimeError(f"cannot load the face cascade {CASCADE_FILE}")
        _local.classifier = classifier
    return classifier


def detect_faces(image: Image.Image) -> list[Box]:
    """Boxes of the frontal faces in ``image`` (in its own pixel coordinates)."""
    gray = cv2.equalizeHist(np.asarray(image.convert("L")))
    smallest = max(24, min(image.size) // 40)
    # minNeighbors 4 (OpenCV's examples use 3-6) leans towards blurring a
    # little too much rather than missing a child's face.
    found = _classifier().detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=4, minSize=(smallest, smallest)
    )
    return [Box(int(x), int(y), int(w), int(h)) for x, y, w, h in found]


def hide_faces(image: Image.Image, boxes: list[Box], margin: float = FACE_MARGIN) -> Image.Image:
    """A copy of ``image`` with each box (grown by ``margin``) pixelated, then smoothed.

    Pixelating to a few cells first keeps only about 6x6 colours per face, which
    no deblurring can turn back into a face; the blur hides the cell edges.
    """
    result = image.copy()
    for box in boxes:
        grow_x = round(box.width * margin)
        grow_y = round(box.height * margin)
        area = (
            max(0, box.left - grow_x),
            max(0, box.top - grow_y),
            min(image.width, box.left + box.width + grow_x),
            min(image.height, box.top + box.height + grow_y),
        )
        width, height = area[2] - area[0], area[3] - area[1]
        if width <= 0 or height <= 0:
            continue
        region = result.crop(area)
        cells = region.resize(
            (min(PIXEL_CELLS, width), min(PIXEL_CELLS, height)), Image.Resampling.BOX
        )
        blocky = cells.resize((width, height), Image.Resampling.NEAREST)
        radius = max(width, height) / (PIXEL_CELLS * 2)
        result.paste(blocky.filter(ImageFilter.GaussianBlur(radius)), area[:2])
    return result
