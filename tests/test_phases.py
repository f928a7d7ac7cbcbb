"""The wall's phases: before, on and after the day, in the campaign's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from wall.config import Settings
from wall.phases import EventDay, Phase, parse_phase


def test_the_day_runs_from_midnight_to_midnight_quebec_time() -> None:
    day = EventDay.of(Settings(event_date=dt.date(2024, 2, 15)))
    assert day.starts_at == dt.datetime(2024, 2, 15, 5, 0, tzinfo=dt.UTC)  # EST, UTC-5
    assert day.ends_at == dt.datetime(2024, 2, 16, 5, 0, tzinfo=dt.UTC)
    second = dt.timedelta(microseconds=1)
    assert day.phase_at(day.starts_at - second) is Phase.BEFORE
    assert day.phase_at(day.starts_at) is Phase.LIVE
    assert day.phase_at(day.ends_at - second) is Phase.LIVE
    assert day.phase_at(day.ends_at) is Phase.AFTER


def test_a_day_with_a_clock_change_is_23_hours_long_in_its_zone() -> None:
    settings = Settings(
        event_date=dt.date(2024, 3, 10), timezone=zoneinfo.ZoneInfo("America/Toronto")
    )
    day = EventDay.of(settings)
    assert day.ends_at - day.starts_at == dt.timedelta(hours=23)


def test_the_phase_override_reads_known_names_only() -> None:
    assert parse_phase(" After ") is Phase.AFTER
    assert parse_phase("live") is Phase.LIVE
    assert parse_phase("tomorrow") is None
    assert parse_phase(None) is None
