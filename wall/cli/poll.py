"""``wall poll``: the source pollers in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import signal

from wall.cli.database import migrate
from wall.cli.errors import UsageError
from wall.config import Settings
from wall.db import Database
from wall.media import MediaStore
from wall.sources.base import SourceConfig
from wall.sources.catalogue import Catalogue
from wall.sources.poller import Poller, configured_sources, create_poller
from wall.sources.sealing import CredentialBox


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    poll = commands.add_parser("poll", help="run the source pollers in the foreground")
    poll.add_argument(
        "--once",
        action="store_true",
        help="one round of every source, then exit (0 if all answered)",
    )
    poll.add_argument("--source", metavar="NAME", help="poll only this source (its wall.toml name)")
    poll.set_defaults(run=_poll_command)


def _poll_command(settings: Settings, args: argparse.Namespace) -> int:
    file_sources = configured_sources(settings)  # a bad wall.toml stops before anything
    migrate(settings)
    return asyncio.run(_poll(settings, file_sources, args.source, args.once))


def _chosen(configs: list[SourceConfig], only: str | None) -> list[SourceConfig]:
    if only is None:
        return configs
    return [config for config in configs if config.name == only]


async def _poll(
    settings: Settings, file_sources: list[SourceConfig], only: str | None, once: bool
) -> int:
    """Poll the catalogue's sources (``wall.toml`` seeds it), following its changes."""
    from wall.app import load_secret_key  # the server's key: it sealed the credentials

    # A pooled engine, unlike the one-shot commands: the pollers run side by side.
    db = Database(settings.database_url)
    try:
        catalogue = Catalogue(db, CredentialBox(load_secret_key(settings)), settings)
        await catalogue.seed(file_sources)
        configs = await catalogue.active_configs()
        if not configs and once:
            raise UsageError(
                "no source to poll: add one on the admin page, or create wall.toml or set "
                "WALL_SOURCES_FILE (see docs/sources.md)"
            )
        if only is not None and not _chosen(configs, only):
            names = ", ".join(config.name for config in configs)
            raise UsageError(f"unknown source {only!r} (configured: {names})")

        async def current() -> list[SourceConfig]:
            return _chosen(await catalogue.active_configs(), only)

        poller = create_poller(
            settings,
            _chosen(configs, only),
            db,
            store=MediaStore(settings.media_path),
            catalogue=None if once else current,
        )
        try:
            return await (_once(poller) if once else _forever(poller))
        finally:
            await poller.close()
    finally:
        await db.dispose()


async def _once(poller: Poller) -> int:
    results = await poller.run_once()
    for result in results:
        print(result.line(), flush=True)
    return 0 if all(result.ok for result in results) else 1


async def _forever(poller: Poller) -> int:
    names = ", ".join(config.name for config in poller.configs)
    if names:
        print(f"polling {names} (Ctrl-C to stop)", flush=True)
    else:
        print("no source yet: waiting for one from the admin page (Ctrl-C to stop)", flush=True)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, poller.request_stop)
    try:
        await poller.run_forever()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
    return 0
