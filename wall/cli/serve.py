"""``wall serve`` and ``wall migrate``: the site, and the schema it needs."""

from __future__ import annotations

import argparse
import asyncio
import secrets
from typing import Any

from sqlalchemy import func, select

from wall import auth, logs
from wall.cli.database import migrate, writing
from wall.cli.errors import UsageError
from wall.config import Settings
from wall.models import Moderator
from wall.sources.poller import configured_sources


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="apply migrations and serve the site")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve_command)
    migrating = commands.add_parser("migrate", help="apply pending database migrations")
    migrating.set_defaults(run=_migrate_command)


def _migrate_command(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    print("database is up to date")
    return 0


def _serve_command(settings: Settings, args: argparse.Namespace) -> int:
    serve(settings, args.host, args.port, args.workers)
    return 0


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    configs = configured_sources(settings)  # a bad wall.toml stops here, before serving
    if _is_public(settings):
        # A public wall's notice and privacy policy must name the real organization.
        problem = settings.placeholder()
        if problem is not None:
            raise UsageError(f"WALL_PUBLIC_URL is https but {problem}")
    migrate(settings)
    created = asyncio.run(_ensure_first_moderator(settings))
    base = settings.public_url or f"http://{host}:{port}"
    say = logs.announcer(settings.log_format)
    say(f"Vague verte — le mur : {base}/")
    say(f"Dépôt de photos (upload) : {base}/upload")
    say(f"Modération : {base}/moderation")
    if created is not None:
        email, password = created
        shown = password if password is not None else "(WALL_ADMIN_PASSWORD)"
        say(f"Premier modérateur (admin) : {email} / mot de passe : {shown}")
    if configs:
        names = ", ".join(config.name for config in configs)
        say(f"Sources interrogées : {names}")
    served: dict[str, Any] = {
        "host": host,
        "port": port,
        "timeout_graceful_shutdown": 5,
        "proxy_headers": True,
        "forwarded_allow_ips": list(settings.trusted_proxies),
        "log_config": logs.logging_config(settings.log_format),
    }
    if workers > 1:
        uvicorn.run("wall.app:create_app_from_env", factory=True, workers=workers, **served)
    else:
        from wall.app import create_app

        uvicorn.run(create_app(settings), **served)


def _is_public(settings: Settings) -> bool:
    return (settings.public_url or "").lower().startswith("https://")


def _placeholder_admin(settings: Settings) -> str | None:
    """Why the first admin ``wall serve`` would create is unfit for a public site, or None."""
    problems = []
    if settings.admin_email.strip().lower().endswith("@localhost"):
        problems.append(f"{settings.admin_email} (set WALL_ADMIN_EMAIL)")
    if not settings.admin_password:
        problems.append("a generated password (set WALL_ADMIN_PASSWORD)")
    return " with ".join(problems) or None


async def _ensure_first_moderator(settings: Settings) -> tuple[str, str | None] | None:
    """Create the first admin if there is no moderator; returns (email, password shown).

    On a public (https) site it refuses a placeholder admin: an ``@localhost``
    address, a generated password printed to the logs, or such an account
    left active from a trial run.
    """
    public = _is_public(settings)
    async with writing(settings) as session:
        existing = await session.scalar(select(func.count()).select_from(Moderator))
        if existing:
            if public:
                left = await session.scalar(
                    select(Moderator.email).where(
                        Moderator.email.like("%@localhost"), Moderator.disabled.is_(False)
                    )
                )
                if left is not None:
                    raise UsageError(
                        f"WALL_PUBLIC_URL is https but the account {left} is still active; "
                        f"disable it: wall moderator disable {left}"
                    )
            return None
        problem = _placeholder_admin(settings)
        if public and problem is not None:
            raise UsageError(
                f"WALL_PUBLIC_URL is https but the first admin would be {problem}, "
                "or create one first: wall moderator add EMAIL --role admin"
            )
        password = settings.admin_password or secrets.token_urlsafe(12)
        await auth.upsert_moderator(session, settings.admin_email, password, "admin")
        return settings.admin_email, None if settings.admin_password else password
