from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tests.media import factories as make
from wall.media import MediaStore, process_image
from wall.media.faces import Box, detect_faces, hide_faces


def region(image: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    return np.asarray(image.crop(box), dtype=np.float64)


def test_the_synthetic_face_is_detected_and_plain_pictures_are_not() -> None:
    faces = detect_faces(make.synthetic_face(400))
    assert len(faces) == 1
    face = faces[0]
    # The drawn face spans x 280-520, y 140-480 on the 800x600 canvas.
    assert abs(face.left + face.width / 2 - 400) < 40
    assert abs(face.top + face.height / 2 - 310) < 40
    assert 240 <= face.width <= 450
    assert detect_faces(make.quadrant_marker(800, 600)) == []
    assert detect_faces(make.solid((30, 160, 40), (800, 600))) == []


def test_hide_faces_destroys_detail_inside_the_box_only() -> None:
    image = make.photo(600, 400, seed=2)
    box = Box(200, 100, 120, 120)
    hidden = hide_faces(image, [box], margin=0.25)
    grown = (170, 70, 350, 250)
    before, after = region(image, grown), region(hidden, grown)
    # Fine detail (neighbouring-pixel differences) is essentially gone.
    assert np.abs(np.diff(after, axis=1)).mean() < 0.2 * np.abs(np.diff(before, axis=1)).mean()
    # Outside the grown box nothing changed.
    outside = (400, 0, 600, 400)
    assert np.array_equal(region(image, outside), region(hidden, outside))
    assert np.array_equal(region(image, (0, 0, 160, 400)), region(hidden, (0, 0, 160, 400)))


def test_hide_faces_clamps_boxes_at_the_edges() -> None:
    image = make.photo(300, 300)
    hidden = hide_faces(image, [Box(250, 250, 80, 80), Box(-10, -10, 40, 40)])
    assert hidden.size == image.size


def test_blur_faces_blurs_public_files_and_keeps_private_originals(
    uploads: Path, store: MediaStore
) -> None:
    source = make.synthetic_face(400)
    path = make.write(uploads, "face.png", make.encoded(source, "PNG"))
    result = process_image(path, store, blur_faces=True)

    assert result.faces_blurred == 1
    kinds = {f.kind for f in result.files}
    assert kinds == {
        "display",
        "display_webp",
        "thumb",
        "thumb_webp",
        "display_private",
        "thumb_private",
    }
    assert set(result.private_names) == {
        result.pick("display_private").name,
        result.pick("thumb_private").name,
    }
    assert not set(result.private_names) & set(result.public_names)

    def opened(kind: str) -> Image.Image:
        stored_path = store.path(result.pick(kind).name)
        assert stored_path is not None
        return Image.open(stored_path).convert("RGB")

    eyes = (320, 230, 480, 290)  # both drawn eyes on the 800x600 canvas
    public, private = opened("display"), opened("display_private")
    assert detect_faces(public) == []
    assert len(detect_faces(private)) == 1
    spread_public = region(public, eyes).std()
    spread_private = region(private, eyes).std()
    assert spread_public < 0.3 * spread_private
    # The public thumbnail is made from the blurred picture too.
    assert detect_faces(opened("thumb").resize((800, 600))) == []


def test_without_faces_blur_faces_stores_only_public_files(
    uploads: Path, store: MediaStore
) -> None:
    path = make.write(uploads, "p.png", make.encoded(make.quadrant_marker(800, 600), "PNG"))
    result = process_image(path, store, blur_faces=True)
    assert result.faces_blurred == 0
    assert result.private_names == []


def test_faces_are_left_alone_unless_asked(uploads: Path, store: MediaStore) -> None:
    path = make.write(uploads, "face.png", make.encoded(make.synthetic_face(400), "PNG"))
    result = process_image(path, store)
    assert result.faces_blurred == 0
    assert {f.kind for f in result.files} == {"display", "display_webp", "thumb", "thumb_webp"}
