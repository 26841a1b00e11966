"""Times as people read them: local time with the zone's name, and time left on a clock.

Weekday and month names are spelled here rather than by strftime, whose names follow the
process locale: a worker's locale must not change a customer's email."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from calendars.clock import BusinessClock, Span
from calendars.zones import load_zone

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_time(instant: datetime, zone: str, *, with_date: bool = False) -> str:
    """ "Mon 09:00 Europe/Berlin", or with_date "Mon 9 Mar 2026 09:00 Europe/Berlin"."""
    local = instant.astimezone(load_zone(zone))
    day = f" {local.day} {_MONTHS[local.month - 1]} {local.year}" if with_date else ""
    return f"{_DAYS[local.weekday()]}{day} {local.hour:02d}:{local.minute:02d} {zone}"


def relative(
    now: datetime, deadline: datetime, clock: BusinessClock, pauses: Sequence[Span] = ()
) -> str:
    """ "in 3 business hours", "40 business minutes ago", "in 1 day 2 hours" (around the clock),
    counted on the clock's own time and rounded to the minute."""
    left = clock.between(now, deadline, pauses)
    minutes = round(abs(left) / timedelta(minutes=1))
    if minutes == 0:
        return "now"
    amount = _amount(minutes, business=clock.business_hours)
    return f"in {amount}" if left > timedelta(0) else f"{amount} ago"


def _amount(minutes: int, *, business: bool) -> str:
    # A business day is not 24 hours, so business time is told in hours however long it is.
    days, minutes = (0, minutes) if business else divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    counts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{count} {unit}{'s' if count > 1 else ''}" for count, unit in counts if count][:2]
    if business:
        words[0] = words[0].replace(" ", " business ", 1)
    return " ".join(words)
