"""Expand a calendar's holiday sources into dates, once, when the policy is loaded."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays as holiday_data
import icalendar
import recurring_ical_events

from calendars.models import Holiday, Holidays


def resolve(spec: Holidays, folder: Path) -> list[Holiday]:
    """Every closed date: the listed ones, the country's and the iCal file's within spec.years,
    minus the names in spec.ignore. Raises ValueError naming the source field."""
    names: dict[date, list[str]] = defaultdict(list)
    found: list[tuple[date, str]] = []
    if spec.country and spec.years:
        found += _country(spec.country, spec.subdivision, spec.years)
    if spec.ical and spec.years:
        found += _ical(folder / spec.ical, spec.years)
    ignored = {name.casefold() for name in spec.ignore}
    for day, name in found:
        if name.casefold() not in ignored and name not in names[day]:
            names[day].append(name)
    for day in spec.dates:
        names[day].append("holiday")  # listed by hand: never ignored
    return [Holiday(date=day, name="; ".join(names[day])) for day in sorted(names) if names[day]]


def _country(
    country: str, subdivision: str | None, years: tuple[int, int]
) -> list[tuple[date, str]]:
    try:
        table = holiday_data.country_holidays(
            country, subdiv=subdivision, years=range(years[0], years[1] + 1)
        )
    except NotImplementedError as err:
        field = "subdivision" if country in holiday_data.list_supported_countries() else "country"
        raise ValueError(f"{field}: {err}") from None
    # The package joins several holidays on one date with "; ": split them so each can be ignored.
    return [(day, name) for day, names in table.items() for name in names.split("; ")]


def _ical(path: Path, years: tuple[int, int]) -> list[tuple[date, str]]:
    try:
        feed = icalendar.Calendar.from_ical(path.read_bytes())
    except OSError as err:
        raise ValueError(f"ical: cannot read {path} ({err.strerror})") from None
    except ValueError as err:
        raise ValueError(f"ical: {path} is not an iCal file ({err})") from None
    window = (date(years[0], 1, 1), date(years[1] + 1, 1, 1))
    days: list[tuple[date, str]] = []
    for event in recurring_ical_events.of(feed).between(*window):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        name = str(event.get("SUMMARY", "holiday"))
        if isinstance(event.start, datetime):
            # A timed event would close only part of a day; a holiday closes whole dates.
            raise ValueError(f"ical: {name!r} on {event.start:%Y-%m-%d} is not an all-day event")
        days += [(day, name) for day in _dates(event.start, event.end) if window[0] <= day]
    return [(day, name) for day, name in days if day < window[1]]


def _dates(first: date, end: date) -> Iterator[date]:
    """The dates of an all-day event; its end date is exclusive (RFC 5545)."""
    day = first
    while day < end:
        yield day
        day += timedelta(days=1)
