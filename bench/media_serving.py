"""How fast approved photos are served: through the documented proxy, and by the app.

One run measures, with ``wrk`` against the same stored JPEG:

- **nginx, static**: nginx serving the file straight from the public
  directory (the best any proxy can do): the baseline of the proxy path;
- **nginx, documented path**: ``deploy/nginx.conf`` as shipped, in front of
  ``wall serve``: ``/media/`` answered from nginx's cache (goal: at least 0.8x
  the static baseline);
- **bare FileResponse**: a one-route Starlette app returning ``FileResponse``
  under uvicorn: the baseline of the app's own path;
- **wall serve**: the app's ``GET /media/{name}`` (one process, as in
  ``make run``; goal: at least 0.8x the bare ``FileResponse``).

Both uvicorn servers log their access lines, as ``wall serve`` does by default.

    PYTHONPATH=. python bench/media_serving.py [--seconds 8] [--connections 32] [--rounds 3]

Needs nginx and wrk (``apt-get install nginx wrk``).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, UPLOAD_FIELDS
from tests.nginx import Nginx
from tests.processes import WallProcess, free_port, wall_environment

GOAL = 0.8
BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Route

ROOT = {root!r}


async def media(request):
    return FileResponse(ROOT + "/" + request.path_params["name"])


app = Starlette(routes=[Route("/media/{{name}}", media)])
"""


def photo_bytes() -> bytes:
    """A real JPEG whose display derivative is a few hundred kilobytes."""
    noise = Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3))
    green = Image.new("RGB", noise.size, (40, 170, 70))
    buffer = io.BytesIO()
    Image.blend(noise, green, 0.9).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


async def approved_image(base_url: str) -> str:
    """Upload and approve one photo through the app; the URL of its display JPEG."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        created = await client.post(
            "/upload",
            data=UPLOAD_FIELDS,
            files={"photo": ("photo.jpg", photo_bytes(), "image/jpeg")},
            headers={"Accept": "application/json"},
        )
        created.raise_for_status()
        login = await client.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        login.raise_for_status()
        decided = await client.post(
            f"/api/moderation/photos/{created.json()['id']}/decision",
            json={"action": "approve"},
            headers={"X-CSRF-Token": login.json()["csrf_token"]},
        )
        decided.raise_for_status()
        url: str = decided.json()["image"]["url"]
        return url


def wrk(url: str, seconds: int, connections: int) -> float:
    """Requests per second, after checking that every answer was a 200."""
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in result.stdout:
        raise SystemExit(f"non-200 answers from {url}:\n{result.stdout}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if match is None:
        raise SystemExit(f"unreadable wrk output:\n{result.stdout}")
    return float(match.group(1))


def wait_for(url: str, verify: str | bool = True) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, verify=verify, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "data"
        env = wall_environment(
            WALL_DATABASE_URL=f"sqlite+aiosqlite:///{work / 'wall.db'}",
            WALL_DATA_DIR=str(data),
            WALL_UPLOAD_LIMIT_PER_HOUR="0",
            WALL_MAX_PENDING_PER_CLIENT="0",
            WALL_ADMIN_EMAIL=ADMIN_EMAIL,
            WALL_ADMIN_PASSWORD=ADMIN_PASSWORD,
        )
        static_port = free_port()
        with WallProcess(env, work) as wall:
            path = asyncio.run(approved_image(wall.url))
            public = data / "public"
            size = (public / path.removeprefix("/")).stat().st_size
            nginx = Nginx(
                work / "nginx",
                [f"127.0.0.1:{wall.port}"],
                extra=f"""server {{
        listen 127.0.0.1:{static_port} ssl http2;
        ssl_certificate {work / "nginx" / "cert.pem"};
        ssl_certificate_key {work / "nginx" / "key.pem"};
        location /media/ {{ root {public}; }}
    }}""",
            )
            bare_port = free_port()
            (work / "bare.py").write_text(BARE_APP.format(root=str(public / "media")))
            with (work / "bare.log").open("w") as bare_log, nginx:
                bare = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--app-dir",
                        str(work),
                        "bare:app",
                        "--port",
                        str(bare_port),
                    ],
                    stdout=bare_log,
                    stderr=subprocess.STDOUT,
                )
                try:
                    static_url = f"https://127.0.0.1:{static_port}{path}"
                    proxy_url = f"{nginx.url}{path}"
                    bare_url = f"http://127.0.0.1:{bare_port}{path}"
                    app_url = f"{wall.url}{path}"
                    for url in (static_url, proxy_url, bare_url, app_url):
                        wait_for(url, verify=False)
                    cached = httpx.get(proxy_url, verify=False).headers.get("x-cache")
                    urls = {
                        "nginx, static file": static_url,
                        "nginx, documented path": proxy_url,
                        "bare FileResponse": bare_url,
                        "wall serve /media": app_url,
                    }
                    # Rounds alternate the four, and the best of each is kept: the
                    # machine is shared, and a neighbour's burst must not decide a ratio.
                    rounds = [
                        {
                            name: wrk(url, args.seconds, args.connections)
                            for name, url in urls.items()
                        }
                        for _ in range(args.rounds)
                    ]
                    figures = {name: max(r[name] for r in rounds) for name in urls}
                finally:
                    bare.terminate()
                    bare.wait(timeout=10)
    print(
        f"one {size / 1000:.0f} KB JPEG, wrk -t2 -c{args.connections} -d{args.seconds}s, "
        f"best of {args.rounds} alternating rounds"
    )
    print(f"(the documented path answered X-Cache: {cached} once warm)")
    for name, rate in figures.items():
        print(f"  {name:<26} {rate:>9.0f} req/s")
    proxy = figures["nginx, documented path"] / figures["nginx, static file"]
    app = figures["wall serve /media"] / figures["bare FileResponse"]
    print(f"documented proxy path / nginx static: {proxy:.2f}x (goal >= {GOAL}x)")
    print(f"wall serve / bare FileResponse:       {app:.2f}x (goal >= {GOAL}x)")


if __name__ == "__main__":
    main()
