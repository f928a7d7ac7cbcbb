"""The projected wall in a real headless Chromium on a real uvicorn.

One screen at every size, live counter, rotation, outages, phases, filters,
spotlight, embed, a soak and accessibility. Screenshots are kept under the
test run's temporary directory (``wall-screens``).

Layout tests need no second database: they run on a SQLite file. Servers and
the browser are shared by a module's tests where the photos allow it.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser import ARGS, CHROMIUM, require_chromium
from tests.live import LiveServer
from tests.wall_photos import add_photos, decide_all, run
from wall import consent
from wall.app import create_app
from wall.config import QUEBEC_REGIONS, Settings
from wall.moderation.states import Action

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1366, 768), (3840, 2160), (1080, 1920)]
TORONTO = zoneinfo.ZoneInfo("America/Toronto")

# Everything the fit test measures, from the page itself.
MEASURE = """() => {
  const box = (node) => { const r = node.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const tiles = Array.from(document.querySelectorAll('#wall-grid li.tile'));
  const caption = document.querySelector('#wall-grid .caption');
  return {
    scrollHeight: document.scrollingElement.scrollHeight,
    scrollWidth: document.scrollingElement.scrollWidth,
    innerHeight, innerWidth,
    tiles: tiles.map(box),
    area: box(document.getElementById('wall-photos')),
    invite: box(document.getElementById('wall-invite')),
    qr: box(document.getElementById('upload-qr')),
    captionPx: caption ? parseFloat(getComputedStyle(caption).fontSize) : null,
    broken: Array.from(document.querySelectorAll('img'))
      .filter((img) => !(img.complete && img.naturalWidth > 0)).length,
    capacity: Number(document.getElementById('wall-photos').dataset.capacity),
    emptyShown: !document.getElementById('wall-empty').hidden,
  };
}"""
SHOWN_IDS = (
    "() => Array.from(document.querySelectorAll('#wall-grid li.tile')).map(t => t.dataset.id)"
)
BROKEN = """() => Array.from(document.querySelectorAll('img'))
  .filter((img) => !(img.complete && img.naturalWidth > 0)).map((img) => img.src)"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5
    )


def _today_in_quebec() -> dt.date:
    return dt.datetime.now(TORONTO).date()


def _settings(root: Path, template: Path, **extra: str) -> Settings:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, root / "wall.db")
    env = {
        "WALL_DATABASE_URL": f"sqlite+aiosqlite:///{root / 'wall.db'}",
        "WALL_DATA_DIR": str(root / "data"),
        "WALL_SECRET_KEY": "wall-screen-test-secret",
        "WALL_EVENT_POLL_SECONDS": "0.1",
        "WALL_EVENT_DATE": _today_in_quebec().isoformat(),
        "WALL_UPLOAD_LIMIT_PER_HOUR": "0",
        # add_photos writes rows without events: no cached answer may outlive them.
        "WALL_ANSWER_CACHE_SECONDS": "0.01",
    }
    env.update(extra)
    return Settings.from_env(env)


class Site:
    """A wall on a real uvicorn, its settings, and the browser that looks at it."""

    def __init__(self, settings: Settings, browser: Browser) -> None:
        self.settings = settings
        self.browser = browser
        self.server = LiveServer(create_app(settings, null_pool=True))
        self.server.start()

    @property
    def url(self) -> str:
        return self.server.url

    def restart(self) -> None:
        port = int(self.url.rpartition(":")[2])
        self.server = LiveServer(create_app(self.settings, null_pool=True), port=port)
        self.server.start()

    def page(self, path: str = "/", size: tuple[int, int] = (1366, 768), **options: Any) -> Page:
        context = self.browser.new_context(
            viewport={"width": size[0], "height": size[1]}, **options
        )
        page = context.new_page()
        if path:
            page.goto(self.url + path)
            page.wait_for_selector("#wall-photos[data-ready='1']", timeout=10000)
        return page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wall-screens")


@pytest.fixture
def site(browser: Browser, tmp_path: Path, sqlite_template: Path) -> Iterator[Site]:
    """A fresh wall for one test."""
    running = Site(_settings(tmp_path / "site", sqlite_template), browser)
    try:
        yield running
    finally:
        running.server.stop()


def _wait_shown(page: Page, count: int) -> None:
    page.wait_for_function(
        """(count) => {
          const tiles = document.querySelectorAll('#wall-grid li.tile');
          return tiles.length === count && Array.from(tiles).every((t) => {
            const img = t.querySelector('img'); return img.complete && img.naturalWidth > 0; });
        }""",
        arg=count,
        timeout=15000,
    )


def _wait_count(page: Page, count: int, timeout: int = 5000) -> None:
    page.wait_for_function(
        "(n) => document.getElementById('wall-count').dataset.count === String(n)",
        arg=count,
        timeout=timeout,
    )


def test_the_wall_fits_one_screen_at_every_size_and_count(
    browser: Browser, tmp_path: Path, sqlite_template: Path, screenshots: Path
) -> None:
    site = Site(_settings(tmp_path / "fit", sqlite_template), browser)
    seeded = 0
    try:
        for count in (0, 5, 60, 600):
            regions = QUEBEC_REGIONS[: 1 + count % 17]
            # Two pinned photos in all, as a moderator would leave them (the cap is 3).
            pinned = 2 if seeded == 0 else 0
            run(add_photos(site.settings, count - seeded, regions=regions, pinned=pinned))
            seeded = count
            for width, height in SIZES:
                where = f"{width}x{height} with {count} photos"
                page = site.page("/", (width, height))
                capacity = int(page.get_attribute("#wall-photos", "data-capacity") or 0)
                assert capacity >= 6, where
                _wait_shown(page, min(count, capacity))
                page.wait_for_function(
                    "(n) => document.getElementById('wall-count').dataset.count === String(n)",
                    arg=count,
                )
                # The last arrivals and moves end before anything is measured.
                page.wait_for_function("() => document.getAnimations().length === 0")
                seen = page.evaluate(MEASURE)
                page.screenshot(path=screenshots / f"wall-{count}-{width}x{height}.png")
                page.context.close()

                assert seen["scrollHeight"] <= seen["innerHeight"], where
                assert seen["scrollWidth"] <= seen["innerWidth"], where
                assert seen["broken"] == 0, where
                assert seen["emptyShown"] is (count == 0), where
                tiles = seen["tiles"]
                for index, tile in enumerate(tiles):
                    assert not _overlap(tile, seen["invite"]), (where, "invite", index)
                    for other in tiles[index + 1 :]:
                        assert not _overlap(tile, other), (where, tile, other)
                    area = seen["area"]
                    assert area["left"] - 1 <= tile["left"] and tile["right"] <= area["right"] + 1
                    assert area["top"] - 1 <= tile["top"] and tile["bottom"] <= area["bottom"] + 1
                if tiles:
                    assert seen["captionPx"] >= 0.025 * height, where
                    # No holes: the tiles cover the photo area but for the gaps.
                    covered = sum(
                        (t["right"] - t["left"]) * (t["bottom"] - t["top"]) for t in tiles
                    )
                    area_size = (area["right"] - area["left"]) * (area["bottom"] - area["top"])
                    assert covered >= 0.9 * area_size, where
                if (width, height) == (1920, 1080):
                    assert seen["qr"]["bottom"] - seen["qr"]["top"] >= 0.2 * height, where
    finally:
        site.server.stop()


def test_the_counter_map_and_wave_follow_approvals_and_removals_within_two_seconds(
    site: Site,
) -> None:
    run(add_photos(site.settings, 4, regions=["Estrie"]))
    waiting = run(add_photos(site.settings, 2, regions=["Laval"], status="pending"))
    page = site.page("/")
    page.wait_for_function("() => document.getElementById('wall-count').dataset.count === '4'")
    assert page.get_attribute("[data-region='Estrie']", "data-count") == "4"
    assert page.get_attribute("#wall-wave-chart", "data-total") == "4"

    run(decide_all(site.settings, waiting[:1], Action.APPROVE))
    started = time.monotonic()
    page.wait_for_function(
        "() => document.getElementById('wall-count').dataset.count === '5'", timeout=2000
    )
    page.wait_for_function(
        "() => document.querySelector(\"[data-region='Laval']\").dataset.count === '1'",
        timeout=2000 - int((time.monotonic() - started) * 1000),
    )
    assert page.get_attribute("#wall-wave-chart", "data-total") == "5"
    page.wait_for_selector(f"li.tile[data-id='{waiting[0]}']", timeout=3000)

    run(decide_all(site.settings, waiting[:1], Action.REMOVE))
    page.wait_for_function(
        "() => document.getElementById('wall-count').dataset.count === '4'", timeout=2000
    )
    assert page.query_selector(f"li.tile[data-id='{waiting[0]}']") is None
    assert page.get_attribute("[data-region='Laval']", "data-count") == "0"
    page.context.close()


def test_older_photos_rotate_in_and_never_hide_a_new_approval(site: Site) -> None:
    pinned = run(add_photos(site.settings, 1, regions=["Estrie"], pinned=1))
    run(add_photos(site.settings, 200, regions=QUEBEC_REGIONS))
    waiting = run(add_photos(site.settings, 1, regions=["Laval"], status="pending"))
    page = site.page("/?rotate=1")
    capacity = int(page.get_attribute("#wall-photos", "data-capacity") or 0)
    _wait_shown(page, capacity)
    first = page.evaluate(SHOWN_IDS)
    # The oldest photo is pinned: the page fetched it, and it leads a fresh screen.
    assert pinned[0] in first
    page.wait_for_function(
        f"(first) => ({SHOWN_IDS})().some((id) => !first.includes(id))",
        arg=first,
        timeout=30000,
    )
    # A new approval takes a slot and keeps it while older photos keep rotating.
    run(decide_all(site.settings, waiting, Action.APPROVE))
    page.wait_for_selector(f"li.tile[data-id='{waiting[0]}']", timeout=2000)
    shown_then = set(page.evaluate(SHOWN_IDS))
    page.wait_for_timeout(4000)  # four rotations
    shown_now = page.evaluate(SHOWN_IDS)
    assert waiting[0] in shown_now
    assert set(shown_now) != shown_then
    # Each rotation swaps one tile in place: the screen stays full, no overlap, nothing broken.
    seen = page.evaluate(MEASURE)
    assert len(seen["tiles"]) == capacity
    for index, tile in enumerate(seen["tiles"]):
        for other in seen["tiles"][index + 1 :]:
            assert not _overlap(tile, other), (tile, other)
    assert page.evaluate(BROKEN) == []
    page.context.close()


def test_an_outage_never_shows_a_broken_image_and_the_wall_recovers(site: Site) -> None:
    run(add_photos(site.settings, 3, regions=["Estrie"]))
    fresh = run(add_photos(site.settings, 4, regions=["Laval"], status="pending"))
    page = site.page("/")
    _wait_shown(page, 3)

    # The network to the images drops: new approvals arrive, their images fail.
    page.route("**/media/**", lambda route: route.abort())
    run(decide_all(site.settings, fresh[:2], Action.APPROVE))
    page.wait_for_function(
        "() => document.getElementById('wall-count').dataset.count === '5'", timeout=3000
    )
    page.wait_for_timeout(2500)  # several failed tries
    assert page.evaluate(BROKEN) == []
    assert len(page.evaluate(SHOWN_IDS)) == 3

    # Then the server itself goes away; approvals go on in the database meanwhile.
    site.server.stop()
    page.wait_for_selector("#wall-status:not([hidden])", timeout=5000)
    assert page.inner_text("#wall-status") == "Reconnexion…"
    run(decide_all(site.settings, fresh[2:], Action.APPROVE))
    page.wait_for_timeout(1500)
    assert page.evaluate(BROKEN) == []

    page.unroute("**/media/**")
    site.restart()
    started = time.monotonic()
    _wait_shown(page, 7)
    assert time.monotonic() - started < 10
    assert set(fresh) <= set(page.evaluate(SHOWN_IDS))
    page.wait_for_selector("#wall-status", state="hidden", timeout=5000)
    page.context.close()


@pytest.mark.parametrize(
    ("moment", "phase"),
    [
        # Noon, Québec time, the day before, on the day and the day after.
        (-1, "before"),
        (0, "live"),
        (1, "after"),
    ],
)
def test_the_phase_follows_the_clock_in_quebec_time(site: Site, moment: int, phase: str) -> None:
    run(add_photos(site.settings, 2, regions=["Estrie"]))
    day = _today_in_quebec() + dt.timedelta(days=moment)
    noon = dt.datetime.combine(day, dt.time(12), TORONTO)
    page = site.page("")
    page.clock.set_fixed_time(noon)
    page.goto(site.url + "/")
    page.wait_for_function("(p) => document.body.dataset.phase === p", arg=phase)
    visible = {name: page.is_visible(f"#wall-{name}") for name in ("countdown", "wave", "recap")}
    assert visible == {
        "countdown": phase == "before",
        "wave": phase != "before",
        "recap": phase == "after",
    }
    if phase == "before":
        assert page.inner_text("#wall-countdown-value").startswith("12\u00a0h\u00a000\u00a0min")
    # Photos are shown in every phase.
    _wait_shown(page, 2)
    # ?phase= overrides the clock for rehearsals.
    page.goto(site.url + "/?phase=after")
    page.wait_for_function("() => document.body.dataset.phase === 'after'")
    assert page.is_visible("#wall-recap")
    page.context.close()


def test_a_region_wall_shows_only_that_regions_photos_and_counts(site: Site) -> None:
    estrie = run(add_photos(site.settings, 5, regions=["Estrie"]))
    laval = run(add_photos(site.settings, 7, regions=["Laval"]))
    waiting = run(add_photos(site.settings, 2, regions=["Laval", "Estrie"], status="pending"))
    page = site.page("/?region=Estrie")
    _wait_shown(page, 5)
    assert set(page.evaluate(SHOWN_IDS)) == set(estrie)
    _wait_count(page, 5)
    assert page.get_attribute("[data-region='Laval']", "data-count") == "0"
    assert page.get_attribute("[data-region='Estrie']", "data-count") == "5"
    assert "Estrie" in page.inner_text(".wall-of")

    run(decide_all(site.settings, waiting, Action.APPROVE))
    _wait_shown(page, 6)
    page.wait_for_function("() => document.getElementById('wall-count').dataset.count === '6'")
    shown = set(page.evaluate(SHOWN_IDS))
    assert shown == {*estrie, waiting[1]}
    assert not shown & {*laval, waiting[0]}
    page.context.close()


def test_a_school_wall_learns_of_its_approvals_from_the_filtered_feed(site: Site) -> None:
    # Events carry no school: the page asks the school's feed after each approval.
    ours = run(
        add_photos(site.settings, 2, regions=["Estrie"], school="École A", consent_school_wall=True)
    )
    others = run(
        add_photos(site.settings, 2, regions=["Estrie"], school="École B", consent_school_wall=True)
    )
    waiting = [
        *run(
            add_photos(
                site.settings, 1, school="École A", status="pending", consent_school_wall=True
            )
        ),
        *run(
            add_photos(
                site.settings, 1, school="École B", status="pending", consent_school_wall=True
            )
        ),
    ]
    page = site.page("/?school=%C3%89cole+A")
    _wait_shown(page, 2)
    assert set(page.evaluate(SHOWN_IDS)) == set(ours)
    run(decide_all(site.settings, waiting, Action.APPROVE))
    page.wait_for_selector(f"li.tile[data-id='{waiting[0]}']", timeout=3000)
    page.wait_for_function("() => document.getElementById('wall-count').dataset.count === '3'")
    assert set(page.evaluate(SHOWN_IDS)) == {*ours, waiting[0]}
    assert not set(page.evaluate(SHOWN_IDS)) & {*others, waiting[1]}
    page.context.close()


def test_an_embed_shows_a_new_upload_only_when_its_consent_names_partners(site: Site) -> None:
    # Events carry no consent: the embed asks its feed after an upload's approval.
    shown = run(add_photos(site.settings, 2, regions=["Estrie"], consent_embed=True))
    agreed, declined = (
        *run(add_photos(site.settings, 1, status="pending", consent_embed=True)),
        *run(add_photos(site.settings, 1, status="pending", consent_embed=False)),
    )
    page = site.page("/embed")
    _wait_shown(page, 2)
    assert set(page.evaluate(SHOWN_IDS)) == set(shown)
    run(decide_all(site.settings, [declined, agreed], Action.APPROVE))
    page.wait_for_selector(f"li.tile[data-id='{agreed}']", timeout=3000)
    page.wait_for_function("() => document.getElementById('wall-count').dataset.count === '3'")
    assert set(page.evaluate(SHOWN_IDS)) == {*shown, agreed}
    page.context.close()


def test_spotlight_shows_one_photo_with_its_credits_then_the_next(
    site: Site, screenshots: Path
) -> None:
    ids = run(add_photos(site.settings, 3, regions=["Estrie"], source="mastodon"))
    page = site.page("/?layout=spotlight&spotlight=2&lang=en")
    page.wait_for_selector(".spot img", timeout=5000)
    page.screenshot(path=screenshots / "spotlight-1366x768.png")
    first = page.get_attribute(".spot", "data-id")
    assert first in ids
    about = page.inner_text(".spot figcaption")
    assert "Vague verte numéro" in about and "Estrie" in about and "Mastodon" in about
    # The short number the removal form accepts, for a parent who saw the photo.
    assert f"Photo no.\u00a0{consent.photo_number(str(first))}" in about
    assert (
        page.evaluate("() => getComputedStyle(document.getElementById('wall-grid')).visibility")
        == "hidden"
    )
    page.wait_for_function(
        "(first) => document.querySelector('.spot')?.dataset.id !== first", arg=first, timeout=5000
    )
    current = page.get_attribute(".spot", "data-id")
    assert current is not None
    run(decide_all(site.settings, [current], Action.REMOVE))
    page.wait_for_function(
        "(gone) => document.querySelector('.spot')?.dataset.id !== gone", arg=current, timeout=2000
    )
    assert page.evaluate("() => document.documentElement.lang") == "en-CA"
    assert "approved photos" in page.inner_text(".wall-counter")
    page.context.close()

    # rotate: the mosaic first, then the spotlight, then the mosaic again.
    page = site.page("/?layout=rotate&rotate=1&spotlight=2")
    assert not page.is_visible("#wall-spotlight") and page.is_visible("#wall-grid")
    page.wait_for_selector(".spot img", timeout=10000)
    page.wait_for_function("() => !document.body.classList.contains('spotlight-on')", timeout=10000)
    assert page.is_visible("#wall-grid")
    page.context.close()


def test_kiosk_embed_and_reduced_motion(site: Site) -> None:
    # Photos whose senders ticked the box for partners' sites: the embed shows them.
    run(add_photos(site.settings, 4, regions=["Estrie"], consent_embed=True))
    page = site.page("/?kiosk=1", reduced_motion="reduce")
    _wait_shown(page, 4)
    assert not page.is_visible(".wall-controls")
    assert page.evaluate("() => getComputedStyle(document.body).cursor") == "none"
    animation = "() => getComputedStyle(document.querySelector('li.tile')).animationName"
    assert page.evaluate(animation) == "none"
    page.context.close()

    page = site.page("/")
    page.mouse.move(10, 10)
    assert page.evaluate("() => getComputedStyle(document.body).cursor") != "none"
    page.wait_for_function("() => document.body.classList.contains('idle')", timeout=5000)
    assert page.evaluate("() => getComputedStyle(document.body).cursor") == "none"
    page.context.close()

    page = site.page("/embed", (800, 450))
    _wait_shown(page, 4)
    seen = page.evaluate(MEASURE)
    assert seen["scrollHeight"] <= 450 and seen["scrollWidth"] <= 800
    assert not page.is_visible("#wall-invite") and not page.is_visible("#wall-map")
    _wait_count(page, 4)
    page.context.close()


def test_a_soak_of_two_thousand_decisions_keeps_the_page_bounded(site: Site) -> None:
    run(add_photos(site.settings, 20, regions=QUEBEC_REGIONS))
    waiting = run(add_photos(site.settings, 1000, regions=QUEBEC_REGIONS, status="pending"))
    page = site.page("/")
    cdp = page.context.new_cdp_session(page)

    def footprint() -> tuple[int, int]:
        cdp.send("HeapProfiler.collectGarbage")
        heap = int(cdp.send("Runtime.getHeapUsage")["usedSize"])
        nodes = int(page.evaluate("() => document.getElementsByTagName('*').length"))
        return nodes, heap

    _wait_shown(page, min(20, int(page.get_attribute("#wall-photos", "data-capacity") or 0)))
    nodes_before, heap_before = footprint()

    async def churn() -> None:
        for start in range(0, 1000, 100):
            batch = waiting[start : start + 100]
            await decide_all(site.settings, batch, Action.APPROVE, per_transaction=10)
            await decide_all(site.settings, batch, Action.REMOVE, per_transaction=10)

    run(churn())
    page.wait_for_function(
        "() => document.getElementById('wall-count').dataset.count === '20'", timeout=15000
    )
    page.wait_for_timeout(2000)
    nodes_after, heap_after = footprint()
    assert page.evaluate("() => window.VagueVerte.wall.pool.size") == 20
    assert not set(page.evaluate(SHOWN_IDS)) & set(waiting)
    assert nodes_after <= nodes_before + 20, (nodes_before, nodes_after)
    assert heap_after <= heap_before * 1.5 + 2_000_000, (heap_before, heap_after)
    page.context.close()


# WCAG 2 contrast of an element's text against its own translucent background
# laid over white and over black: text over any photo is at least that good.
WORST_CONTRAST = """(selector) => {
  const rgba = (text) => text.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
  const style = getComputedStyle(document.querySelector(selector));
  const fg = rgba(style.color);
  const [r, g, b, a = 1] = rgba(style.backgroundColor);
  const over = (base) => [r, g, b].map((v, i) => v * a + base[i] * (1 - a));
  return Math.min(ratio(fg, over([255, 255, 255])), ratio(fg, over([0, 0, 0])));
}"""


def test_axe_finds_no_serious_violation_and_text_over_photos_meets_wcag_aa(site: Site) -> None:
    import axe_playwright_python

    axe = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    run(add_photos(site.settings, 6, regions=QUEBEC_REGIONS, pinned=1, consent_embed=True))
    for path in ("/", "/?lang=en", "/?phase=after", "/embed", "/?layout=spotlight"):
        # axe is injected as a script: this page's CSP allows only its own.
        page = site.page(path, (1920, 1080), bypass_csp=True)
        if "spotlight" in path:
            page.wait_for_selector(".spot img")
            # axe reads colours mid-fade as they are: let the arrival finish first.
            page.wait_for_function(
                "() => document.getAnimations().every((a) => a.playState !== 'running')"
            )
        else:
            _wait_shown(page, 6)
        page.add_script_tag(content=axe)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        serious = [
            (violation["id"], [node["target"] for node in violation["nodes"]])
            for violation in result["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        assert serious == [], (path, serious)
        # axe cannot judge text over a photo: the caption's band must carry it alone.
        selector = ".spot figcaption" if "spotlight" in path else "#wall-grid .caption"
        assert page.evaluate(WORST_CONTRAST, selector) >= 4.5, path
        if "spotlight" not in path:
            assert page.evaluate(WORST_CONTRAST, "#wall-grid .badge") >= 4.5, path
        page.context.close()
