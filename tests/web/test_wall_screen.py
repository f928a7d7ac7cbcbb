"""``GET /`` and ``GET /embed``: what the page is told to show, from its query."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

import httpx
import pytest

from tests.web.conftest import serving
from wall.config import Settings

CONFIG = re.compile(r'<script type="application/json" id="wall-config">(.*?)</script>', re.S)


def config_of(page: httpx.Response) -> dict[str, Any]:
    found = CONFIG.search(page.text)
    assert found, page.text[:500]
    data: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return data


def body_classes(page: httpx.Response) -> set[str]:
    found = re.search(r'<body class="([^"]*)"', page.text)
    assert found
    return set(found.group(1).split())


async def test_the_wall_speaks_french_to_the_room_and_english_on_request(
    client: httpx.AsyncClient,
) -> None:
    french = await client.get("/")
    assert french.status_code == 200
    assert '<html lang="fr-CA">' in french.text
    assert "Pas de réseau social\u00a0? Envoyez votre photo ici\u00a0:" in french.text
    assert "photos approuvées" in french.text
    english = await client.get("/?lang=en&region=Estrie")
    assert '<html lang="en-CA">' in english.text
    assert "No social account? Send your photo here:" in english.text
    assert config_of(english)["text"]["reconnecting"] == "Reconnecting…"
    # The language link keeps the wall's other choices.
    assert 'href="/?region=Estrie"' in english.text


async def test_the_filter_reaches_the_feed_and_the_stats_the_page_reads(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/?region=Estrie&source=mastodon&school=%C3%89cole+du+Parc")
    config = config_of(page)
    for key in ("photosUrl", "statsUrl"):
        assert config[key].endswith("?region=Estrie&school=%C3%89cole+du+Parc&source=mastodon"), key
    assert config["filter"] == {
        "region": "Estrie",
        "school": "École du Parc",
        "source": "mastodon",
        "embed": False,
    }
    assert "Mur\u00a0: École du Parc · Estrie · mastodon" in page.text


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("layout=grid", "bad_layout"),
        ("rotate=soon", "bad_rotate"),
        ("region=Atlantide", "bad_region"),
    ],
)
async def test_a_bad_choice_answers_400_in_french(
    client: httpx.AsyncClient, query: str, code: str
) -> None:
    page = await client.get(f"/?{query}")
    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    as_json = await client.get(f"/?{query}", headers={"Accept": "application/json"})
    assert as_json.json()["error"] == code


async def test_layout_kiosk_embed_and_periods_come_from_the_query(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/?layout=rotate&kiosk=1&rotate=2&spotlight=999")
    assert {"layout-rotate", "kiosk"} <= body_classes(page)
    periods = config_of(page)["periods"]
    assert periods == {"resync": 180, "rotate": 2, "spotlight": 600, "rotateGiven": True}
    default = config_of(await client.get("/"))
    assert default["layout"] == "mosaic" and default["periods"]["rotateGiven"] is False
    embed = await client.get("/embed")
    assert embed.status_code == 200 and "embed" in body_classes(embed)
    # The upload page may not be framed by a partner: it opens outside the frame.
    assert 'href="http://wall.test/upload" target="_blank" rel="noopener"' in embed.text
    assert 'target="_blank"' not in (await client.get("/")).text
    assert "embed" in body_classes(await client.get("/?embed=1"))
    assert "embed" not in body_classes(await client.get("/"))
    # The live page learns an embed's uploads from its feed, which checks their consent.
    assert config_of(embed)["filter"]["embed"] is True
    assert config_of(embed)["photosUrl"].endswith("?embed=1")
    assert default["filter"]["embed"] is False


@pytest.mark.parametrize(("days", "phase"), [(3, "before"), (0, "live"), (-3, "after")])
async def test_the_phase_comes_from_the_event_date_and_can_be_forced(
    settings: Settings, days: int, phase: str
) -> None:
    today = dt.datetime.now(settings.timezone).date()
    dated = settings.replace(event_date=today + dt.timedelta(days=days))
    async with serving(dated) as http:
        page = await http.get("/")
        forced = await http.get("/?phase=after")
    assert f"phase-{phase}" in body_classes(page)
    config = config_of(page)
    assert (config["phase"], config["phaseForced"]) == (phase, False)
    assert config["dayStarts"].endswith("Z") and config["timezone"] == "America/Toronto"
    assert "phase-after" in body_classes(forced) and config_of(forced)["phaseForced"] is True
