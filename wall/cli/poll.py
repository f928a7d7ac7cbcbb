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
from wall.sources.poller import configured_sources, create_poller


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
    configs = _sources_to_poll(settings, args.source)
    migrate(settings)
    return asyncio.run(_poll(settings, configs, args.once))


def _sources_to_poll(settings: Settings, only: str | None) -> list[SourceConfig]:
    configs = configured_sources(settings)
    if not configs:
        raise UsageError(
            "no source to poll: create wall.toml or set WALL_SOURCES_FILE (see docs/sources.md)"
        )
    if only is None:
        return configs
    chosen = [config for config in configs if config.name == only]
    if not chosen:
        names = ", ".join(config.name for config in configs)
        raise UsageError(f"unknown source {only!r} (configured: {names})")
    return chosen


async def _poll(settings: Settings, configs: list[SourceConfig], once: bool) -> int:
    # A pooled engine, unlike the one-shot commands: the pollers run side by side.
    db = Database(settings.database_url)
    poller = create_poller(settings, configs, db, store=MediaStore(settings.media_path))
    try:
        if once:
            results = await poller.run_once()
            for result in results:
                print(result.line(), flush=True)
            return 0 if all(result.ok for result in results) else 1
        names = ", ".join(config.name for config in configs)
        print(f"polling {names} (Ctrl-C to stop)", flush=True)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, poller.request_stop)
        try:
            await poller.run_forever()
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
        return 0
    finally:
        await poller.close()
        await db.dispose()
