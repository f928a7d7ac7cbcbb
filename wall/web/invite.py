"""The invitation a projected wall shows: the upload page's address and its QR code."""

from __future__ import annotations

import io

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def upload_address(request: Request) -> str:
    """The absolute upload URL, under ``WALL_PUBLIC_URL`` when set (``web.public_url``)."""
    return str(request.url_for("upload_page"))


def qr_svg(text: str, title: str) -> bytes:
    """An SVG QR code of ``text``, dark green on white, for phones to scan."""
    code = segno.make(text, error="m")
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        scale=8,
        border=2,
        dark="#0d2b16",
        light="#ffffff",
        xmldecl=False,
        title=title,
    )
    return buffer.getvalue()


async def upload_qr(request: Request) -> Response:
    """An SVG QR code of the upload page, for phones in the classroom to scan."""
    return Response(
        qr_svg(upload_address(request), "Envoie ta photo"),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=3600"},
    )


routes = [Route("/invite/upload.svg", upload_qr, name="upload_qr")]
