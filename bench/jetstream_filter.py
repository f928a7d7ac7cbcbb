"""Can one process keep up with Jetstream? The cost of reading and filtering each message.

Jetstream has no tag filter: a Bluesky source receives every post, like and
deletion of the network (``wantedCollections=app.bsky.feed.post`` keeps the
posts and their deletions) and keeps the few with a campaign tag and images.
This replays a recorded slice of the real stream
(``tests/fixtures/bluesky/jetstream_recorded.jsonl``, from bluesky-social/jetstream)
over and over, and times per message:

- **json.loads** alone: the least any client must spend (the baseline);
- **parse + filter**: ``wall.sources.jetstream.parse`` and
  ``BlueskySource.worth_reading`` (the tag and image check), what the wall
  spends on each message before any request.

It prints messages per second and the share of one core the wall would use at
``--rate`` messages per second (the posts of the whole network).

    PYTHONPATH=. .venv/bin/python bench/jetstream_filter.py [--messages 200000] [--rate 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import httpx

from wall.sources import jetstream
from wall.sources.base import SourceConfig
from wall.sources.bluesky import BlueskySource

CORPUS = Path(__file__).resolve().parent.parent / "tests/fixtures/bluesky/jetstream_recorded.jsonl"


def timed(label: str, messages: list[str], work: object) -> float:
    assert callable(work)
    began = time.perf_counter()
    kept = sum(1 for raw in messages if work(raw) is True)
    seconds = time.perf_counter() - began
    rate = len(messages) / seconds
    print(f"{label:<16} {rate:>12,.0f} messages/s   kept for the wall: {kept}")
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--rate", type=float, default=300.0, help="network messages per second")
    args = parser.parse_args()
    lines = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    messages = (lines * (args.messages // len(lines) + 1))[: args.messages]
    async with httpx.AsyncClient() as client:
        source = BlueskySource(
            SourceConfig(
                name="bluesky",
                type="bluesky",
                base_url="https://bsky.test",
                identifier="bench.bsky.social",
                app_password="unused",
                hashtags=("perséVERT2024",),
            ),
            client,
        )

        def parse_and_filter(raw: str) -> bool:
            try:
                post = jetstream.parse(raw).post
            except jetstream.MalformedMessage:
                return False
            if post is None:
                return False
            return post.operation == "delete" or source.worth_reading(post)

        print(f"{len(messages):,} messages replayed from {len(lines)} recorded ones")
        baseline = timed("json.loads", messages, json.loads)
        wall = timed("parse + filter", messages, parse_and_filter)
    print(f"ratio (parse + filter / json.loads time): {baseline / wall:.2f}")
    print(f"one core's share at {args.rate:,.0f} messages/s: {100 * args.rate / wall:.2f} %")


if __name__ == "__main__":
    asyncio.run(main())
