"""The ``wall`` command: serve, migrate, moderator, school, poll, purge, backup, restore, export.

Each module adds its commands to the parser, each with the function that runs
it (``run``); ``main`` reads the settings, runs the command and turns the
expected failures into one line and an exit status: 0 ok, 1 failure, 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wall.cli import data, moderators, poll, schools, serve
from wall.cli.errors import CommandError, UsageError
from wall.config import ConfigError, Settings

# The names the tests reach through ``wall.cli``.
_add_moderator = moderators.add_moderator
_disable_moderator = moderators.disable_moderator

__all__ = ["CommandError", "UsageError", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wall", description="Vague verte, the live photo wall.")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in (serve, moderators, schools, poll, data):
        group.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        status: int = args.run(settings, args)
    except ConfigError as exc:
        print(f"wall: configuration error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"wall: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"wall: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 1
    return status
