"""Calendars in the policy: validation naming the field, holidays expanded once at load, the
clock each ticket runs on, and zones read from the pinned tzdata."""

import subprocess
import sys
import uuid
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import tzdata
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from calendars import AROUND_THE_CLOCK, TZDATA_VERSION, load_zone
from calendars.zones import UnknownZoneError
from policy import PolicyError, load_policy
from policy.loader import DEFAULT_POLICY_FILE
from policy.models import EscalationPolicy
from tests.calendar_cases import ical
from tests.clock_probe import ClockProbeInput, ClockProbeWorkflow
from tests.conftest import VENV_BIN
from tests.test_policy import _broken

ROOT = Path(__file__).resolve().parents[1]
WEEK_HOURS = (
    'hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], '
    'thu = ["09:00-17:00"], fri = ["09:00-17:00"] }'
)
SHIPPED_CALENDAR = (
    '[calendars.support]\nname = "Support team business hours"\ntimezone = "America/New_York"\n'
    f'{WEEK_HOURS}\nholidays = {{ country = "US", years = [2026, 2030] }}\n'
)


def _calendar(tmp_path: Path, calendar: str, clocks: str | None = None) -> Path:
    path = _broken(tmp_path, SHIPPED_CALENDAR, calendar)
    if clocks is not None:
        text = path.read_text().replace(
            'priorities = { P1 = "24x7", P2 = "24x7", P3 = "support", P4 = "support" }', clocks
        )
        path.write_text(text)
    return path


def test_the_shipped_policy_runs_urgent_tickets_around_the_clock_and_the_rest_on_office_hours():
    policy = load_policy(DEFAULT_POLICY_FILE, time_scale=1)
    assert policy.clock(3, "P1") is AROUND_THE_CLOCK and policy.clock(1, "P2") is AROUND_THE_CLOCK
    office = policy.calendars["support"].clock
    assert policy.clock(1, "P3") is office and policy.clock(4, "P4") is office
    holidays = {h.date: h.name for h in policy.calendars["support"].holidays.resolved or []}
    assert holidays[date(2026, 11, 26)] == "Thanksgiving Day"
    assert max(holidays).year == 2030


def test_the_p4_friday_evening_ticket_waits_for_monday():
    policy = load_policy(DEFAULT_POLICY_FILE, time_scale=1)
    friday_evening = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)  # 18:00 in New York
    clock = policy.clock(1, "P4")
    acknowledge_by = clock.add(friday_evening, policy.levels[1].acknowledge_within)
    assert acknowledge_by == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # Monday 11:00 EDT


def test_a_level_with_its_own_calendar_holds_business_tickets_to_its_hours(tmp_path: Path):
    night = SHIPPED_CALENDAR + (
        '[calendars.engineering]\nname = "Engineering"\ntimezone = "Europe/Berlin"\n'
        'hours = { mon = ["08:00-16:00"] }\n'
    )
    clocks = 'priorities = { P3 = "support", P4 = "support" }\nlevels = { 4 = "engineering" }'
    policy = load_policy(_calendar(tmp_path, night, clocks), time_scale=1)
    assert policy.clock(4, "P3") is policy.calendars["engineering"].clock
    assert policy.clock(3, "P3") is policy.calendars["support"].clock
    assert policy.clock(4, "P1") is AROUND_THE_CLOCK  # a priority left out runs 24x7


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (
            'timezone = "America/New_York"',
            'timezone = "America/Nowhere"',
            "calendars.support.timezone",
        ),
        ('mon = ["09:00-17:00"]', 'mon = ["9-5"]', "calendars.support.hours.mon.0"),
        (
            'mon = ["09:00-17:00"]',
            'mon = ["09:00-17:00", "12:00-13:00"]',
            "calendars.support.hours",
        ),
        (
            'fri = ["09:00-17:00"]',
            'fri = ["22:00-10:00"], sat = ["09:00-12:00"]',
            "sat: sat 09:00-12:00 overlaps fri 22:00-10:00",
        ),
        ('country = "US"', 'country = "XX"', "calendars.support.holidays"),
        ('country = "US"', 'country = "US", subdivision = "ZZ"', "subdivision"),
        ('country = "US"', 'subdivision = "NY"', "subdivision needs a country"),
        (", years = [2026, 2030]", "", "years: required"),
        ("years = [2026, 2030]", "years = [2030, 2026]", "years"),
        ('country = "US"', 'ical = "missing.ics"', "ical: cannot read"),
        ('country = "US"', 'country = "US", resolved = []', "resolved"),
        ('P3 = "support"', 'P3 = "suport"', "clocks.priorities.P3: unknown calendar 'suport'"),
        ("[calendars.support]", "[calendars.24x7]", "calendars.24x7: reserved"),
    ],
)
def test_a_bad_calendar_is_refused_naming_the_field(tmp_path: Path, old: str, new: str, field: str):
    with pytest.raises(PolicyError) as refusal:
        load_policy(_broken(tmp_path, old, new), time_scale=1)
    assert field in str(refusal.value)


def test_an_empty_week_is_refused_only_for_a_calendar_in_use(tmp_path: Path):
    empty = SHIPPED_CALENDAR.replace(WEEK_HOURS, "hours = {}")
    with pytest.raises(PolicyError, match=r"calendars\.support\.hours: no business hours"):
        load_policy(_calendar(tmp_path, empty), time_scale=1)
    unused = 'priorities = { P1 = "24x7", P2 = "24x7", P3 = "24x7", P4 = "24x7" }'
    assert load_policy(_calendar(tmp_path, empty, unused), time_scale=1).calendars["support"]


def _with_feed(tmp_path: Path, event: dict[str, str], also: str = "") -> Path:
    """The shipped policy with its support calendar's holidays from a one-event iCal file."""
    (tmp_path / "closures.ics").write_text(ical({"UID": "1", **event}))
    return _broken(tmp_path, 'country = "US"', f'ical = "closures.ics"{also}')


def test_a_timed_ical_event_is_refused(tmp_path: Path):
    timed = {"DTSTART": "20261224T120000Z", "DTEND": "20261224T170000Z", "SUMMARY": "Half day"}
    with pytest.raises(PolicyError, match="'Half day' on 2026-12-24 is not an all-day event"):
        load_policy(_with_feed(tmp_path, timed), time_scale=1)


def test_an_ical_file_is_read_next_to_the_policy_file(tmp_path: Path):
    yearly = {"DTSTART;VALUE=DATE": "20261224", "RRULE": "FREQ=YEARLY", "SUMMARY": "Christmas Eve"}
    path = _with_feed(tmp_path, yearly, ", dates = [2027-07-05]")
    resolved = load_policy(path, time_scale=1).calendars["support"].holidays.resolved or []
    assert [h.date for h in resolved] == [
        date(2026, 12, 24),
        date(2027, 7, 5),
        date(2027, 12, 24),
        date(2028, 12, 24),
        date(2029, 12, 24),
        date(2030, 12, 24),
    ]


def test_the_loaded_policy_carries_its_holidays_as_data_and_never_looks_them_up_again():
    """Decoding the policy (what a workflow does with its payload) imports no holiday library
    and yields the same dates and deadlines."""
    script = (
        "import sys\n"
        "from datetime import datetime, timedelta, UTC\n"
        "from policy.models import EscalationPolicy\n"
        "policy = EscalationPolicy.model_validate_json(sys.stdin.read())\n"
        "assert not {'holidays', 'icalendar', 'recurring_ical_events'} & set(sys.modules)\n"
        "start = datetime(2026, 11, 25, 20, tzinfo=UTC)\n"
        "print(policy.clock(1, 'P4').add(start, timedelta(hours=4)).isoformat())\n"
    )
    loaded = load_policy(DEFAULT_POLICY_FILE, time_scale=1)
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=loaded.model_dump_json(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    # Wednesday 15:00 EST + 4 business hours: 2 on Wednesday, Thanksgiving, then Friday 11:00.
    assert result.stdout.strip() == "2026-11-27T16:00:00+00:00"
    decoded = EscalationPolicy.model_validate_json(loaded.model_dump_json())
    assert decoded.calendars == loaded.calendars


def test_time_scaling_keeps_the_calendars_and_runs_every_clock_around_the_clock():
    # Calendars keep real hours: a scaled window of seconds would otherwise wait for Monday.
    policy = load_policy(DEFAULT_POLICY_FILE, time_scale=3600)
    assert policy.calendars == load_policy(DEFAULT_POLICY_FILE, time_scale=1).calendars
    assert {policy.clocks.calendar_for(1, p) for p in ("P1", "P2", "P3", "P4")} == {"24x7"}
    assert policy.team_zone == "America/New_York"


def test_zones_come_from_the_pinned_tzdata_not_the_hosts_database(tmp_path: Path):
    # A host database whose Europe/Berlin is really Tokyo: ZoneInfo(key) would believe it.
    tokyo = Path(tzdata.__file__).parent / "zoneinfo" / "Asia" / "Tokyo"
    (tmp_path / "Europe").mkdir()
    (tmp_path / "Europe" / "Berlin").write_bytes(tokyo.read_bytes())
    zoneinfo.reset_tzpath([str(tmp_path)])
    try:
        noon = datetime(2026, 1, 15, 12, tzinfo=UTC)
        assert noon.astimezone(zoneinfo.ZoneInfo.no_cache("Europe/Berlin")).hour == 21
        assert noon.astimezone(load_zone("Europe/Berlin")).hour == 13
    finally:
        zoneinfo.reset_tzpath()
    assert TZDATA_VERSION == tzdata.IANA_VERSION


@pytest.mark.parametrize("key", ["Europe/Berln", "../../etc/passwd", "", "Europe/"])
def test_an_unknown_or_path_like_zone_is_refused(key: str):
    with pytest.raises(UnknownZoneError):
        load_zone(key)


async def test_a_workflow_computes_business_deadlines_from_the_policy_in_its_payload():
    policy = load_policy(DEFAULT_POLICY_FILE, time_scale=1)
    probe = ClockProbeInput(policy=policy, level=1, priority="P4", window=timedelta(hours=2))
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(VENV_BIN / "temporal-test-server"),
    ) as env:
        queue = f"tq-{uuid.uuid4()}"
        async with Worker(env.client, task_queue=queue, workflows=[ClockProbeWorkflow]):
            result = await env.client.execute_workflow(
                ClockProbeWorkflow.run, probe, id=f"probe-{uuid.uuid4()}", task_queue=queue
            )
    assert result.due == policy.clock(1, "P4").add(result.now, timedelta(hours=2))
    assert policy.clock(1, "P4").between(result.now, result.due) == timedelta(hours=2)


def test_the_documented_calendar_example_loads(tmp_path: Path):
    docs = (ROOT / "docs" / "calendars.md").read_text()
    example = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    shipped = DEFAULT_POLICY_FILE.read_text()
    start = shipped.index(SHIPPED_CALENDAR)
    end = shipped.index("\n", shipped.index("[clocks]\npriorities") + len("[clocks]\n"))
    (tmp_path / "policy.toml").write_text(shipped[:start] + shipped[end:] + "\n" + example)
    closure = {"DTSTART;VALUE=DATE": "20270104", "SUMMARY": "Inventory"}
    (tmp_path / "company-closures.ics").write_text(ical({"UID": "1", **closure}))
    policy = load_policy(tmp_path / "policy.toml", time_scale=1)
    engineering = policy.calendars["engineering"]
    closed = {h.date: h.name for h in engineering.holidays.resolved or []}
    assert closed[date(2027, 1, 4)] == "Inventory" and date(2026, 12, 24) in closed
    assert date(2026, 3, 8) not in closed  # Women's Day, ignored
    assert policy.clock(4, "P3") is engineering.clock
    friday_night = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)  # Saturday 00:00 in Berlin
    assert engineering.clock.is_open(friday_night)
