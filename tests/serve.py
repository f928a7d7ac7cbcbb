"""A real ``wall serve`` in a subprocess, for tests that need real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wall_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """This checkout's ``wall`` on ``database_url``, no WALL_* setting from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
    env.update(
        WALL_DATABASE_URL=database_url,
        WALL_DATA_DIR=str(data_dir),
        WALL_SECRET_KEY="serve-test-secret",
        WALL_ADMIN_PASSWORD="un-mot-de-passe-long",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@contextmanager
def wall_serve(env: dict[str, str], *, workers: int = 1, cwd: Path) -> Iterator[str]:
    """``wall serve`` on a free port until the block ends; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "wall", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"wall serve exited: {process.communicate()[1]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("wall serve did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
