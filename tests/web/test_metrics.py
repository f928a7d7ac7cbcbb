"""``/metrics``: the live path's figures, read by a real scrape of the app."""

from __future__ import annotations

import httpx

from tests.factories import decide, sign_in, upload
from wall.config import Settings


def _figures(text: str) -> dict[str, float]:
    return {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


async def test_metrics_follow_the_event_log(client: httpx.AsyncClient, settings: Settings) -> None:
    csrf = await sign_in(client, settings)
    photo_id = (await upload(client)).json()["id"]
    assert (await decide(client, csrf, photo_id, "approve")).status_code == 200
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    figures = _figures(response.text)
    feed = (await client.get("/api/wall/photos")).json()
    assert figures["wall_event_last_id"] == feed["last_event_id"] > 0
    assert figures["wall_event_streams"] == 0
    assert figures["wall_event_replay_reads_total"] == 0
    assert figures["wall_event_listen_up"] == (
        0 if settings.database_url.startswith("sqlite") else 1
    )


async def test_with_a_token_a_scrape_must_bear_it(settings: Settings) -> None:
    from tests.live import running
    from wall.app import create_app

    app = create_app(settings.replace(metrics_token="jeton-de-test"), null_pool=True)
    async with running(app) as asgi:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            refused = [
                await http.get("/metrics"),
                await http.get("/metrics", headers={"Authorization": "Bearer jeton-de-tes"}),
                await http.get("/metrics", headers={"Authorization": "jeton-de-test"}),
            ]
            allowed = await http.get("/metrics", headers={"Authorization": "Bearer jeton-de-test"})
    assert [r.status_code for r in refused] == [401, 401, 401]
    assert refused[0].json()["error"] == "metrics_token_required"
    assert allowed.status_code == 200 and "wall_event_streams" in allowed.text
