"""Business-hours calendars: validated data, deterministic business-time arithmetic, display.

Pure: no Temporal import, no clock reading, zones from the pinned tzdata package."""

from calendars.clock import AROUND_THE_CLOCK, BusinessClock, Span
from calendars.formatting import local_time, relative
from calendars.models import Calendar, Holiday, Holidays, resolution_context
from calendars.zones import TZDATA_VERSION, UnknownZoneError, load_zone

__all__ = [
    "AROUND_THE_CLOCK",
    "TZDATA_VERSION",
    "BusinessClock",
    "Calendar",
    "Holiday",
    "Holidays",
    "Span",
    "UnknownZoneError",
    "load_zone",
    "local_time",
    "relative",
    "resolution_context",
]
