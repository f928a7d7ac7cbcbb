"""The share card: a visitor's photo in a green-and-white frame with the campaign hashtag.

Made from the clean display derivative (already upright, sRGB, metadata-free),
pasted into a new image: the JPEG carries pixels only, no EXIF, GPS, ICC
profile or comment. Built on request for the manage link's holder, never
stored: it is as private as the photo itself.

The font is a Latin subset (20 KB) of DejaVu Sans Bold shipped with the
package, so that the accents of ``#perséVERT2024`` render wherever the wall
runs; Pillow's built-in font has no ``é``.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# 4:5 portrait: what Instagram, Facebook and Mastodon show whole in a feed.
WIDTH, HEIGHT = 1080, 1350
GREEN = (21, 112, 52)  # the page's green (#157034)
WHITE = (255, 255, 255)
FRAME = 36  # the green band around the white card
MARGIN = 36  # white around the photo
CAPTION_HEIGHT = 230  # the hashtag's band under the photo
MAX_TEXT_SIZE = 120
QUALITY = 88
FONT = Path(__file__).parent / "fonts" / "DejaVuSans-Bold-latin.ttf"


def make_card(photo: Image.Image, hashtag: str) -> bytes:
    """A JPEG share card of ``photo`` captioned ``#hashtag``, with no metadata."""
    card = Image.new("RGB", (WIDTH, HEIGHT), GREEN)
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle(
        (FRAME, FRAME, WIDTH - FRAME - 1, HEIGHT - FRAME - 1), radius=28, fill=WHITE
    )
    inner = FRAME + MARGIN
    box_width = WIDTH - 2 * inner
    box_height = HEIGHT - 2 * inner - CAPTION_HEIGHT
    scale = min(box_width / photo.width, box_height / photo.height)
    size = (max(1, round(photo.width * scale)), max(1, round(photo.height * scale)))
    picture = photo.convert("RGB").resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    left = inner + (box_width - picture.width) // 2
    top = inner + (box_height - picture.height) // 2
    card.paste(picture, (left, top))

    text = f"#{hashtag}"
    font = _font_fitting(draw, text, box_width)
    caption_middle = HEIGHT - inner - CAPTION_HEIGHT // 2
    draw.text((WIDTH // 2, caption_middle), text, font=font, fill=GREEN, anchor="mm")

    buffer = io.BytesIO()
    # ``card`` was made with Image.new: its ``info`` is empty, so the encoder
    # writes no EXIF, ICC profile or comment.
    card.save(buffer, "JPEG", quality=QUALITY, optimize=True)
    return buffer.getvalue()


def _font_fitting(draw: ImageDraw.ImageDraw, text: str, width: int) -> ImageFont.FreeTypeFont:
    size = MAX_TEXT_SIZE
    while True:
        font = ImageFont.truetype(str(FONT), size)
        if draw.textlength(text, font=font) <= width or size <= 24:
            return font
        size -= 6
