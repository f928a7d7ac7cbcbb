"""Fan-out of one event to 1,000, 5,000 and 10,000 screens on one ``wall serve`` process.

Prints figures; it is not a test. Run from the repository root:

    PYTHONPATH=. python bench/live_fanout.py [--clients 1000,5000,10000] [--rounds 3]
                                             [--crowds 1]

For each number of clients, in the same run:

- **wall**: a real ``wall serve`` process (SQLite) with that many open
  ``/api/wall/events`` streams; the trigger is one moderator approval over
  HTTP (the decision commits, the hub hands the event out, the answer goes
  back);
- **bare** (the baseline): a bare Starlette SSE endpoint served by uvicorn in
  its own process, with the same server settings: one ``asyncio.Queue`` per
  connection, the same heartbeat, one broadcast of the same frame bytes; the
  trigger is a POST.

Both are measured by the same out-of-process load generator
(``bench/sse_crowd.py``, raw asyncio streams). Latency is from just before
the trigger request is sent to the moment each client has read the event
frame; figures are the medians over ``--rounds`` events per connection set.
Memory per connection is the growth of the server's VmRSS (its own
``/proc/<pid>/status``) from before the clients connect to after, divided by
the number of clients; each measurement uses a fresh server process.

Goals (issue 8): 99 % of clients within 0.5 s at 10,000; at most 1.1x the bare
endpoint; at most 30 KB per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import machine_load
from bench.sse_crowd import CrowdProcess, ask_all, raise_fd_limit, split
from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator
from tests.moderation.factories import network_photo
from tests.processes import WallProcess, free_port, wall_environment
from wall import migrations
from wall.config import Settings

HEARTBEAT_SECONDS = 15.0  # the wall's default WALL_HEARTBEAT_SECONDS, used by both
SETTLE_SECONDS = 1.0
GOAL_P99_SECONDS = 0.5
GOAL_RATIO = 1.1
GOAL_BYTES_PER_CONNECTION = 30 * 1024


def vm_rss(pid: int) -> int:
    """Resident memory of the process, in bytes, from its own /proc entry."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def metric(base_url: str, name: str) -> int:
    for line in httpx.get(f"{base_url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise RuntimeError(f"{name} missing from /metrics")


def wait_for(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


# The baseline: a bare Starlette SSE endpoint, run with ``--bare-server PORT``.


def bare_app() -> object:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    queues: set[asyncio.Queue[bytes]] = set()
    last_id = 0

    async def events(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            queue: asyncio.Queue[bytes] = asyncio.Queue(256)
            queues.add(queue)
            try:
                yield b"retry: 3000\n\n"
                while True:
                    try:
                        async with asyncio.timeout(HEARTBEAT_SECONDS):
                            frame = await queue.get()
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    yield frame
            finally:
                queues.discard(queue)

        return StreamingResponse(
            body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    async def publish(request: Request) -> Response:
        nonlocal last_id
        data = await request.body()
        last_id += 1
        frame = b"id: %d\nevent: photo.approved\ndata: %s\n\n" % (last_id, data)
        for queue in queues:
            queue.put_nowait(frame)
        return JSONResponse({"id": last_id})

    async def state(request: Request) -> Response:
        return JSONResponse({"connections": len(queues), "last_id": last_id})

    return Starlette(
        routes=[
            Route("/events", events),
            Route("/publish", publish, methods=["POST"]),
            Route("/state", state),
        ]
    )


def serve_bare(port: int) -> None:
    import uvicorn

    raise_fd_limit()
    # The settings of `wall serve` (wall/cli/serve.py), so that only the app differs.
    uvicorn.run(
        bare_app(),  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        timeout_graceful_shutdown=5,
        proxy_headers=True,
    )


class BareProcess:
    def __init__(self, cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = cwd / f"bare-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BareProcess:
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--bare-server", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def answers() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log_path
            try:
                return httpx.get(f"{self.url}/state", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, 30, "the bare server")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


# The measurement.


@dataclass
class Result:
    p50: float
    p99: float
    p100: float
    missed: int
    bytes_per_connection: float
    answer: float  # the trigger request's own answer time


def percentile(times: list[float], fraction: float) -> float:
    return times[max(0, math.ceil(fraction * len(times)) - 1)]


def measure(
    crowds: list[CrowdProcess],
    pid: int,
    port: int,
    path: str,
    clients: int,
    rounds: int,
    connected: Callable[[], int],
    last_id: Callable[[], int],
    trigger: Callable[[], None],
) -> Result:
    time.sleep(SETTLE_SECONDS)
    before = vm_rss(pid)
    for crowd, share in zip(crowds, split(clients, len(crowds)), strict=True):
        crowd.send(op="connect", host="127.0.0.1", port=port, path=path, count=share, parallel=200)
    answers = [crowd.answer() for crowd in crowds]
    opened = sum(a["connected"] for a in answers)
    if opened != clients:
        raise RuntimeError(f"only {opened} of {clients} streams opened")
    wait_for(lambda: connected() == clients, 60, f"{clients} streams on the server")
    time.sleep(SETTLE_SECONDS)
    after = vm_rss(pid)
    p50s, p99s, p100s, answer_times = [], [], [], []
    missed = 0
    for _ in range(rounds):
        above = last_id()
        began = time.monotonic()
        trigger()
        answer_times.append(time.monotonic() - began)
        times: list[float] = []
        for reply in ask_all(crowds, op="wait", above=above, timeout=60):
            times += [t - began for t in reply["times"] if t is not None]
            missed += sum(1 for t in reply["times"] if t is None)
        times.sort()
        p50s.append(percentile(times, 0.5))
        p99s.append(percentile(times, 0.99))
        p100s.append(times[-1])
        time.sleep(0.5)
    return Result(
        statistics.median(p50s),
        statistics.median(p99s),
        statistics.median(p100s),
        missed,
        (after - before) / clients,
        statistics.median(answer_times),
    )


def run_wall(
    env: dict[str, str], tmp: Path, clients: int, rounds: int, crowds_count: int, photos: list[str]
) -> tuple[Result, str]:
    server = WallProcess(env, tmp).start()
    crowds = [CrowdProcess() for _ in range(crowds_count)]
    try:
        assert server.process is not None
        moderator = httpx.Client(base_url=server.url, timeout=60)
        login = moderator.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        login.raise_for_status()
        csrf = login.json()["csrf_token"]

        def approve() -> None:
            response = moderator.post(
                f"/api/moderation/photos/{photos.pop()}/decision",
                json={"action": "approve"},
                headers={"X-CSRF-Token": csrf},
            )
            response.raise_for_status()

        result = measure(
            crowds,
            server.process.pid,
            server.port,
            "/api/wall/events",
            clients,
            rounds,
            connected=lambda: metric(server.url, "wall_event_streams"),
            last_id=lambda: metric(server.url, "wall_event_last_id"),
            trigger=approve,
        )
        crowds[0].send(op="sample")
        frame: str = crowds[0].answer()["frame"]
        moderator.close()
        return result, frame
    finally:
        for crowd in crowds:
            crowd.end()
        server.stop()


def run_bare(tmp: Path, clients: int, rounds: int, crowds_count: int, data: bytes) -> Result:
    server = BareProcess(tmp).start()
    crowds = [CrowdProcess() for _ in range(crowds_count)]
    try:
        assert server.process is not None
        client = httpx.Client(base_url=server.url, timeout=60)

        def state(key: str) -> int:
            value: int = client.get("/state").json()[key]
            return value

        def publish() -> None:
            client.post("/publish", content=data).raise_for_status()

        result = measure(
            crowds,
            server.process.pid,
            server.port,
            "/events",
            clients,
            rounds,
            connected=lambda: state("connections"),
            last_id=lambda: state("last_id"),
            trigger=publish,
        )
        client.close()
        return result
    finally:
        for crowd in crowds:
            crowd.end()
        server.stop()


async def prepare(settings: Settings, count: int) -> list[str]:
    await add_moderator(settings)
    return [await network_photo(settings) for _ in range(count)]


def main(args: argparse.Namespace) -> None:
    limit = raise_fd_limit()
    load_at_start = machine_load()
    sizes = [int(n) for n in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        env = wall_environment(
            WALL_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'wall.db'}",
            WALL_DATA_DIR=str(tmp / "data"),
            WALL_SECRET_KEY="bench-" + secrets.token_hex(16),
            WALL_ADMIN_EMAIL=ADMIN_EMAIL,
            WALL_ADMIN_PASSWORD=ADMIN_PASSWORD,
            WALL_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        )
        settings = Settings.from_env(env)
        settings.data_path.mkdir(parents=True, exist_ok=True)
        migrations.upgrade(settings.database_url)
        photos = asyncio.run(prepare(settings, len(sizes) * args.rounds))
        print(
            f"Fan-out of one event on one process (SQLite), {args.rounds} events per size,"
            f" medians; {args.crowds} load-generator process(es); open files {limit}"
        )
        print(
            f"{'clients':>8}  {'server':<6} {'50 %':>8} {'99 %':>8} {'100 %':>8}"
            f" {'missed':>6} {'memory/conn':>12} {'trigger answer':>15}"
        )
        results: dict[int, tuple[Result, Result]] = {}
        for clients in sizes:
            wall, frame = run_wall(env, tmp, clients, args.rounds, args.crowds, photos)
            data = frame.split("data: ", 1)[1].encode() if "data: " in frame else b"{}"
            bare = run_bare(tmp, clients, args.rounds, args.crowds, data)
            results[clients] = (wall, bare)
            for name, r in (("wall", wall), ("bare", bare)):
                print(
                    f"{clients:>8,}  {name:<6} {r.p50:7.3f}s {r.p99:7.3f}s {r.p100:7.3f}s"
                    f" {r.missed:>6} {r.bytes_per_connection / 1024:9.1f} KB"
                    f" {r.answer * 1000:12.1f} ms"
                )
            print(
                f"{'':>8}  {'ratio':<6} {wall.p50 / bare.p50:7.2f}x {wall.p99 / bare.p99:7.2f}x"
                f" {wall.p100 / bare.p100:7.2f}x {'':>6}"
                f" {wall.bytes_per_connection / bare.bytes_per_connection:9.2f}x"
            )
            sys.stdout.flush()
        print(f"Machine: {load_at_start} at the start, {machine_load()} at the end")
        largest = max(sizes)
        wall, bare = results[largest]
        print("Goals at the largest size:")
        checks = [
            (
                f"99 % within {GOAL_P99_SECONDS} s",
                wall.p99 <= GOAL_P99_SECONDS,
                f"{wall.p99:.3f} s",
            ),
            (
                f"at most {GOAL_RATIO}x the bare endpoint (99 %)",
                wall.p99 <= GOAL_RATIO * bare.p99,
                f"{wall.p99 / bare.p99:.2f}x",
            ),
            (
                "at most 30 KB per connection",
                wall.bytes_per_connection <= GOAL_BYTES_PER_CONNECTION,
                f"{wall.bytes_per_connection / 1024:.1f} KB",
            ),
        ]
        for goal, met, figure in checks:
            print(f"  {largest:,} clients, {goal}: {figure} — {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1000,5000,10000", help="comma-separated sizes")
    parser.add_argument("--rounds", type=int, default=3, help="events per connection set")
    parser.add_argument("--crowds", type=int, default=1, help="load-generator processes")
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.bare_server is not None:
        serve_bare(arguments.bare_server)
    else:
        main(arguments)
