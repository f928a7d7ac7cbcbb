"""``docs/api.md`` is the complete reference: these tests keep it true.

Each list is read from the code itself (the app's routes, ``SETTINGS``, the
command parser, the error classes and codes, the event types, the metrics),
so a route, setting, command, code or event added anywhere fails here until
the reference names it, and a name the reference keeps after the code
dropped it fails too.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from starlette.routing import Mount, Route

import wall
from wall import cli, events
from wall.app import create_app
from wall.config import SETTINGS, Settings
from wall.errors import WallError
from wall.metrics import Metrics
from wall.web.moderation import QUEUE_EVENT_TYPES
from wall.web.responses import HTTP_MESSAGES

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DOCUMENTED_ROUTE = re.compile(rf"`({'|'.join(METHODS)}) (/[^`\s?]*)")


def _section(title: str) -> str:
    start = DOC.index(f"\n## {title}\n")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end != -1 else len(DOC)]


def app_routes() -> tuple[set[tuple[str, str]], set[str]]:
    routes: set[tuple[str, str]] = set()
    mounts: set[str] = set()
    for route in create_app(Settings()).routes:
        if isinstance(route, Mount):
            mounts.add(route.path)
        else:
            assert isinstance(route, Route), route
            routes |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    return routes, mounts


def test_every_route_is_in_the_reference_and_every_route_named_there_exists() -> None:
    routes, mounts = app_routes()
    documented = set(DOCUMENTED_ROUTE.findall(_section("HTTP")))
    assert routes - documented == set(), "routes missing from docs/api.md (HTTP)"
    assert documented - routes == set(), "docs/api.md names routes the app does not have"
    for mount in mounts:
        assert f"`{mount}/…`" in DOC, mount


def _settings_rows() -> dict[str, list[str]]:
    rows = {}
    for line in _section("Settings").splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith("`WALL_"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_setting_is_in_the_reference_with_its_default() -> None:
    rows = _settings_rows()
    assert set(rows) == {s.env for s in SETTINGS}
    for setting in SETTINGS:
        default = rows[setting.env][1]
        if setting.env == "WALL_REGIONS":
            assert "17" in default
        elif setting.default:
            assert default == f"`{setting.default}`", setting.env
        else:
            assert default == "—", setting.env


def _commands() -> set[str]:
    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.add(f"{prefix} {name}".strip())
                    walk(sub, f"{prefix} {name}")

    walk(cli._parser(), "")
    return found


def test_every_command_is_in_the_reference() -> None:
    table = _section("Command line")
    for command in _commands():
        if command == "moderator":
            continue  # a group: its commands are listed
        assert f"`wall {command}" in table, command


def _error_codes() -> set[str]:
    for module in pkgutil.walk_packages(wall.__path__, "wall."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)

    def subclasses(cls: type[WallError]) -> set[type[WallError]]:
        direct = set(cls.__subclasses__())
        return direct.union(*(subclasses(sub) for sub in direct))

    codes = {cls.code for cls in subclasses(WallError)}
    codes |= {code for code, _ in HTTP_MESSAGES.values()} | {"http_error"}
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "wall").rglob("*.py"))
    return codes | set(re.findall(r'\bcode="([a-z0-9_]+)"', source))


def test_every_error_code_is_in_the_reference_and_no_other() -> None:
    table = _section("Error codes")
    rows = "\n".join(line for line in table.splitlines() if line.startswith("| "))
    documented = set(re.findall(r"`([a-z0-9_]+)`", rows))
    codes = _error_codes()
    assert codes - documented == set(), "error codes missing from docs/api.md"
    assert documented - codes == set(), "docs/api.md lists codes the code never answers"


def test_every_event_type_is_in_the_reference() -> None:
    table = _section("Event streams")
    for type_ in events.PUBLIC_EVENT_TYPES | QUEUE_EVENT_TYPES | {"reset"}:
        assert f"`{type_}`" in table, type_


def test_every_metric_is_in_the_reference() -> None:
    table = _section("Metrics")
    names = {
        family.name
        for family in text_string_to_metric_families(generate_latest(Metrics().registry).decode())
    }
    assert names, "no metric at all"
    for name in names:
        suffix = "_total" if f"`{name}_total`" in table else ""
        assert f"`{name}{suffix}`" in table, name


def test_the_readme_points_to_the_reference_not_to_a_missing_contract() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/api.md" in readme
    assert "CONTRACT.md" not in readme
