"""A clock the test moves by hand, handed to code that takes ``clock=``."""

from __future__ import annotations

import datetime as dt


class ManualClock:
    """Starts at the real time; moves only when the test calls ``advance``."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now
