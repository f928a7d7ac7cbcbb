"""The backoff rule: doubling, jittered, capped, never shorter than asked."""

from __future__ import annotations

import random

from wall.sources.poller import backoff_delay


def delays(failures: int, retry_after: float | None = None, runs: int = 200) -> list[float]:
    rng = random.Random(1)
    return [
        backoff_delay(60, failures, retry_after=retry_after, max_backoff=1800, rng=rng)
        for _ in range(runs)
    ]


def test_the_delay_doubles_with_jitter_over_the_upper_half() -> None:
    for failures, low, high in ((1, 60, 120), (2, 120, 240), (3, 240, 480)):
        seen = delays(failures)
        assert all(low <= delay <= high for delay in seen), failures
        assert len(set(seen)) > 100  # jittered, so walls do not retry in step


def test_the_delay_is_capped_and_never_below_the_interval() -> None:
    assert all(900 <= delay <= 1800 for delay in delays(40))
    rng = random.Random(2)
    assert backoff_delay(600, 1, retry_after=None, max_backoff=300, rng=rng) == 600


def test_the_network_s_own_delay_wins_when_longer() -> None:
    assert all(delay == 1200 for delay in delays(1, retry_after=1200))
    assert all(60 <= delay <= 120 for delay in delays(1, retry_after=5))
    assert all(delay == 86400 for delay in delays(1, retry_after=10**9))
