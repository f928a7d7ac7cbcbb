"""Installed from a wheel (not editable), `wall` still finds migrations, templates, static."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _build_wheel(out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("vague_verte-*.whl"))


def test_wheel_carries_what_serve_needs(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "wall/migrations/env.py" in names
    assert any(n.startswith("wall/migrations/versions/0001") for n in names)
    assert {"wall/templates/wall.html", "wall/static/wall.js", "wall/static/wall.css"} <= names
    # The share card's font and the visitor's scripts.
    assert {"wall/fonts/DejaVuSans-Bold-latin.ttf", "wall/static/share.js"} <= names

    # A fresh environment that sees our dependencies but not this checkout.
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    site = Path(
        sysconfig.get_path("purelib", vars={"base": str(env_dir), "platbase": str(env_dir)})
    )
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = env_dir / "bin" / "python"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)  # what an installer does with a pure wheel
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALL_", "PYTHONPATH"))}
    env.update(WALL_ADMIN_PASSWORD="un-mot-de-passe-long")
    located = subprocess.run(
        [str(python), "-c", "import wall; print(wall.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(site) in located.stdout

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(python), "-m", "wall", "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/upload")
                break
            except httpx.ConnectError:
                assert server.poll() is None, "wall serve exited"
                assert time.monotonic() < deadline, "wall serve did not start"
                time.sleep(0.2)
        assert page.status_code == 200 and "Envoie ta photo" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/static/wall.js").status_code == 200
        assert (workdir / "var" / "wall.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=20)
