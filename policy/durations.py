"""Human-friendly durations for the policy file: "15m", "2h", "7d", "immediate"."""

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(value: object) -> object:
    """Turn "2h" into a timedelta; leave anything else for pydantic to judge."""
    if isinstance(value, str):
        if value.strip().lower() == "immediate":
            return timedelta(0)
        match = _PATTERN.match(value)
        if not match and value.strip().upper().startswith("P"):
            return value  # ISO 8601, as the policy travels inside Temporal payloads
        if not match:
            raise ValueError(f"{value!r} is not a duration like '15m', '2h', '7d' or 'immediate'")
        amount, unit = match.groups()
        return timedelta(**{_UNITS[unit]: float(amount)})
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _longer_than_zero(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero: the clock starts again from it")
    return value


# A window a clock re-arms itself with (L4 re-alerts every response window, customer updates
# come every cadence): zero would fire it again at the same instant, for ever.
RepeatingDuration = Annotated[Duration, AfterValidator(_longer_than_zero)]


def format_duration(value: timedelta) -> str:
    """Render a window for people: "15 minutes", "2 hours", "1 day 6 hours"."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "immediately"
    parts = []
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'s' if count > 1 else ''}")
    return " ".join(parts[:2])
