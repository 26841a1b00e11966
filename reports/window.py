"""The period a report covers: `--since 7d` (a duration back from now) or an ISO date/instant."""

from datetime import UTC, datetime, timedelta

from policy.durations import parse_duration


def parse_instant(value: str, now: datetime) -> datetime:
    """'7d', '36h' -> now minus that; '2026-03-01' or an ISO instant -> that instant (UTC if no
    zone is given)."""
    try:
        back = parse_duration(value)
    except ValueError:
        back = None
    if isinstance(back, timedelta):
        return now - back
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is neither a duration like '7d' or '24h' nor an ISO date like '2026-03-01'"
        ) from None
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def report_window(
    since: str, until: str | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    now = now or datetime.now(UTC)
    start = parse_instant(since, now)
    end = parse_instant(until, now) if until else now
    if start >= end:
        raise ValueError(
            f"the window is empty: {start:%Y-%m-%d %H:%M} is not before {end:%Y-%m-%d %H:%M}"
        )
    return start, end
