"""A crowd of SSE clients in its own process: the load generator of the live benchmarks.

``live_fanout.py`` and ``reconnect_storm.py`` start one or more of these so
that the clients never share a process (or a GIL) with the server they
measure. Each client is a raw asyncio stream speaking just enough HTTP/1.1
(chunked or not) and SSE to note the id of every event and the
``time.monotonic()`` it arrived; ``CLOCK_MONOTONIC`` is system-wide on Linux,
so the driver compares those times with its own.

The driver sends one JSON command per line on stdin and reads one JSON answer
per line on stdout:

- ``{"op": "connect", "host", "port", "path", "count", "last_event_id",
  "reconnect", "retry", "parallel"}``: open ``count`` streams, at most
  ``parallel`` handshakes at a time; answers once each has its first frame.
  With ``reconnect``, a stream that ends is reopened after ``retry`` seconds
  with ``Last-Event-ID`` (as ``EventSource`` does), again and again.
- ``{"op": "wait", "above", "timeout"}``: wait until every client has an
  event with an id above ``above``; answers each client's arrival time of the
  first such event (``null`` for a client that never got one).
- ``{"op": "sample"}``: the last event frame a client received.
- ``{"op": "stats"}``: reconnections, resets and failed attempts so far.
- ``{"op": "close"}``: close every stream, then exit.

Run alone it measures nothing (``make bench`` runs it with no arguments)::

    PYTHONPATH=. python bench/sse_crowd.py --serve-commands
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def raise_fd_limit() -> int:
    """As many open files as the hard limit allows (20,000 on the bench machine)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class Client:
    def __init__(self, host: str, port: int, path: str, last_event_id: int | None) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.last_id = last_event_id
        self.arrivals: list[tuple[int, float]] = []  # (event id, monotonic time)
        self.last_frame = ""
        self.ready = asyncio.Event()
        self.progress = asyncio.Event()
        self.connections = 0
        self.failed_attempts = 0
        self.resets = 0
        self._writer: asyncio.StreamWriter | None = None
        self.closing = False

    def first_above(self, above: int) -> float | None:
        for event_id, at in self.arrivals:
            if event_id > above:
                return at
        return None

    async def run(self, reconnect: bool, retry: float) -> None:
        while not self.closing:
            try:
                await self._one_stream()
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.failed_attempts += 1
            finally:
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
            if not reconnect or self.closing:
                return
            await asyncio.sleep(retry)

    async def _one_stream(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._writer = writer
        resume = "" if self.last_id is None else f"Last-Event-ID: {self.last_id}\r\n"
        writer.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Accept: text/event-stream\r\n{resume}\r\n".encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        if not head.startswith("http/1.1 200"):
            raise ValueError(head.splitlines()[0])
        self.connections += 1
        text = ""
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunked = "transfer-encoding: chunked" in head
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    return
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    return
            now = time.monotonic()
            text += decoder.decode(data)
            *frames, text = text.split("\n\n")
            for frame in frames:
                self._take(frame, now)

    def _take(self, frame: str, now: float) -> None:
        event_id: int | None = None
        kind = "message"
        for line in frame.split("\n"):
            if line.startswith("id:"):
                event_id = int(line[3:].strip())
            elif line.startswith("event:"):
                kind = line[6:].strip()
        self.ready.set()
        if event_id is None:
            return  # retry: or a keep-alive comment
        self.last_id = event_id
        if kind == "reset":
            self.resets += 1
        else:
            self.last_frame = frame
        self.arrivals.append((event_id, now))
        self.progress.set()

    def close(self) -> None:
        self.closing = True
        if self._writer is not None:
            self._writer.close()


class Crowd:
    def __init__(self) -> None:
        self.clients: list[Client] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def connect(self, command: dict[str, Any]) -> dict[str, Any]:
        began = time.monotonic()
        gate = asyncio.Semaphore(command.get("parallel", 200))
        batch: list[Client] = []

        async def start(client: Client) -> None:
            async with gate:
                task = asyncio.create_task(
                    client.run(command.get("reconnect", False), command.get("retry", 0.5))
                )
                self.tasks.append(task)
                ready = asyncio.create_task(client.ready.wait())
                await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
                ready.cancel()

        for _ in range(command["count"]):
            client = Client(
                command["host"], command["port"], command["path"], command.get("last_event_id")
            )
            batch.append(client)
        await asyncio.gather(*(start(client) for client in batch))
        self.clients += batch
        connected = sum(1 for client in batch if client.ready.is_set())
        return {"connected": connected, "seconds": time.monotonic() - began}

    async def wait(self, command: dict[str, Any]) -> dict[str, Any]:
        above = command["above"]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(command.get("timeout", 60)):
                for client in self.clients:
                    while client.last_id is None or client.last_id <= above:
                        client.progress.clear()
                        await client.progress.wait()
        return {"times": [client.first_above(above) for client in self.clients]}

    def stats(self) -> dict[str, Any]:
        return {
            "connections": sum(client.connections for client in self.clients),
            "failed_attempts": sum(client.failed_attempts for client in self.clients),
            "resets": sum(client.resets for client in self.clients),
        }

    async def close(self) -> dict[str, Any]:
        for client in self.clients:
            client.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        return {"closed": len(self.clients)}


class CrowdProcess:
    """The driver's side: one crowd process and its command pipe."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve-commands"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def send(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the crowd process exited ({self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def end(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(BrokenPipeError, RuntimeError):
                self.send(op="close")
                self.answer()
            self.process.wait(timeout=30)


def ask_all(crowds: list[CrowdProcess], **command: Any) -> list[dict[str, Any]]:
    """The same command to every crowd at once, then their answers."""
    for crowd in crowds:
        crowd.send(**command)
    return [crowd.answer() for crowd in crowds]


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def serve_commands() -> None:
    crowd = Crowd()
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            await crowd.close()
            return
        command = json.loads(line)
        op = command["op"]
        if op == "connect":
            answer = await crowd.connect(command)
        elif op == "wait":
            answer = await crowd.wait(command)
        elif op == "sample":
            answer = {"frame": next((c.last_frame for c in crowd.clients if c.last_frame), "")}
        elif op == "stats":
            answer = crowd.stats()
        elif op == "close":
            answer = await crowd.close()
        else:
            answer = {"error": f"unknown op {op!r}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if op == "close":
            return


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--serve-commands", action="store_true", help="read commands on stdin (as a driver does)"
    )
    if not parser.parse_args().serve_commands:
        print("sse_crowd.py is the load generator of live_fanout.py and reconnect_storm.py.")
        sys.exit(0)
    raise_fd_limit()
    asyncio.run(serve_commands())
