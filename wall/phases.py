"""The wall's phases around the day of the green wave (``WALL_EVENT_DATE``).

Before the day the wall counts down, on the day it is live, after it shows a
recap. The day runs from midnight to midnight in ``WALL_TIMEZONE``. A phase
changes what surrounds the photos, never which photos are shown.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from wall.config import Settings


class Phase(enum.StrEnum):
    BEFORE = "before"
    LIVE = "live"
    AFTER = "after"


@dataclass(frozen=True)
class EventDay:
    """The day of the wave, as UTC moments (the page compares them to its clock)."""

    starts_at: dt.datetime
    ends_at: dt.datetime

    @classmethod
    def of(cls, settings: Settings) -> EventDay:
        day = settings.event_date
        start = dt.datetime.combine(day, dt.time(0), settings.timezone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), settings.timezone)
        return cls(start.astimezone(dt.UTC), end.astimezone(dt.UTC))

    def phase_at(self, now: dt.datetime) -> Phase:
        if now < self.starts_at:
            return Phase.BEFORE
        return Phase.LIVE if now < self.ends_at else Phase.AFTER


def parse_phase(raw: str | None) -> Phase | None:
    """The ``?phase=`` override for rehearsals; None when absent or unknown."""
    try:
        return Phase((raw or "").strip().lower())
    except ValueError:
        return None
