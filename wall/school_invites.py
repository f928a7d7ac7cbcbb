"""School invites: links an admin gives a school so a teacher sends a class's photos at once.

One module for the command line (``wall school add|list|revoke``) and the
admin page. An invite carries the school and the region its photos get, an
expiry, a per-invite upload cap (a school is one address, so the per-client
limits do not fit) and may be revoked. Only a keyed hash of the link's secret
is stored (``pseudonyms``): the link is shown once, at creation, and a copy
of the database cannot be turned back into working links.

Uploads through an invite are counted under the client key ``invite-<id>``
(``invite_client``): their slots while in flight, then their photos'
``client_hash``, so that they never count against the school's address.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wall.errors import Conflict, Forbidden, InvalidField, NotFound
from wall.models import Moderator, Photo, SchoolInvite, utcnow
from wall.moderation import audit
from wall.photos import iso
from wall.pseudonyms import pseudonym

PATH = "/classe/"
MAX_SCHOOL = 120
MAX_DAYS = 366
DEFAULT_DAYS = 14
# Five classes of thirty: enough for a school's day, small enough to notice abuse.
DEFAULT_UPLOAD_LIMIT = 150
MAX_UPLOAD_LIMIT = 10_000
TOKEN_BYTES = 24


@dataclass(frozen=True)
class Created:
    """A new invite and its secret, which is never stored and so shown only now."""

    invite: SchoolInvite
    token: str


@dataclass(frozen=True)
class Listed:
    invite: SchoolInvite
    used: int


def token_hash(secret_key: str, token: str) -> str:
    return pseudonym(secret_key, "school-invite", token)


def invite_client(invite_id: int) -> str:
    """The key every per-invite count uses (upload slots, ``Photo.client_hash``)."""
    return f"invite-{invite_id}"


def link(base_url: str, token: str) -> str:
    """The class upload page's address under ``base_url`` (``WALL_PUBLIC_URL``)."""
    return base_url.rstrip("/") + PATH + token


def state(invite: SchoolInvite, now: dt.datetime) -> str:
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= now:
        return "expired"
    return "active"


def check_usable(invite: SchoolInvite, now: dt.datetime) -> None:
    """``403`` with a French message for a revoked or expired invite."""
    if invite.revoked_at is not None:
        raise Forbidden(
            "Ce lien d'envoi pour les classes a été révoqué. "
            "Demandez un nouveau lien à l'équipe de la campagne.",
            code="invite_revoked",
            message_en="This class upload link was revoked. Ask the campaign team for a new link.",
        )
    if invite.expires_at <= now:
        raise Forbidden(
            "Ce lien d'envoi pour les classes est expiré. "
            "Demandez un nouveau lien à l'équipe de la campagne.",
            code="invite_expired",
            message_en="This class upload link has expired. Ask the campaign team for a new link.",
        )


def unknown_invite() -> NotFound:
    return NotFound(
        "Ce lien d'envoi pour les classes n'est pas valide.",
        code="unknown_invite",
        message_en="This class upload link is not valid.",
    )


async def find_usable(
    session: AsyncSession, secret_key: str, token: str, now: dt.datetime | None = None
) -> SchoolInvite:
    """The invite behind ``token``: ``404`` unknown, ``403`` revoked or expired."""
    invite = await session.scalar(
        select(SchoolInvite).where(SchoolInvite.token_hash == token_hash(secret_key, token))
    )
    if invite is None:
        raise unknown_invite()
    check_usable(invite, now or utcnow())
    return invite


def clean_school(raw: object) -> str:
    school = raw.strip() if isinstance(raw, str) else ""
    if not school or len(school) > MAX_SCHOOL:
        raise InvalidField(
            f"Donnez le nom de l'école (au plus {MAX_SCHOOL} caractères).",
            code="invalid_school",
        )
    return school


def clean_region(raw: object, regions: tuple[str, ...]) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in regions:
        raise InvalidField("Choisissez une région de la liste.", code="unknown_region")
    assert isinstance(raw, str)
    return raw


def clean_whole(raw: object, minimum: int, maximum: int, code: str, what: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidField(f"{what}\u00a0: un nombre de {minimum} à {maximum}.", code=code)
    try:
        value = int(raw)
    except ValueError:
        raise InvalidField(
            f"{what}\u00a0: un nombre de {minimum} à {maximum}.", code=code
        ) from None
    if not minimum <= value <= maximum:
        raise InvalidField(f"{what}\u00a0: un nombre de {minimum} à {maximum}.", code=code)
    return value


async def create(
    session: AsyncSession,
    secret_key: str,
    *,
    school: str,
    region: str | None,
    days: int,
    upload_limit: int,
    actor: Moderator | None = None,
    client: str | None = None,
) -> Created:
    """Store a new invite in the caller's transaction; ``actor`` None means the CLI.

    The values are expected checked (``clean_*``)."""
    now = utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invite = SchoolInvite(
        school=school,
        region=region,
        token_hash=token_hash(secret_key, token),
        upload_limit=upload_limit,
        created_by=actor.email if actor else "cli",
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(invite)
    await session.flush()
    await audit.record(
        session,
        "school_invite.created",
        actor=actor,
        actor_label="cli",
        client=client,
        target=school,
        details={
            "invite_id": invite.id,
            "region": region,
            "expires_at": iso(invite.expires_at),
            "upload_limit": upload_limit,
        },
    )
    return Created(invite, token)


async def list_all(session: AsyncSession) -> list[Listed]:
    """Every invite, newest first, with how many photos came through it."""
    invites = (await session.scalars(select(SchoolInvite).order_by(SchoolInvite.id.desc()))).all()
    keys = [invite_client(i.id) for i in invites]
    counts = dict(
        (
            await session.execute(
                select(Photo.client_hash, func.count())
                .where(Photo.client_hash.in_(keys))
                .group_by(Photo.client_hash)
            )
        ).all()
    )
    return [Listed(i, int(counts.get(invite_client(i.id), 0))) for i in invites]


async def uploads_through(session: AsyncSession, invite_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Photo).where(Photo.client_hash == invite_client(invite_id))
    )
    return int(count or 0)


async def revoke(
    session: AsyncSession,
    invite_id: int,
    *,
    actor: Moderator | None = None,
    client: str | None = None,
) -> SchoolInvite:
    """Revoke an invite at once; ``409`` if it already was. Its photos stay in moderation."""
    invite = await session.get(SchoolInvite, invite_id, with_for_update=True)
    if invite is None:
        raise NotFound("Ce lien n'existe pas.", code="invite_not_found")
    if invite.revoked_at is not None:
        raise Conflict("Ce lien est déjà révoqué.", code="invite_already_revoked")
    invite.revoked_at = utcnow()
    await audit.record(
        session,
        "school_invite.revoked",
        actor=actor,
        actor_label="cli",
        client=client,
        target=invite.school,
        details={"invite_id": invite.id},
    )
    return invite


def invite_json(listed: Listed, now: dt.datetime) -> dict[str, Any]:
    invite = listed.invite
    return {
        "id": invite.id,
        "school": invite.school,
        "region": invite.region,
        "upload_limit": invite.upload_limit,
        "uploads": listed.used,
        "created_by": invite.created_by,
        "created_at": iso(invite.created_at),
        "expires_at": iso(invite.expires_at),
        "revoked_at": iso(invite.revoked_at),
        "state": state(invite, now),
    }
