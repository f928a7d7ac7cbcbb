"""Does a sign-in flood slow the rest of the server down?

Starts a real ``wall serve`` on 127.0.0.1 (SQLite in a temporary directory,
or ``--database-url``), then measures ``/healthz`` one request after the
other, in the same run:

- baseline: no other traffic;
- one account: 40 clients in parallel keep sending wrong passwords for one
  account from one address (the throttle answers most of them without a
  password check);
- many accounts: 40 clients, each from its own loopback address, keep
  sending wrong passwords for a new address each time, so that every
  attempt the throttle admits costs a real argon2 check.

It prints p50, p99 and max latency of ``/healthz`` for each, and how the
sign-ins were answered (401 = a real password check, 429 throttled,
503 every hash thread busy).

    python bench/signin_flood.py [--seconds 5] [--flood 40] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "admin@ecole.test"
ADMIN_PASSWORD = "mot-de-passe-solide"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(directory: Path, database_url: str | None, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
    env.update(
        WALL_DATABASE_URL=database_url or f"sqlite+aiosqlite:///{directory}/wall.db",
        WALL_DATA_DIR=str(directory / "data"),
        WALL_ADMIN_EMAIL=ADMIN_EMAIL,
        WALL_ADMIN_PASSWORD=ADMIN_PASSWORD,
        PYTHONPATH=str(ROOT),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "wall", "serve", "--port", str(port)],
        env=env,
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _wait_until_up(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base_url) as http:
        while True:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("wall serve did not start")
            await asyncio.sleep(0.1)


async def _health_latencies(base_url: str, until: float) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        while time.monotonic() < until:
            started = time.perf_counter()
            answer = await http.get("/healthz")
            latencies.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
    return latencies


async def _flood_worker(
    http: httpx.AsyncClient, emails: collections.abc.Iterator[str], until: float
) -> collections.Counter[int]:
    answers: collections.Counter[int] = collections.Counter()
    while time.monotonic() < until:
        answer = await http.post(
            "/api/auth/login", json={"email": next(emails), "password": "devine"}
        )
        answers[answer.status_code] += 1
        if answer.status_code in (429, 503):
            # A polite client would wait Retry-After; a flood does not. Yield a little.
            await asyncio.sleep(0.01)
    return answers


def _one_account() -> collections.abc.Iterator[str]:
    while True:
        yield ADMIN_EMAIL


def _new_accounts(worker: int) -> collections.abc.Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"inconnu-{worker}-{n}@ecole.test"


async def _flood(
    base_url: str, seconds: float, flood: int, scenario: str, ready: Any
) -> collections.Counter[int]:
    clients, emails = [], []
    for n in range(flood):
        if scenario == "one account":
            address, accounts = "127.0.0.1", _one_account()
        else:
            network = 1 if scenario == "many accounts" else 100
            address, accounts = f"127.0.{network + n // 250}.{2 + n % 250}", _new_accounts(n)
        # verify=False: plain HTTP, and no certificate store loaded 40 times.
        transport = httpx.AsyncHTTPTransport(local_address=address, verify=False)
        clients.append(httpx.AsyncClient(base_url=base_url, transport=transport, timeout=60))
        emails.append(accounts)
    ready.set()
    until = time.monotonic() + seconds
    try:
        counted = await asyncio.gather(
            *(
                _flood_worker(http, accounts, until)
                for http, accounts in zip(clients, emails, strict=True)
            )
        )
    finally:
        for http in clients:
            await http.aclose()
    answers: collections.Counter[int] = collections.Counter()
    for each in counted:
        answers.update(each)
    return answers


def _flood_process(
    base_url: str,
    seconds: float,
    flood: int,
    scenario: str,
    ready: Any,
    out: multiprocessing.Queue[Any],
) -> None:
    out.put(dict(asyncio.run(_flood(base_url, seconds, flood, scenario, ready))))


def _measure(
    base_url: str, seconds: float, flood: int, scenario: str
) -> tuple[list[float], collections.Counter[int]]:
    """/healthz from this process while another process floods the sign-in.

    Two processes, so that the flood's own client work does not delay the
    /healthz client: only the server is shared.
    """
    if scenario == "baseline":
        until = time.monotonic() + seconds
        return asyncio.run(_health_latencies(base_url, until)), collections.Counter()
    out: multiprocessing.Queue[Any] = multiprocessing.Queue()
    ready = multiprocessing.Event()
    flooder = multiprocessing.Process(
        target=_flood_process, args=(base_url, seconds + 0.2, flood, scenario, ready, out)
    )
    flooder.start()
    if not ready.wait(timeout=60):
        raise SystemExit("the flood did not start")
    latencies = asyncio.run(_health_latencies(base_url, time.monotonic() + seconds))
    answers = collections.Counter(out.get(timeout=120))
    flooder.join(timeout=60)
    return latencies, answers


def _line(scenario: str, latencies: list[float], answers: collections.Counter[int]) -> str:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    signed = " ".join(f"{status}×{count}" for status, count in sorted(answers.items())) or "—"
    return (
        f"{scenario:<14} /healthz n={len(ordered):<5} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
        f"max {ordered[-1] * 1000:7.1f} ms   sign-ins: {signed}"
    )


def _run(base_url: str, seconds: float, flood: int) -> None:
    print(f"{flood} parallel bad sign-ins, {seconds:g} s per scenario, {os.cpu_count()} cores")
    # Fill the server's connection pool first: opening PostgreSQL connections
    # costs the event loop a few seconds on a cold start, whatever floods it.
    _measure(base_url, 2, flood, "warm-up")
    for scenario in ("baseline", "one account", "many accounts"):
        latencies, answers = _measure(base_url, seconds, flood, scenario)
        print(_line(scenario, latencies, answers), flush=True)
        time.sleep(1)  # let queued checks drain between scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--flood", type=int, default=40)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        port = _free_port()
        server = _start(Path(directory), args.database_url, port)
        base_url = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(_wait_until_up(base_url, server))
            _run(base_url, args.seconds, args.flood)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
