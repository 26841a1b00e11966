"""Calendars and instants the calendar tests share: five zones with awkward DST, 2026-2030."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from calendars import Calendar, load_zone, resolution_context

# Zone: its holidays (country, subdivision). Lord Howe moves 30 minutes; Kathmandu is +5:45
# without DST; Chatham is +12:45 and moves at 02:45.
ZONES = {
    "America/New_York": ("US", None),
    "Europe/Berlin": ("DE", "BE"),
    "Australia/Lord_Howe": ("AU", "NSW"),
    "Asia/Kathmandu": ("NP", None),
    "Pacific/Chatham": ("NZ", "CIT"),
}
FIRST, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
WORKWEEK = ("mon", "tue", "wed", "thu", "fri")
# Split days, an overnight shift and a Sunday night across the hours DST moves in all five zones.
SHIFTS = {
    **{day: ["08:00-12:00", "13:00-18:00"] for day in WORKWEEK},
    "fri": ["08:00-12:00", "13:00-18:00", "22:00-06:00"],
    "sat": ["21:00-00:30"],
    "sun": ["01:00-04:00"],
}


def calendar(zone: str, hours: dict[str, list[str]], **holidays: object) -> Calendar:
    """A calendar as the policy loader builds it (holiday sources expanded)."""
    data = {"name": f"test {zone}", "timezone": zone, "hours": hours, "holidays": holidays}
    return Calendar.model_validate(data, context=resolution_context(Path(__file__).parent))


def office(zone: str) -> Calendar:
    country, subdivision = ZONES[zone]
    hours = {day: ["09:00-17:00"] for day in WORKWEEK}
    return calendar(zone, hours, country=country, subdivision=subdivision, years=[2026, 2030])


def shifts(zone: str) -> Calendar:
    country, subdivision = ZONES[zone]
    return calendar(zone, SHIFTS, country=country, subdivision=subdivision, years=[2026, 2030])


def always(zone: str) -> Calendar:
    return calendar(zone, {day: ["00:00-24:00"] for day in (*WORKWEEK, "sat", "sun")})


OFFICES = {zone: office(zone) for zone in ZONES}
SHIFT_CALENDARS = {zone: shifts(zone) for zone in ZONES}
ALWAYS = {zone: always(zone) for zone in ZONES}
BUSINESS = [*OFFICES.values(), *SHIFT_CALENDARS.values()]


def ical(*events: dict[str, str]) -> str:
    """An iCal file with one VEVENT per mapping of property (with parameters) to value."""
    body = "".join(
        "BEGIN:VEVENT\r\n"
        + "".join(f"{key}:{value}\r\n" for key, value in event.items())
        + "END:VEVENT\r\n"
        for event in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


def offset_changes(zone: ZoneInfo) -> list[datetime]:
    """Every instant in 2026-2030 at which the zone's UTC offset changes, to the second."""
    step, found, at = timedelta(hours=6), [], FIRST
    while at < END:
        if at.astimezone(zone).utcoffset() != (at + step).astimezone(zone).utcoffset():
            low, high = at, at + step
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                same = middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            found.append(high)
        at += step
    return found


TRANSITIONS = sorted(t for zone in ZONES for t in offset_changes(load_zone(zone)))
uniform = st.datetimes(
    min_value=FIRST.replace(tzinfo=None), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
near_transition = st.builds(
    lambda at, shift: at + shift,
    st.sampled_from(TRANSITIONS),
    st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
)
instants = st.one_of(uniform, near_transition)
durations = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12)),
    st.integers(min_value=0, max_value=48 * 4).map(
        lambda quarters: timedelta(minutes=15 * quarters)
    ),
)
