"""French as Québec reads it: OQLF spacing and the one date formatter."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from wall import french
from wall.errors import InvalidField
from wall.french import NBSP

QUEBEC = zoneinfo.ZoneInfo("America/Toronto")


def test_the_first_of_the_month_is_1er_and_others_are_plain_numbers() -> None:
    assert french.long_date(dt.date(2024, 3, 1)) == "le 1er mars 2024"
    assert french.long_date(dt.date(2024, 3, 2)) == "le 2 mars 2024"
    assert french.long_date(dt.date(2024, 2, 15)) == "le 15 février 2024"
    assert french.long_date(dt.date(2024, 3, 1), "en") == "March 1, 2024"


@pytest.mark.parametrize(
    ("moment", "fr", "en"),
    [
        (dt.time(7, 0), f"7{NBSP}h", "7:00 a.m."),
        (dt.time(7, 30), f"7{NBSP}h{NBSP}30", "7:30 a.m."),
        (dt.time(19, 5), f"19{NBSP}h{NBSP}05", "7:05 p.m."),
        (dt.time(0, 0), f"0{NBSP}h", "12:00 a.m."),
        (dt.time(12, 0), f"12{NBSP}h", "12:00 p.m."),
    ],
)
def test_times_read_7_h_and_7_h_30(moment: dt.time, fr: str, en: str) -> None:
    assert french.clock(moment) == fr
    assert french.clock(moment, "en") == en


def test_a_moment_is_told_in_the_campaign_zone() -> None:
    moment = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)  # 7:00 in Québec (EST)
    assert french.date_and_time(moment, QUEBEC) == f"le 1er mars 2024 à 7{NBSP}h"
    assert french.date_and_time(moment, QUEBEC, "en") == "March 1, 2024 at 7:00 a.m."


@pytest.mark.parametrize(
    ("raw", "spaced"),
    [
        ("Où : ici", f"Où{NBSP}: ici"),
        ("« Bonjour »", f"«{NBSP}Bonjour{NBSP}»"),
        ("Vraiment ? Oui !", f"Vraiment{NBSP}? Oui{NBSP}!"),
        ("a ; b", f"a{NBSP}; b"),
        ("Merci!", "Merci!"),  # Québec usage: no space, none added
        ("https://mur.example/upload", "https://mur.example/upload"),
        ("Où  :  deux espaces", f"Où{NBSP}:  deux espaces"),
        (f"Déjà{NBSP}: bien", f"Déjà{NBSP}: bien"),
    ],
)
def test_spaced_puts_a_non_breaking_space_where_the_oqlf_wants_one(raw: str, spaced: str) -> None:
    assert french.spaced(raw) == spaced
    assert not french.has_breaking_space(spaced)


def test_error_messages_go_through_the_same_function() -> None:
    error = InvalidField("Laisse vide le dernier champ : c'est un piège.", code="x")
    assert error.message == f"Laisse vide le dernier champ{NBSP}: c'est un piège."
    assert error.to_json()["message"] == error.message
