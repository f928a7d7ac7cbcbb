"""The share card: the photo in the campaign's frame, and nothing but pixels."""

from __future__ import annotations

import io
import struct

from PIL import Image, ImageDraw, ImageFont

from tests.media.factories import SECRET_CAMERA, SECRET_COMMENT, jpeg_with_everything, photo
from wall import share_card


def jpeg_markers(data: bytes) -> list[int]:
    """The marker of every segment before the image data (APPn, COM, DQT…)."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while at < len(data):
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the pixels follow
            return markers
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    raise AssertionError("no image data")


def assert_pixels_only(data: bytes) -> None:
    """No EXIF (GPS included), XMP, ICC profile or comment: JFIF's APP0 at most."""
    markers = jpeg_markers(data)
    assert [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE] == [], markers
    assert b"Exif" not in data and b"GPS" not in data and b"ICC_PROFILE" not in data
    with Image.open(io.BytesIO(data)) as card:
        assert not card.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(card.info)


def test_a_card_from_a_photo_full_of_metadata_carries_none() -> None:
    source = jpeg_with_everything(photo(1600, 1200))
    with Image.open(io.BytesIO(source)) as image:
        assert {"exif", "icc_profile", "comment"} <= set(image.info), "the source must carry it"
        data = share_card.make_card(image, "perséVERT2024")
    assert_pixels_only(data)
    assert SECRET_COMMENT not in data and SECRET_CAMERA not in data
    with Image.open(io.BytesIO(data)) as card:
        assert (card.format, card.size) == ("JPEG", (share_card.WIDTH, share_card.HEIGHT))


def test_the_frame_is_green_the_card_white_and_the_photo_inside() -> None:
    red = Image.new("RGB", (900, 1200), (220, 20, 20))
    with Image.open(io.BytesIO(share_card.make_card(red, "perséVERT2024"))) as card:
        rgb = card.convert("RGB")
        corner = rgb.getpixel((5, 5))
        white = rgb.getpixel((share_card.FRAME + 5, share_card.HEIGHT // 2))
        middle = rgb.getpixel((share_card.WIDTH // 2, share_card.HEIGHT // 3))
    assert isinstance(corner, tuple) and isinstance(white, tuple) and isinstance(middle, tuple)
    assert all(abs(a - b) < 12 for a, b in zip(corner, share_card.GREEN, strict=True)), corner
    assert min(white) > 240, white
    assert middle[0] > 180 and middle[1] < 60, middle


def test_the_hashtag_is_written_whole_accents_included() -> None:
    font = ImageFont.truetype(str(share_card.FONT), 80)

    def glyph(letter: str) -> bytes:
        image = Image.new("L", (120, 120))
        ImageDraw.Draw(image).text((10, 0), letter, font=font, fill=255)
        return image.tobytes()

    missing = glyph("\u4e00")  # a glyph the Latin subset lacks: drawn as a box
    for letter in "perséVERT2024#àèçÉô":
        assert glyph(letter) != missing, letter
    # The text band of a card differs with the hashtag: the text is really drawn.
    grey = Image.new("RGB", (800, 600), (128, 128, 128))
    one = Image.open(io.BytesIO(share_card.make_card(grey, "perséVERT2024"))).convert("L")
    other = Image.open(io.BytesIO(share_card.make_card(grey, "perseVERT2024"))).convert("L")
    band = (0, share_card.HEIGHT - 300, share_card.WIDTH, share_card.HEIGHT - 80)
    assert one.crop(band).tobytes() != other.crop(band).tobytes()


def test_a_long_hashtag_is_made_smaller_to_fit() -> None:
    long_tag = "VagueVerteDesEcolesDuQuebec2024"
    card = Image.open(io.BytesIO(share_card.make_card(photo(400, 300), long_tag))).convert("L")
    inner = share_card.FRAME + share_card.MARGIN
    top, bottom = share_card.HEIGHT - inner - share_card.CAPTION_HEIGHT, share_card.HEIGHT - inner
    # The white margins beside the text stay white: the text fits inside them.
    for left in (share_card.FRAME + 4, share_card.WIDTH - inner + 4):
        margin = card.crop((left, top, left + share_card.MARGIN - 8, bottom))
        darkest, _ = margin.getextrema()
        assert isinstance(darkest, int) and darkest > 235, left
    text = card.crop((inner, top, share_card.WIDTH - inner, bottom))
    darkest_text, _ = text.getextrema()
    assert isinstance(darkest_text, int) and darkest_text < 120  # and there is text
