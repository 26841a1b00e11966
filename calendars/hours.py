"""Weekly opening hours: "09:00-17:00" intervals per weekday, cut into per-date segments.

A segment is (start, end) in minutes after a local date's midnight, 0 <= start < end <= 1440.
An overnight interval ("22:00-06:00" on Friday) becomes two segments: Friday 22:00-24:00 and
Saturday 00:00-06:00, so each segment belongs to exactly one local date (holidays close dates)."""

import re
from itertools import pairwise
from typing import Literal

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
Segment = tuple[int, int]
# 24:00 only as an end ("00:00-24:00" is the whole day; a "23:59" end loses a minute, Zammad #3180).
_INTERVAL = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))")


def parse_interval(text: str) -> Segment:
    """Minutes after the day's midnight; an end before the start means the next day (overnight),
    so the end may exceed 1440."""
    match = _INTERVAL.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an interval like '09:00-17:00' (24:00 only as an end)")
    start_h, start_m, end_h, end_m, day_end_h, day_end_m = match.groups()
    start = int(start_h) * 60 + int(start_m)
    end = int(end_h or day_end_h) * 60 + int(end_m or day_end_m)
    if end == start:
        raise ValueError(f"{text!r} is empty or a full day: write '00:00-24:00' for a full day")
    return start, end if end > start else end + DAY_MINUTES


def weekly_segments(hours: dict[Weekday, list[str]]) -> tuple[tuple[Segment, ...], ...]:
    """Per weekday (Monday first), its sorted segments, including the morning part of the
    previous day's overnight intervals. Raises ValueError naming the weekday on an overlap."""
    owned: list[list[tuple[Segment, str]]] = [[] for _ in WEEKDAYS]
    for index, day in enumerate(WEEKDAYS):
        for text in hours.get(day, []):
            start, end = parse_interval(text)
            owned[index].append(((start, min(end, DAY_MINUTES)), f"{day} {text}"))
            if end > DAY_MINUTES:
                spill = (0, end - DAY_MINUTES)
                owned[(index + 1) % 7].append((spill, f"{day} {text}"))
    return tuple(_without_overlaps(WEEKDAYS[index], day) for index, day in enumerate(owned))


def _without_overlaps(day: Weekday, segments: list[tuple[Segment, str]]) -> tuple[Segment, ...]:
    ordered = sorted(segments)
    for (before, label), (after, other) in pairwise(ordered):
        if after[0] < before[1]:
            raise ValueError(f"{day}: {other} overlaps {label}")
    return _merged([segment for segment, _ in ordered])


def _merged(segments: list[Segment]) -> tuple[Segment, ...]:
    """Touching segments ("09:00-12:00", "12:00-17:00") as one, so none ends where one starts."""
    merged: list[Segment] = []
    for start, end in segments:
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)
