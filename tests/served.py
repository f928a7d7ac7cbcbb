"""A real ``wall serve`` in a subprocess, on a free port of 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

START_DEADLINE = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wall_command(*args: str, env: Mapping[str, str], stdin: str | None = None) -> str:
    """Run ``python -m wall ARGS`` to the end; its standard output (fails on exit != 0)."""
    result = subprocess.run(
        [sys.executable, "-m", "wall", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"wall {' '.join(args)}: {result.stderr}"
    return result.stdout


class ServeProcess:
    """``wall serve`` with the given ``WALL_*`` environment; its output goes to ``log``."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.env = {**os.environ, **env}
        self.log = log
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start and wait until ``/healthz`` answers 200."""
        self.port = free_port()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wall", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"wall serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"wall serve did not answer: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """``kill -9``, and wait until the process is gone."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL if it does not end."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
