"""``/metrics``: the live path's figures, read by a real scrape of the app."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from tests.factories import decide, jpeg_bytes, sign_in, upload
from tests.live import LiveServer, running
from tests.sse import sse
from wall.config import Settings
from wall.db import Database
from wall.models import Event


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


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, parsed by prometheus-client's own parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _scrape(settings: Settings, headers: dict[str, str] | None = None) -> httpx.Response:
    from wall.app import create_app

    async with running(create_app(settings, null_pool=True)) as asgi:
        transport = httpx.ASGITransport(app=asgi, client=("10.0.9.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://wall.test") as http:
            return await http.get("/metrics", headers=headers)


async def test_an_allowed_network_or_the_token(settings: Settings) -> None:
    inside = settings.replace(metrics_networks=("10.0.9.0/24",))
    outside = settings.replace(metrics_networks=("10.0.8.0/24", "fd00::/8"))
    assert (await _scrape(inside)).status_code == 200
    refused = await _scrape(outside)
    assert (refused.status_code, refused.json()["error"]) == (403, "metrics_network_refused")
    both = outside.replace(metrics_token="jeton")
    assert (await _scrape(both)).status_code == 401  # a token would let it in
    assert (await _scrape(both, {"Authorization": "Bearer jeton"})).status_code == 200
    assert (await _scrape(inside.replace(metrics_token="jeton"))).status_code == 200


async def test_the_day_at_a_glance(client: httpx.AsyncClient, settings: Settings) -> None:
    csrf = await sign_in(client, settings)
    first = (await upload(client)).json()
    second = (await upload(client, jpeg_bytes(color=(30, 160, 60)))).json()
    await upload(client, jpeg_bytes(color=(20, 150, 50)))
    refused = await upload(client, b"not an image at all", filename="x.jpg")
    assert refused.status_code == 415
    missing = await client.post(
        "/upload", data={"consent": "yes"}, headers={"Accept": "application/json"}
    )
    assert missing.status_code in (400, 422)
    assert (await decide(client, csrf, first["id"], "approve")).status_code == 200
    assert (await decide(client, csrf, second["id"], "reject")).status_code == 200
    assert (await decide(client, csrf, first["id"], "remove")).status_code == 200
    manage_path = httpx.URL(first["manage_url"]).path
    assert (await client.get(manage_path)).status_code == 200

    scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    samples = _samples(scrape.text)
    uploads = {
        labels[0][1]: value
        for (name, labels), value in samples.items()
        if name == "wall_uploads_total"
    }
    assert uploads == {
        "accepted": 3,
        refused.json()["error"]: 1,
        missing.json()["error"]: 1,
    }
    decisions = {
        labels[0][1]: value
        for (name, labels), value in samples.items()
        if name == "wall_decisions_total"
    }
    assert decisions == {"approve": 1, "reject": 1, "remove": 1}
    assert samples[("wall_queue_pending", ())] == 1
    assert 0 < samples[("wall_queue_oldest_age_seconds", ())] < 120
    # approve and remove reached the public log; this process read both.
    assert samples[("wall_events_appended_total", ())] >= 2
    # Latency by route template: the manage route is one series, its token in no label.
    routes = {
        dict(labels)["route"]
        for (name, labels), _ in samples.items()
        if name.startswith("wall_request_duration_seconds")
    }
    assert {"/upload", "/manage/{token}", "/api/moderation/photos/{photo_id}/decision"} <= routes
    token = manage_path.rsplit("/", 1)[1]
    assert token not in scrape.text
    assert (
        samples[("wall_request_duration_seconds_count", (("method", "POST"), ("route", "/upload")))]
        == 5
    )


async def test_labels_stay_few_whatever_clients_send(client: httpx.AsyncClient) -> None:
    for n in range(3):
        await client.request(f"BREW{n}", f"/nulle-part/{n}?token=secret{n}")
        await client.get(f"/manage/jeton-inconnu-{n}")
    samples = _samples((await client.get("/metrics")).text)
    series = {
        labels
        for (name, labels), _ in samples.items()
        if name == "wall_request_duration_seconds_count"
    }
    assert (("method", "other"), ("route", "unmatched")) in series
    assert (("method", "GET"), ("route", "/manage/{token}")) in series
    scrape = (await client.get("/metrics")).text
    assert "BREW" not in scrape and "secret" not in scrape and "jeton-inconnu" not in scrape


async def test_an_empty_queue_has_no_age(client: httpx.AsyncClient) -> None:
    samples = _samples((await client.get("/metrics")).text)
    assert samples[("wall_queue_pending", ())] == 0
    assert samples[("wall_queue_oldest_age_seconds", ())] == 0


async def _event_rows(settings: Settings) -> int:
    db = Database(settings.database_url, null_pool=True)
    try:
        async with db.reading() as session:
            return int(await session.scalar(select(func.count()).select_from(Event)) or 0)
    finally:
        await db.dispose()


async def test_open_streams_and_events_handed_out(
    live_server: LiveServer, settings: Settings
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        csrf = await sign_in(http, settings)
        photo_id = (await upload(http)).json()["id"]
        async with sse(live_server.url) as one, sse(live_server.url) as two:
            assert (await decide(http, csrf, photo_id, "approve")).status_code == 200
            assert (await one.next_event()).event == "photo.approved"
            assert (await two.next_event()).event == "photo.approved"
            during = _samples((await http.get("/metrics")).text)
        after = _samples((await http.get("/metrics")).text)
    assert during[("wall_event_streams", ())] == 2
    assert during[("wall_events_handed_out_total", ())] == 2
    # Every row of the log (the moderators' events too), written since the server started.
    assert during[("wall_events_appended_total", ())] == await _event_rows(settings) >= 1
    assert after[("wall_event_streams", ())] == 0


async def test_source_polls_and_errors_by_source(database_url: str, tmp_path: Path) -> None:
    from tests.fake_mastodon import FakeMastodon, wall_env, write_wall_toml
    from tests.processes import free_port
    from wall.app import create_app

    fake = FakeMastodon().start()
    try:
        toml = write_wall_toml(
            tmp_path / "wall.toml",
            [
                {"name": "bon", "type": "mastodon", "base_url": fake.url, "interval": 3600},
                {
                    "name": "muet",
                    "type": "mastodon",
                    "base_url": f"http://127.0.0.1:{free_port()}",  # nobody listens
                    "interval": 3600,
                },
            ],
        )
        settings = Settings.from_env(wall_env(database_url, tmp_path / "data", toml))
        app = create_app(settings, null_pool=True)
        async with running(app) as asgi:
            transport = httpx.ASGITransport(app=asgi)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                for _ in range(200):
                    samples = _samples((await http.get("/metrics")).text)
                    polls = {
                        dict(labels)["source"]: value
                        for (name, labels), value in samples.items()
                        if name == "wall_source_polls_total"
                    }
                    errors = {
                        dict(labels)["source"]: value
                        for (name, labels), value in samples.items()
                        if name == "wall_source_errors_total"
                    }
                    if polls == {"bon": 1, "muet": 1} and errors.get("muet") == 1:
                        break
                    await asyncio.sleep(0.1)
    finally:
        fake.stop()
    assert polls == {"bon": 1, "muet": 1}
    assert errors == {"bon": 0, "muet": 1}


async def test_two_apps_in_one_process_count_apart(settings: Settings, tmp_path: Path) -> None:
    from wall.app import create_app

    first = create_app(settings, null_pool=True)
    second = create_app(settings.replace(data_dir=str(tmp_path / "other")), null_pool=True)
    async with (
        running(first) as one,
        running(second) as two,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=one), base_url="http://a") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=two), base_url="http://b") as b,
    ):
        assert (await upload(a)).status_code == 201
        counted_a = _samples((await a.get("/metrics")).text)
        counted_b = _samples((await b.get("/metrics")).text)
    assert counted_a[("wall_uploads_total", (("outcome", "accepted"),))] == 1
    assert ("wall_uploads_total", (("outcome", "accepted"),)) not in counted_b
