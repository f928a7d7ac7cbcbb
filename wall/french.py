"""French as people in Québec read it: OQLF spacing, dates and times.

``spaced`` is the one place that puts non-breaking spaces where the Office
québécois de la langue française wants them: before ``:`` (and before ``;``
``!`` ``?`` when the text has a space there at all — Québec usage writes
« Merci! » without one), and inside « ». Templates get it as the ``spaced``
filter and as the finalizer of every ``{{ … }}``; error messages go through it
when they are made. A colon then never wraps alone onto a new line.

``long_date`` and ``clock`` are the one date and time formatter:
« le 1er mars 2024 », « 7 h », « 7 h 30 ».
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

NBSP = "\u00a0"

# An ordinary space (or several) before : ; ! ? », or after «.
_BEFORE = re.compile(r"[ \t]+(?=[:;!?»])")
_AFTER = re.compile(r"(?<=«)[ \t]+")

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def spaced(text: str) -> str:
    """``text`` with a non-breaking space wherever French typography wants one."""
    if " " not in text and "\t" not in text:
        return text
    return _AFTER.sub(NBSP, _BEFORE.sub(NBSP, text))


def has_breaking_space(text: str) -> bool:
    """Whether ``text`` has an ordinary space before ``:`` ``»`` or after ``«``."""
    return re.search(r"[ \t\n](?=[:»])|«[ \t\n]", text) is not None


def day_number(day: dt.date, lang: str = "fr") -> str:
    """``1er mars 2024`` / ``March 1, 2024``."""
    if lang == "en":
        return f"{day:%B} {day.day}, {day.year}"
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def long_date(day: dt.date, lang: str = "fr") -> str:
    """``le 1er mars 2024`` / ``March 1, 2024``: a date inside a sentence."""
    return day_number(day, lang) if lang == "en" else f"le {day_number(day, lang)}"


def clock(moment: dt.time | dt.datetime, lang: str = "fr") -> str:
    """``7 h``, ``7 h 30``, ``19 h 05`` / ``7:00 a.m.``, ``7:30 p.m.``."""
    if lang == "en":
        hour = moment.hour % 12 or 12
        return f"{hour}:{moment.minute:02d} {'a.m.' if moment.hour < 12 else 'p.m.'}"
    if moment.minute == 0:
        return f"{moment.hour}{NBSP}h"
    return f"{moment.hour}{NBSP}h{NBSP}{moment.minute:02d}"


def date_and_time(moment: dt.datetime, zone: zoneinfo.ZoneInfo, lang: str = "fr") -> str:
    """``le 15 février 2024 à 7 h`` / ``February 15, 2024 at 7:00 a.m.``, in ``zone``."""
    local = moment.astimezone(zone)
    if lang == "en":
        return f"{long_date(local.date(), lang)} at {clock(local, lang)}"
    return f"{long_date(local.date(), lang)} à {clock(local, lang)}"
