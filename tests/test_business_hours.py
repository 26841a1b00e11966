"""Done-when of issue 14 on the time-skipping server, with the shipped clocks (P3/P4 on New
York business hours): a P4 opened on Friday evening stays with L1 through the weekend and
breaches on Monday at 11:00, when Monday's hours have used up its 2-hour window."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest_asyncio
from sqlalchemy import Engine

from policy import load_policy
from tests.conftest import Service, time_skipping_service
from tests.helpers import eventually, sent, start, status

NEW_YORK = ZoneInfo("America/New_York")


@pytest_asyncio.fixture(loop_scope="session")
async def shipped(tmp_path: Path, sqlite_engine: Engine) -> AsyncIterator[Service]:
    policy = load_policy(time_scale=1)
    async with time_skipping_service(tmp_path, sqlite_engine, policy=policy) as running:
        yield running


def next_friday_evening(now: datetime) -> datetime:
    """18:00 New York time on the first Friday after now whose Monday is a working day."""
    support = load_policy(time_scale=1).clock(1, "P4")
    friday = now.astimezone(NEW_YORK).replace(hour=18, minute=0, second=0, microsecond=0)
    friday += timedelta(days=1)
    while friday.weekday() != 4 or not support.is_open(at_hour(friday, 3, 9)):
        friday += timedelta(days=1)
    return friday


def at_hour(day: datetime, days_later: int, hour: int) -> datetime:
    """A New York wall time some days later (days are not 24 hours across DST)."""
    later = day.date() + timedelta(days=days_later)
    return datetime(later.year, later.month, later.day, hour, tzinfo=NEW_YORK)


async def test_a_p4_opened_on_friday_evening_waits_for_mondays_business_hours(shipped: Service):
    friday = next_friday_evening(await shipped.env.get_current_time())
    await shipped.env.sleep(friday - await shipped.env.get_current_time())
    handle = await start(shipped, priority="P4", category="password_resets")
    monday_11 = at_hour(friday, 3, 11)
    record = await status(handle)
    assert record.deadlines.acknowledgment == monday_11
    assert record.deadline_clocks["acknowledgment"] == "support"

    await shipped.env.sleep(monday_11 - timedelta(minutes=1) - await shipped.env.get_current_time())
    record = await status(handle)
    assert (record.level, record.breaches, record.handoffs) == (1, [], [])
    assert sent(record, "realert") == [] and sent(record, "sla_breach") == []

    await shipped.env.sleep(timedelta(minutes=2))
    record = await eventually(handle, lambda r: r.level == 2)
    [breach] = record.breaches
    assert (breach.metric, breach.due) == ("acknowledgment", monday_11)
    assert [h.to_level for h in record.handoffs] == [2]
