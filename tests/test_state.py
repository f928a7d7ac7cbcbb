"""The application's shared objects are typed (``wall.state.AppState``)."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.applications import Starlette

from wall.state import AppState

ROOT = Path(__file__).resolve().parent.parent
# Modules allowed to read ``request.state.<name>`` (typed Any): none any more.
UNTYPED_READS: set[str] = set()


async def test_the_lifespan_yields_exactly_the_typed_state(app: Starlette) -> None:
    from wall.config import Settings
    from wall.db import Database
    from wall.events import EventHub
    from wall.metrics import Metrics

    async with app.router.lifespan_context(app) as state:
        assert state is not None
        assert set(state) == set(AppState.__annotations__)
        typed = AppState(**state)  # type: ignore[typeddict-item]
        assert isinstance(typed["settings"], Settings)
        assert isinstance(typed["db"], Database)
        assert isinstance(typed["hub"], EventHub)
        assert isinstance(typed["metrics"], Metrics)


def test_no_new_module_reads_the_untyped_state() -> None:
    readers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "wall").rglob("*.py")
        if re.search(r"\b(request|connection|websocket)\.state\.\w", path.read_text())
    }
    assert readers - UNTYPED_READS == set(), "use wall.state.app_state(request)[...]"
    assert UNTYPED_READS - readers == set(), "a module moved to app_state: drop it from the list"
