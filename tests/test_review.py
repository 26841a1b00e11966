"""The weekly escalation review on the dev server: `init` creates its Schedule once, and
`review --now` builds the report, records it and emails it to the managers."""

import contextlib
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from temporalio.service import RPCError

from activities.review import review_recipients
from calendars.formatting import local_time
from contract.review import REVIEW_SCHEDULE_ID, REVIEW_WORKFLOW_TYPE
from store.schema import events, reviews
from tests.conftest import Service
from tests.helpers import eventually, start, stored
from tests.test_cli import cli, cli_service  # noqa: F401 - cli_service is a fixture


@pytest.fixture
def review_service(
    cli_service: Service,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Service]:
    url = cli_service.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    yield cli_service


async def test_init_creates_the_weekly_schedule_once(
    review_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = review_service.client.get_schedule_handle(REVIEW_SCHEDULE_ID)
    # The shared dev server may hold it already: the API tests' worker process creates it too.
    with contextlib.suppress(RPCError):
        await handle.delete()
    try:
        first = await cli(capsys, "init")
        second = await cli(capsys, "init")
        assert (first.code, second.code) == (0, 0)
        assert f"schedule {REVIEW_SCHEDULE_ID} created" in first.out
        assert f"schedule {REVIEW_SCHEDULE_ID} already exists" in second.out
        description = await handle.describe()
        action = description.schedule.action
        assert (action.workflow, action.task_queue) == (
            REVIEW_WORKFLOW_TYPE,
            review_service.task_queue,
        )
        # Monday 08:00 in the team's zone (the shipped calendar's New York), across DST.
        assert description.schedule.spec.time_zone_name == "America/New_York"
        runs = description.info.next_action_times
        local = [t.astimezone(ZoneInfo("America/New_York")) for t in runs]
        assert runs and all((t.weekday(), t.hour, t.minute) == (0, 8, 0) for t in local)
        shown = await cli(capsys, "review")
        assert local_time(runs[0], "America/New_York", with_date=True) in shown.out
    finally:
        with contextlib.suppress(RPCError):
            await handle.delete()


async def test_review_now_records_the_report_and_emails_each_manager(
    review_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = await start(review_service, priority="P3", category="performance_issues")
    await handle.signal("escalate", {"by": "sam", "reason": "beyond_expertise"})
    record = await eventually(handle, lambda r: r.level == 3)
    await stored(review_service.engine, events, record.ticket_id, lambda r: len(r) >= 3)
    result = await cli(capsys, "review", "--now", "--days", "1")
    assert result.code == 0, result.err
    review_id = result.out.split(":", 1)[0]
    assert "Weekly escalation review" in result.out and "escalation rate" in result.out
    with review_service.engine.connect() as connection:
        row = connection.execute(select(reviews).where(reviews.c.review_id == review_id)).one()
    assert row.report["tickets"] >= 1 and row.report["escalations"]["tickets"] >= 1
    emails = [r for r in review_service.outbox.read("notifications") if r["ticket_id"] == review_id]
    # the session's worker started without REVIEW_RECIPIENTS: the default address
    assert [r["recipient"] for r in emails] == ["support-managers@support.example.com"]
    assert {r["kind"] for r in emails} == {"weekly_review"}


def test_review_recipients_come_from_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REVIEW_RECIPIENTS", " ops-lead@example.com,, cs-manager@example.com ")
    assert review_recipients() == ["ops-lead@example.com", "cs-manager@example.com"]
