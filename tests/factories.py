"""Small functions that make real things: images, uploads, moderators, sessions."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from wall import auth, school_invites
from wall.config import Settings
from wall.db import Database

ADMIN_EMAIL = "admin@ecole.test"
ADMIN_PASSWORD = "mot-de-passe-solide"


def jpeg_bytes(
    size: tuple[int, int] = (800, 600),
    color: tuple[int, int, int] = (40, 170, 70),
    *,
    gps: bool = False,
    comment: bytes | None = None,
) -> bytes:
    """A real JPEG; with ``gps`` it carries EXIF GPS coordinates (Québec City)."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        gps_ifd = {1: "N", 2: (46.0, 48.0, 52.0), 3: "W", 4: (71.0, 12.0, 29.0)}
        exif[0x8825] = gps_ifd
    buffer = io.BytesIO()
    params: dict[str, Any] = {"exif": exif.tobytes()} if gps else {}
    if comment is not None:
        params["comment"] = comment
    image.save(buffer, "JPEG", quality=90, **params)
    return buffer.getvalue()


UPLOAD_FIELDS = {"consent": "yes", "everyone_agrees": "yes", "age_confirmation": "14_or_older"}


async def upload(
    client: httpx.AsyncClient,
    image: bytes | None = None,
    *,
    filename: str = "photo.jpg",
    **fields: str,
) -> httpx.Response:
    data = {**UPLOAD_FIELDS, **fields}
    files = {"photo": (filename, image if image is not None else jpeg_bytes(), "image/jpeg")}
    return await client.post(
        "/upload", data=data, files=files, headers={"Accept": "application/json"}
    )


async def add_moderator(
    settings: Settings,
    email: str = ADMIN_EMAIL,
    password: str = ADMIN_PASSWORD,
    role: str = "admin",
) -> None:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            await auth.upsert_moderator(session, email, password, role)
    finally:
        await db.dispose()


async def sign_in(
    client: httpx.AsyncClient, settings: Settings, email: str = ADMIN_EMAIL, role: str = "admin"
) -> str:
    """Create a moderator, sign in with the client, and return the CSRF token."""
    await add_moderator(settings, email=email, role=role)
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


async def decide(
    client: httpx.AsyncClient, csrf: str, photo_id: str, action: str, reason: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"action": action}
    if reason is not None:
        body["reason"] = reason
    return await client.post(
        f"/api/moderation/photos/{photo_id}/decision",
        json=body,
        headers={"X-CSRF-Token": csrf},
    )


async def school_invite(
    settings: Settings,
    school: str = "École primaire des Bois",
    region: str | None = "Gaspésie–Îles-de-la-Madeleine",
    *,
    days: int = 7,
    upload_limit: int = 150,
) -> tuple[int, str]:
    """A school invite made as the CLI makes it; returns its id and its link's token."""
    assert settings.secret_key, "the app and the invite must share the secret key"
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.writing() as session:
            created = await school_invites.create(
                session,
                settings.secret_key,
                school=school,
                region=region,
                days=days,
                upload_limit=upload_limit,
            )
    finally:
        await db.dispose()
    return created.invite.id, created.token


def class_files(count: int, *, size: tuple[int, int] = (320, 240)) -> list[tuple[str, Any]]:
    """``count`` different real JPEGs as the ``photos`` parts of a class upload."""
    return [
        ("photos", (f"eleve-{n:02d}.jpg", jpeg_bytes(size, (30 + n * 7, 150, 60), gps=True)))
        for n in range(count)
    ]


async def class_upload(
    client: httpx.AsyncClient,
    token: str,
    files: list[tuple[str, Any]],
    *,
    lang: str = "",
    json: bool = True,
    **fields: str,
) -> httpx.Response:
    data = {"school_consent": "yes", **fields}
    url = f"/classe/{token}" + (f"?lang={lang}" if lang else "")
    headers = {"Accept": "application/json"} if json else {}
    return await client.post(url, data=data, files=files, headers=headers)
