"""The shipped Caddyfile, for real: approved photos straight from the public
directory with the app's cache lifetime, everything else through the app."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.factories import decide, jpeg_bytes, sign_in, upload
from tests.live import LiveServer
from tests.nginx import require_debian_package
from tests.processes import ROOT, free_port
from wall.config import Settings

CADDYFILE = ROOT / "deploy" / "Caddyfile"


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/Caddyfile no longer has {old!r}"
    return text.replace(old, new)


@contextmanager
def caddy_serving(app_url: str, public_dir: Path, workdir: Path) -> Iterator[str]:
    """Caddy running the shipped Caddyfile over plain HTTP on a free port; its URL."""
    caddy = require_debian_package("caddy")
    port = free_port()
    site = CADDYFILE.read_text(encoding="utf-8")
    site = _replace(site, "mur.example.org {", f"http://127.0.0.1:{port} {{")
    site = _replace(site, "/var/lib/vague-verte/public", str(public_dir))
    site = _replace(site, "reverse_proxy 127.0.0.1:8000", f"reverse_proxy {app_url[7:]}")
    config = workdir / "Caddyfile"
    config.write_text("{\n\tadmin off\n\tauto_https off\n}\n" + site, encoding="utf-8")
    home = workdir / "home"
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home)}
    log_path = workdir / "caddy.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_caddy_serves_approved_photos_only_and_proxies_the_rest(
    live_server: LiveServer, settings: Settings, tmp_path: Path
) -> None:
    with caddy_serving(live_server.url, settings.data_path / "public", tmp_path) as base:
        async with (
            httpx.AsyncClient(base_url=base, timeout=30) as visitor,
            httpx.AsyncClient(base_url=base, timeout=30) as moderator,
        ):
            created = await upload(visitor, jpeg_bytes())
            assert created.status_code == 201, created.text
            csrf = await sign_in(moderator, settings)
            pending = (await moderator.get("/api/moderation/photos?status=pending")).json()
            media_url = pending["photos"][0]["media_url"]
            assert (await visitor.get(media_url)).status_code == 404
            assert (await moderator.get(media_url)).status_code == 200  # through the app

            photo = (await decide(moderator, csrf, created.json()["id"], "approve")).json()
            served = await visitor.get(photo["image"]["url"])
            assert served.status_code == 200
            assert served.headers["server"] == "Caddy"  # from the directory, not the app
            assert "x-content-type-options" not in served.headers  # the app's headers
            assert served.headers["cache-control"] == "public, max-age=30, s-maxage=30"
            again = await visitor.get(
                photo["image"]["url"], headers={"If-None-Match": served.headers["etag"]}
            )
            assert again.status_code == 304

            await decide(moderator, csrf, created.json()["id"], "remove")
            assert (await visitor.get(photo["image"]["url"])).status_code == 404
