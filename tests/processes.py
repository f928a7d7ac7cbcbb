"""Real ``wall serve`` processes for tests of the production shape."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wall_environment(**settings: str) -> dict[str, str]:
    """This environment without any ``WALL_*`` of the developer's, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, installed or not
    env.update(settings)
    return env


class WallProcess:
    """``wall serve`` on a free port; its output goes to a file read after it ends."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.cwd = cwd
        self.log_path = cwd / f"wall-serve-{self.port}.log"
        self.process: subprocess.Popen[str] | None = None

    def start(self, within: float = 30) -> WallProcess:
        with self.log_path.open("w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wall", "serve", "--port", str(self.port)],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        deadline = time.monotonic() + within
        while True:
            assert self.process.poll() is None, f"wall serve exited:\n{self.output()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"wall serve did not start:\n{self.output()}"
            time.sleep(0.1)

    def terminate(self) -> float:
        """Send SIGTERM; returns the seconds it took the process to exit."""
        assert self.process is not None
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return time.monotonic() - began

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def __enter__(self) -> WallProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
