"""Real ``wall`` processes for tests of the production shape: ``wall serve`` on a
free port of 127.0.0.1 (restartable, killable), and one-shot ``wall`` commands."""

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

ROOT = Path(__file__).resolve().parent.parent
START_DEADLINE = 90.0


FAR_DELETION_DATE = "2099-12-31"
# What a wall served over https must name in its notice and privacy policy
# (``wall serve`` refuses the placeholders).
ORGANIZATION = {
    "WALL_ORGANIZER": "Centre de services scolaire des Vagues",
    "WALL_ORGANIZER_EN": "Centre de services scolaire des Vagues (school service centre)",
    "WALL_ORGANIZER_ADDRESS": "1 rue de l'École, Rimouski (Québec) G5L 1A1",
    "WALL_PRIVACY_OFFICER_NAME": "Josée Tremblay",
    "WALL_PRIVACY_OFFICER_CONTACT": "prp@vagues.test",
    "WALL_HOSTING_LOCATION": "Montréal (Québec)",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wall_environment(**settings: str) -> dict[str, str]:
    """This environment without any ``WALL_*`` of the developer's, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, installed or not
    # The default event date is in 2024, and uploads close by the deletion date
    # the notice promises: a wall under test keeps its photos for a long while.
    env.setdefault("WALL_KEEP_UNTIL", FAR_DELETION_DATE)
    env.update(settings)
    return env


def wall_command(*args: str, env: Mapping[str, str], stdin: str | None = None) -> str:
    """Run ``python -m wall ARGS`` to the end; its standard output (fails on exit != 0)."""
    result = subprocess.run(
        [sys.executable, "-m", "wall", *args],
        env=dict(env),
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"wall {' '.join(args)}: {result.stderr}"
    return result.stdout


class WallProcess:
    """``wall serve`` on one free port; its output is appended to ``log_path``.

    ``start`` may be called again after ``stop`` or ``kill``: same port, same log.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        cwd: Path,
        *,
        workers: int = 1,
        log_path: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env)
        self.cwd = cwd
        self.workers = workers
        self.log_path = log_path or cwd / f"wall-serve-{self.port}.log"
        self.process: subprocess.Popen[str] | None = None

    def start(self, within: float = START_DEADLINE) -> WallProcess:
        """Start, and return once ``/healthz`` answers 200."""
        command = [sys.executable, "-m", "wall", "serve", "--port", str(self.port)]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        with self.log_path.open("a", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, text=True
            )
        deadline = time.monotonic() + within
        while True:
            assert self.process.poll() is None, f"wall serve exited:\n{self.output()[-3000:]}"
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

    def kill(self) -> None:
        """``kill -9``, and wait until the process is gone."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown); SIGKILL if it does not end."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def __enter__(self) -> WallProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
