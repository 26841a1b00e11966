"""Business-time arithmetic: properties over 2026-2030 in five zones, DST edges, and regression
tests named after the bugs other helpdesks shipped (Zammad, GLPI)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendars import AROUND_THE_CLOCK, Calendar, Span, load_zone, local_time, relative
from tests.calendar_cases import (
    ALWAYS,
    BUSINESS,
    OFFICES,
    WORKWEEK,
    calendar,
    durations,
    ical,
    instants,
)

# Bounded so the whole file runs in a few seconds on a loaded machine.
bounded = settings(max_examples=120, deadline=None)
business = st.sampled_from(BUSINESS)
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def at(zone: str, *fields: int) -> datetime:
    """A local wall time in zone (no skipped or repeated time is used here), as UTC."""
    return datetime(*fields, tzinfo=load_zone(zone)).astimezone(UTC)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def within_hours(calendar: Calendar, instant: datetime) -> bool:
    """Oracle, independent of the clock's stepping: the local wall time of instant lies in one
    of the weekly intervals (an overnight one counted from the day before) on a working date."""
    local = instant.astimezone(load_zone(calendar.timezone))
    if local.date() in {holiday.date for holiday in calendar.holidays.resolved or []}:
        return False
    wall = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    today, yesterday = WEEK[local.weekday()], WEEK[local.weekday() - 1]
    for text in calendar.hours.get(today, []):
        start, end = (_minutes(part) for part in text.split("-"))
        if start <= wall < (end if end > start else 24 * 60):
            return True
    for text in calendar.hours.get(yesterday, []):
        start, end = (_minutes(part) for part in text.split("-"))
        if end <= start and wall < end:
            return True
    return False


# --- Properties -------------------------------------------------------------------------------


@bounded
@given(business, instants, durations)
def test_adding_then_measuring_gives_the_duration_back(cal: Calendar, start, duration):
    deadline = cal.clock.add(start, duration)
    assert deadline >= start
    assert cal.clock.between(start, deadline) == duration
    assert cal.clock.between(deadline, start) == -duration


@bounded
@given(business, instants, durations)
def test_counting_back_from_an_end_gives_the_duration_back(cal: Calendar, end, duration):
    start = cal.clock.subtract(end, duration)
    assert start <= end
    assert cal.clock.between(start, end) == duration
    assert cal.clock.add(start, duration) <= end


@bounded
@given(business, instants, instants, durations, durations)
def test_deadlines_move_forward_monotonically(cal: Calendar, start, later, shorter, longer):
    start, later = sorted((start, later))
    shorter, longer = sorted((shorter, longer))
    assert cal.clock.add(start, shorter) <= cal.clock.add(start, longer)
    assert cal.clock.add(start, shorter) <= cal.clock.add(later, shorter)


@bounded
@given(business, instants, durations.filter(lambda d: d > timedelta(0)))
def test_a_business_deadline_never_falls_outside_business_hours(cal: Calendar, start, duration):
    # Due when the last business microsecond is used: that microsecond is inside the hours.
    deadline = cal.clock.add(start, duration)
    assert within_hours(cal, deadline - timedelta(microseconds=1))
    assert cal.clock.is_open(deadline - timedelta(microseconds=1))


@bounded
@given(business, instants)
def test_the_clock_runs_exactly_when_the_hours_say(cal: Calendar, instant):
    assert cal.clock.is_open(instant) == within_hours(cal, instant)
    opening = cal.clock.next_open(instant)
    assert opening >= instant and cal.clock.is_open(opening)
    assert cal.clock.between(instant, opening) == timedelta(0)


@bounded
@given(st.sampled_from(list(ALWAYS.values())), instants, durations, instants)
def test_a_24x7_calendar_is_plain_addition_in_every_zone(cal: Calendar, start, duration, end):
    assert cal.clock.add(start, duration) == start + duration
    assert cal.clock.subtract(start, duration) == start - duration
    assert cal.clock.between(start, end) == end - start
    assert AROUND_THE_CLOCK.add(start, duration) == start + duration


@bounded
@given(business, st.data())
def test_holidays_are_skipped(cal: Calendar, data):
    holidays = cal.holidays.resolved or []
    holiday = data.draw(st.sampled_from(holidays)).date
    zone = load_zone(cal.timezone)
    day_start = datetime.combine(holiday, datetime.min.time(), zone).astimezone(UTC)
    day_end = datetime.combine(holiday + timedelta(days=1), datetime.min.time(), zone)
    assert cal.clock.between(day_start, day_end.astimezone(UTC)) == timedelta(0)
    deadline = cal.clock.add(day_start, data.draw(durations.filter(lambda d: d > timedelta(0))))
    local_day = (deadline - timedelta(microseconds=1)).astimezone(zone).date()
    assert local_day not in {h.date for h in holidays}


@bounded
@given(business, instants, durations, st.lists(st.tuples(durations, durations), max_size=3))
def test_paused_time_is_excluded_like_a_break(cal: Calendar, start, duration, gaps):
    pauses = [Span(start + offset, start + offset + length) for offset, length in gaps]
    deadline = cal.clock.add(start, duration, pauses)
    assert cal.clock.between(start, deadline, pauses) == duration
    assert deadline >= cal.clock.add(start, duration)
    latest_start = cal.clock.subtract(deadline, duration, pauses)  # counting back, same breaks
    assert start <= latest_start and cal.clock.between(latest_start, deadline, pauses) == duration


@bounded
@given(business, instants, durations, durations, durations)
def test_a_pause_equals_restarting_with_the_remaining_time(cal: Calendar, start, duration, a, b):
    # How a workflow composes them: at the pause keep what is left, at the resume add it back.
    paused, resumed = start + a, start + a + b
    used = cal.clock.between(start, paused)
    expected = (
        cal.clock.add(start, duration)
        if used >= duration
        else cal.clock.add(resumed, duration - used)
    )
    assert cal.clock.add(start, duration, [Span(paused, resumed)]) == expected


@bounded
@given(business, instants)
def test_zero_durations_are_due_at_once(cal: Calendar, instant):
    assert cal.clock.add(instant, timedelta(0)) == instant
    assert cal.clock.subtract(instant, timedelta(0)) == instant
    assert cal.clock.between(instant, instant) == timedelta(0)


# --- DST, odd offsets and year ends -----------------------------------------------------------

NIGHT = {"sun": ["01:00-04:00"]}


@pytest.mark.parametrize(
    ("zone", "sunday", "hours"),
    [
        ("America/New_York", date(2026, 3, 8), 2),  # 02:00 -> 03:00
        ("America/New_York", date(2026, 11, 1), 4),  # 02:00 -> 01:00
        ("Europe/Berlin", date(2026, 3, 29), 2),  # 02:00 -> 03:00
        ("Europe/Berlin", date(2026, 10, 25), 4),  # 03:00 -> 02:00
        ("Australia/Lord_Howe", date(2026, 10, 4), 2.5),  # 02:00 -> 02:30
        ("Australia/Lord_Howe", date(2026, 4, 5), 3.5),  # 02:00 -> 01:30
        ("Pacific/Chatham", date(2026, 9, 27), 2),  # 02:45 -> 03:45
        ("Pacific/Chatham", date(2026, 4, 5), 4),  # 03:45 -> 02:45
        ("Asia/Kathmandu", date(2026, 3, 29), 3),  # no DST
    ],
)
def test_dst_changes_the_real_length_of_a_night_shift(zone: str, sunday: date, hours: float):
    clock = calendar(zone, NIGHT).clock
    saturday, monday = sunday - timedelta(days=1), sunday + timedelta(days=1)
    night = clock.between(at(zone, *saturday.timetuple()[:3]), at(zone, *monday.timetuple()[:3]))
    assert night == timedelta(hours=hours)
    # The hour lost in spring comes back in autumn: 2026's 52 Sunday nights are 52 x 3 hours.
    year = clock.between(at(zone, 2026, 1, 1), at(zone, 2027, 1, 1))
    assert year == timedelta(hours=3 * 52)


def test_an_interval_that_opens_in_a_skipped_hour_opens_when_the_clocks_jump():
    clock = calendar("America/New_York", {"sun": ["02:30-05:00"]}).clock
    jump = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 02:00 EST becomes 03:00 EDT
    assert clock.next_open(datetime(2026, 3, 8, 5, 0, tzinfo=UTC)) == jump
    assert clock.add(jump, timedelta(hours=2)) == datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
    assert clock.next_open(jump + timedelta(hours=2)) == at("America/New_York", 2026, 3, 15, 2, 30)


def test_a_repeated_local_time_means_its_first_occurrence():
    zone, sunday = "America/New_York", (2026, 11, 1)
    first_0130 = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT; 06:30 UTC is 01:30 EST
    early = calendar(zone, {"sun": ["00:00-01:30"]}).clock
    assert early.between(at(zone, *sunday), at(zone, 2026, 11, 2)) == timedelta(hours=1.5)
    assert early.is_open(first_0130 - timedelta(minutes=1))
    assert not early.is_open(first_0130 + timedelta(minutes=30))  # 01:00 EST, the second pass
    late = calendar(zone, {"sun": ["01:30-05:00"]}).clock
    assert late.next_open(at(zone, *sunday)) == first_0130
    assert late.between(at(zone, *sunday), at(zone, 2026, 11, 2)) == timedelta(hours=4.5)


def test_counting_back_from_a_repeated_hour_after_midnight_finds_the_next_dates_hours():
    # America/Goose_Bay fell back from 00:01 to 23:01 the day before (last time in 2010).
    clock = calendar("America/Goose_Bay", {"sun": ["00:00-02:00"]}).clock
    opens = datetime(2009, 11, 1, 3, 0, tzinfo=UTC)  # Sunday 00:00, first occurrence (-03:00)
    repeated = datetime(2009, 11, 1, 3, 40, tzinfo=UTC)  # Saturday 23:39 again (-04:00)
    assert repeated.astimezone(load_zone("America/Goose_Bay")).date() == date(2009, 10, 31)
    assert clock.is_open(repeated)
    assert clock.subtract(repeated, timedelta(minutes=30)) == opens + timedelta(minutes=10)
    assert clock.between(opens, repeated) == timedelta(minutes=40)


def test_kathmandu_opens_at_a_quarter_past_three_utc():
    clock = OFFICES["Asia/Kathmandu"].clock
    assert clock.next_open(datetime(2026, 6, 1, 0, 0, tzinfo=UTC)) == datetime(
        2026, 6, 1, 3, 15, tzinfo=UTC
    )


def test_the_year_end_skips_new_years_day_and_its_observed_friday():
    zone = "America/New_York"
    clock = OFFICES[zone].clock
    assert clock.add(at(zone, 2026, 12, 31, 16), timedelta(hours=2)) == at(zone, 2027, 1, 4, 10)
    # New Year's Day 2028 is a Saturday, observed on Friday 31 December 2027.
    assert clock.add(at(zone, 2027, 12, 30, 16), timedelta(hours=2)) == at(zone, 2028, 1, 3, 10)


def test_chatham_enters_the_new_year_first_and_skips_its_holidays():
    zone = "Pacific/Chatham"
    clock = OFFICES[zone].clock
    # 2029-12-31 is a Monday; 1 and 2 January are New Zealand holidays.
    assert clock.add(at(zone, 2029, 12, 31, 16, 30), timedelta(hours=1)) == at(
        zone, 2030, 1, 3, 9, 30
    )


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        OFFICES["Europe/Berlin"].clock.add(datetime(2026, 1, 5, 9), timedelta(hours=1))


def test_an_overnight_shift_on_the_eve_of_a_holiday_stops_at_midnight():
    zone = "Europe/Berlin"
    clock = calendar(zone, {"thu": ["22:00-06:00"]}, dates=["2026-12-25"]).clock
    eve = at(zone, 2026, 12, 24, 22)
    assert clock.between(eve, at(zone, 2026, 12, 26, 0)) == timedelta(hours=2)


# --- Regressions named after the anchors' bugs -------------------------------------------------


def test_zammad_3180_a_24x7_calendar_is_open_through_midnight():
    zone = "Europe/Berlin"
    clock = ALWAYS[zone].clock
    midnight = at(zone, 2026, 6, 2, 0, 0)
    assert clock.is_open(midnight)
    assert clock.add(midnight - timedelta(seconds=30), timedelta(minutes=1)) == midnight + (
        timedelta(seconds=30)
    )
    week = clock.between(at(zone, 2026, 6, 1), at(zone, 2026, 6, 8))
    assert week == timedelta(days=7)


def test_zammad_390_a_holiday_feed_closes_only_the_dates_it_means(tmp_path):
    # Zammad: 48 business hours from 23:00 took 6 days, because a casual feed closed St. Martin's
    # and Volkstrauertag. Here the feed's observances can be ignored by name, and an all-day
    # event's DTEND is exclusive (the Company day closes the 20th only).
    feed = tmp_path / "de.ics"
    feed.write_text(
        ical(
            *(
                {"UID": name, "DTSTART;VALUE=DATE": start, "DTEND;VALUE=DATE": end, "SUMMARY": name}
                for start, end, name in [
                    ("20261111", "20261112", "St. Martin"),
                    ("20261115", "20261116", "Volkstrauertag"),
                    ("20261120", "20261121", "Company day"),
                ]
            ),
            {
                "UID": "cancelled",
                "DTSTART;VALUE=DATE": "20261118",
                "STATUS": "CANCELLED",
                "SUMMARY": "Cancelled closure",
            },
        )
    )
    zone, daily = "Europe/Berlin", {day: ["09:00-21:00"] for day in WEEK}
    opened = at(zone, 2026, 11, 9, 23)
    casual = calendar(zone, daily, ical=str(feed), years=[2026, 2026])
    assert casual.clock.add(opened, timedelta(hours=48)) == at(zone, 2026, 11, 14, 21)
    careful = calendar(
        zone, daily, ical=str(feed), years=[2026, 2026], ignore=["St. Martin", "Volkstrauertag"]
    )
    assert careful.clock.add(opened, timedelta(hours=48)) == at(zone, 2026, 11, 13, 21)
    assert [h.date for h in careful.holidays.resolved or []] == [date(2026, 11, 20)]
    assert careful.clock.is_open(at(zone, 2026, 11, 21, 9))
    # The holidays package knows Berlin's public holidays: neither observance is one.
    berlin = calendar(zone, daily, country="DE", subdivision="BE", years=[2026, 2026])
    assert berlin.clock.add(opened, timedelta(hours=48)) == at(zone, 2026, 11, 13, 21)


def test_zammad_4432_reminders_on_business_hours_never_come_at_night_or_at_weekends():
    zone = "Europe/Berlin"
    clock = OFFICES[zone].clock
    reminder, seen = at(zone, 2026, 12, 18, 15), []  # a Friday afternoon
    for _ in range(30):  # a 4-hour customer-update cadence, over the Christmas holidays
        reminder = clock.add(reminder, timedelta(hours=4))
        seen.append(reminder.astimezone(load_zone(zone)))
    assert seen[0] == at(zone, 2026, 12, 21, 11)  # Monday 11:00, not midnight or Saturday
    assert all(WEEK[t.weekday()] in WORKWEEK for t in seen)
    assert all(9 < t.hour + t.minute / 60 <= 17 for t in seen)
    assert not {t.date() for t in seen} & {date(2026, 12, 25), date(2026, 12, 26)}


def test_glpi_22678_a_deadline_that_ends_the_business_day_stays_on_that_day():
    zone = "America/New_York"
    clock = OFFICES[zone].clock
    monday = at(zone, 2026, 3, 2, 9)
    deadline = clock.add(monday, timedelta(hours=8))
    assert deadline == at(zone, 2026, 3, 2, 17)  # Monday 17:00, not Tuesday 09:00 or 00:00
    assert clock.subtract(deadline, timedelta(hours=1)) == at(zone, 2026, 3, 2, 16)
    # A deadline that rolled over: 1 business hour before Tuesday 10:00 is Tuesday 09:00,
    # 2 business hours before is Monday 16:00; never midnight.
    rolled = clock.add(monday, timedelta(hours=9))
    assert rolled == at(zone, 2026, 3, 3, 10)
    assert clock.subtract(rolled, timedelta(hours=1)) == at(zone, 2026, 3, 3, 9)
    assert clock.subtract(rolled, timedelta(hours=2)) == at(zone, 2026, 3, 2, 16)


# --- What people read --------------------------------------------------------------------------


def test_an_instant_is_shown_in_the_zone_with_its_name():
    instant = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    assert local_time(instant, "Europe/Berlin") == "Mon 09:00 Europe/Berlin"
    assert local_time(instant, "Asia/Kathmandu", with_date=True) == (
        "Mon 9 Mar 2026 13:45 Asia/Kathmandu"
    )


def test_time_left_is_told_in_the_clocks_own_hours():
    zone = "Europe/Berlin"
    clock = OFFICES[zone].clock
    friday = at(zone, 2026, 3, 6, 16)
    deadline = clock.add(friday, timedelta(hours=3))  # Monday 11:00
    assert relative(friday, deadline, clock) == "in 3 business hours"
    assert relative(friday, clock.add(friday, timedelta(minutes=150)), clock) == (
        "in 2 business hours 30 minutes"
    )
    assert relative(deadline, friday, clock) == "3 business hours ago"
    assert relative(friday, friday + timedelta(seconds=20), clock) == "now"
    assert relative(friday, friday + timedelta(hours=26), AROUND_THE_CLOCK) == "in 1 day 2 hours"
    assert relative(friday, friday + timedelta(minutes=1), AROUND_THE_CLOCK) == "in 1 minute"
