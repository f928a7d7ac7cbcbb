"""axe-core in headless Chromium, when its script is on this machine.

axe-core is a JavaScript file (MPL-2.0): the test extra
``axe-playwright-python`` ships its ``axe.min.js``; ``WALL_TEST_AXE_JS`` or
``node_modules/axe-core`` may name another copy. Like Chromium, it is
skipped on a developer's machine without it and required in CI. The
computed-contrast check (``tests/moderation/contrast.py``) runs everywhere
regardless.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
SERIOUS = ("serious", "critical")


def axe_script() -> str:
    candidates = [
        os.environ.get("WALL_TEST_AXE_JS", ""),
        str(ROOT / "node_modules" / "axe-core" / "axe.min.js"),
    ]
    packaged = importlib.util.find_spec("axe_playwright_python")
    if packaged is not None and packaged.origin:
        candidates.append(str(Path(packaged.origin).parent / "axe.min.js"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_text(encoding="utf-8")
    message = "axe-core not found (set WALL_TEST_AXE_JS to axe.min.js)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def serious_violations(page: Page, script: str) -> list[str]:
    """axe's serious and critical violations on the page, one line each."""
    # Runtime.evaluate is not bound by the page's CSP (script-src 'self').
    page.evaluate(script + "\n;undefined")
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    found: list[str] = []
    for violation in results["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found
