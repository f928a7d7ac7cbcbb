"""How much does translating Mastodon statuses cost next to decoding the JSON?

Builds 10,000 realistic statuses from the test fixtures (varied ids, authors,
captions), serializes them as pages of 40 like the tag timeline does, then
times ``json.loads`` alone against ``json.loads`` plus ``statuses_to_posts``.

    PYTHONPATH=. /work/venv/bin/python bench/normalize_mastodon.py [--statuses 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from wall.sources.mastodon import PAGE_SIZE, statuses_to_posts

FIXTURE = Path(__file__).parent.parent / "tests" / "fixtures" / "mastodon" / "tag_page.json"
WORDS = ("vert", "école", "cour", "neige", "élèves", "Québec", "Montréal", "arbre", "🌿", "💚")
WORDS += ("&", "<défi>", "l'équipe")


def build_statuses(count: int, seed: int = 2024) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    templates = [status for status in json.loads(FIXTURE.read_text()) if "account" in status]
    statuses = []
    for number in range(count):
        status = copy.deepcopy(templates[number % len(templates)])
        status_id = str(113942870415727316 + number * 4099)
        user = f"user{rng.randrange(5000)}"
        status["id"] = status_id
        status["uri"] = f"https://mastodon.social/users/{user}/statuses/{status_id}"
        status["url"] = f"https://mastodon.social/@{user}/{status_id}"
        status["account"]["acct"] = status["account"]["username"] = user
        status["account"]["display_name"] = f"{rng.choice(WORDS)} {user} 🌱"
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 40)))
        status["content"] = (
            f"<p>{words.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</p>"
            '<p><a href="https://mastodon.social/tags/persevert2024" class="mention hashtag" '
            'rel="tag">#<span>perséVERT2024</span></a><br />merci&nbsp;!</p>'
        )
        statuses.append(status)
    return statuses


def pages(statuses: list[dict[str, Any]]) -> list[bytes]:
    return [
        json.dumps(statuses[start : start + PAGE_SIZE], ensure_ascii=False).encode()
        for start in range(0, len(statuses), PAGE_SIZE)
    ]


def decode_only(bodies: list[bytes]) -> int:
    return sum(len(json.loads(body)) for body in bodies)


def decode_and_translate(bodies: list[bytes]) -> int:
    total = 0
    for body in bodies:
        posts, skipped = statuses_to_posts(
            json.loads(body), "bench", "mastodon", "mastodon.social", "/api/v1/timelines/tag/x"
        )
        assert skipped == 0
        total += len(posts)
    return total


def median_seconds(work: Any, bodies: list[bytes], runs: int, expected: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        assert work(bodies) == expected
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statuses", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    bodies = pages(build_statuses(args.statuses))
    size = sum(len(body) for body in bodies)
    print(f"{args.statuses} statuses in {len(bodies)} pages, {size / 1e6:.1f} MB of JSON")
    plain = median_seconds(decode_only, bodies, args.runs, args.statuses)
    full = median_seconds(decode_and_translate, bodies, args.runs, args.statuses)
    for label, seconds in (("json.loads only", plain), ("json.loads + RemotePost", full)):
        rate = args.statuses / seconds
        print(f"{label:<25} {rate:>10,.0f} statuses/s  ({seconds * 1e3:.1f} ms)")
    print(f"translation costs {full / plain:.1f}x the decoding alone (median of {args.runs} runs)")


if __name__ == "__main__":
    main()
