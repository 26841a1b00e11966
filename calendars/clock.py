"""Business-time arithmetic: deadlines and elapsed business time on a calendar, in UTC.

Each local date's opening hours are converted to UTC once, end point by end point, and the
arithmetic steps through those UTC intervals in integer microseconds. Adding a timedelta to an
aware local datetime would be wall-clock arithmetic (an hour off across DST); this never does.

Local times the zone skips or repeats are resolved so that the local-to-UTC mapping never goes
backwards, which keeps intervals in order and adjacent intervals adjacent:
- a skipped time (spring forward, 02:30 in New York on 2026-03-08) maps to the instant the clocks
  jump, so an interval "02:30-05:00" opens at 03:00 local that day and lasts 2 hours;
- a repeated time (fall back) maps to its first occurrence, so "00:00-01:30" ends at the first
  01:30 and "01:30-05:00" includes the repeated hour (4.5 real hours).
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple

from calendars.hours import DAY_MINUTES, Segment

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_CACHED_DAYS = 1024  # a few years of dates: the UTC intervals of a date never change
Interval = tuple[int, int]  # [start, end) in microseconds since the epoch


class Span(NamedTuple):
    """A stretch of time the clock does not run, such as a pause awaiting the customer."""

    start: datetime
    end: datetime


def _micros(instant: datetime) -> int:
    if instant.utcoffset() is None:
        raise ValueError(f"{instant!r} has no time zone: business time needs an instant")
    return (instant - _EPOCH) // _MICROSECOND


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


class BusinessClock:
    """A calendar compiled for arithmetic: zone, per-weekday segments, closed dates.

    Deadlines are the earliest instant at which the business time is used up, so a window that
    ends at closing time is due at closing time that day, never at the next opening."""

    def __init__(
        self,
        zone: tzinfo,
        week: Sequence[Sequence[Segment]],
        closed: Iterable[date] = (),
        *,
        business_hours: bool = True,
    ) -> None:
        if len(week) != 7 or not any(week):
            raise ValueError("a business clock needs business hours on at least one weekday")
        self.zone = zone
        self.business_hours = business_hours
        self._week = tuple(tuple(segments) for segments in week)
        self._closed = frozenset(closed)
        self._days: dict[date, tuple[Interval, ...]] = {}
        # Open all day every day (24x7): its time is plain elapsed time, no days to walk through.
        self._always_open = not self._closed and all(
            day == ((0, DAY_MINUTES),) for day in self._week
        )

    def add(self, start: datetime, duration: timedelta, pauses: Sequence[Span] = ()) -> datetime:
        """The instant when duration of business time after start is used up (a negative
        duration counts back, as subtract does). A zero duration is due at start itself."""
        if duration < timedelta(0):
            return self.subtract(start, -duration, pauses)
        origin, amount = _micros(start), duration // _MICROSECOND
        if self._always_open and not pauses:
            return _instant(origin + amount)
        return _instant(_used_up(self._open_after(origin, pauses), origin, amount))

    def subtract(self, end: datetime, duration: timedelta, pauses: Sequence[Span] = ()) -> datetime:
        """The latest instant that leaves duration of business time before end ("1 business
        hour before the deadline"): at an opening rather than at the previous day's closing."""
        if duration < timedelta(0):
            return self.add(end, -duration, pauses)
        origin, amount = _micros(end), duration // _MICROSECOND
        return _instant(-_used_up(self._mirrored_before(origin, pauses), -origin, amount))

    def between(self, start: datetime, end: datetime, pauses: Sequence[Span] = ()) -> timedelta:
        """Business time from start to end; negative when end comes first."""
        if end < start:
            return -self.between(end, start, pauses)
        until, total = _micros(end), 0
        if self._always_open and not pauses:
            return timedelta(microseconds=until - _micros(start))
        for a, b in self._open_after(_micros(start), pauses):
            if a >= until:
                break
            total += min(b, until) - a
        return timedelta(microseconds=total)

    def next_open(self, instant: datetime, pauses: Sequence[Span] = ()) -> datetime:
        """The first instant at or after instant when the clock runs."""
        return _instant(next(self._open_after(_micros(instant), pauses))[0])

    def is_open(self, instant: datetime, pauses: Sequence[Span] = ()) -> bool:
        return self.next_open(instant, pauses) == instant

    def _open_after(self, origin: int, pauses: Sequence[Span]) -> Iterator[Interval]:
        """Business intervals from origin on, clipped to start at origin, pauses cut out."""
        return _carve(self._after(origin), _normalized(pauses))

    def _mirrored_before(self, origin: int, pauses: Sequence[Span]) -> Iterator[Interval]:
        """Business intervals before origin, pauses cut out, negated ((-end, -start), latest
        first): counting back from origin is counting forward from -origin."""
        pauses_back = [(-end, -start) for start, end in reversed(_normalized(pauses))]
        return _carve(((-end, -start) for start, end in self._before(origin)), pauses_back)

    def _after(self, origin: int) -> Iterator[Interval]:
        day = self._local_date(origin)
        while True:
            for start, end in self._intervals(day):
                if end > origin:
                    yield max(start, origin), end
            day += _ONE_DAY

    def _before(self, origin: int) -> Iterator[Interval]:
        # From the next date: where clocks fall back across midnight (Goose Bay until 2010), an
        # instant in the repeated hour of one date comes after the next date's midnight.
        day = self._local_date(origin) + _ONE_DAY
        while True:
            for start, end in reversed(self._intervals(day)):
                if start < origin:
                    yield start, min(end, origin)
            day -= _ONE_DAY

    def _local_date(self, micros: int) -> date:
        return _instant(micros).astimezone(self.zone).date()

    def _intervals(self, day: date) -> tuple[Interval, ...]:
        """The date's business intervals in UTC (empty on a holiday), cached."""
        known = self._days.get(day)
        if known is None:
            known = () if day in self._closed else self._convert(day)
            if len(self._days) >= _CACHED_DAYS:
                self._days.clear()
            self._days[day] = known
        return known

    def _convert(self, day: date) -> tuple[Interval, ...]:
        midnight = datetime(day.year, day.month, day.day)
        intervals = []
        for start, end in self._week[day.weekday()]:
            opens = self._to_utc(midnight + timedelta(minutes=start))
            closes = self._to_utc(midnight + timedelta(minutes=end))
            if opens < closes:  # empty when the whole segment lies in a skipped hour
                intervals.append((opens, closes))
        return tuple(intervals)

    def _to_utc(self, wall: datetime) -> int:
        """A local wall time as an instant: a repeated time at its first occurrence (fold=0), a
        skipped time at the instant the clocks jumped over it."""
        instant = wall.replace(tzinfo=self.zone).astimezone(UTC)
        if instant.astimezone(self.zone).replace(tzinfo=None) == wall:
            return _micros(instant)
        return _micros(_jump(wall, instant, self.zone))


def _jump(wall: datetime, after: datetime, zone: tzinfo) -> datetime:
    """The transition that skipped wall. Read with the offset before the jump (fold=0) wall is
    after it, read with the offset after (fold=1) it is before; offsets change on whole seconds."""
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(after.timestamp())
    offset = after.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _normalized(pauses: Sequence[Span]) -> list[Interval]:
    """Pauses as sorted, merged microsecond intervals."""
    merged: list[Interval] = []
    for start, end in sorted((_micros(p.start), _micros(p.end)) for p in pauses):
        if end < start:
            raise ValueError(f"pause ends before it starts ({_instant(end)} < {_instant(start)})")
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def _carve(intervals: Iterable[Interval], pauses: list[Interval]) -> Iterator[Interval]:
    """Intervals (in order) minus pauses (sorted, merged), Zammad-style: pauses are breaks."""
    first = 0
    for start, end in intervals:
        while first < len(pauses) and pauses[first][1] <= start:
            first += 1
        for pause_start, pause_end in pauses[first:]:
            if pause_start >= end:
                break
            if pause_start > start:
                yield start, pause_start
            start = pause_end  # pauses are merged: each ends after the start so far
            if start >= end:
                break
        if start < end:
            yield start, end


def _used_up(intervals: Iterable[Interval], origin: int, amount: int) -> int:
    """Where amount microseconds of the intervals (in order, from origin on) are used up."""
    if amount == 0:
        return origin
    for start, end in intervals:
        if amount <= end - start:
            return start + amount
        amount -= end - start
    raise AssertionError("business intervals never run out")


# Plain elapsed time ("24x7" in the policy): what the clocks of urgent tickets run on.
AROUND_THE_CLOCK = BusinessClock(UTC, [[(0, DAY_MINUTES)]] * 7, business_hours=False)
