"""A ticket open for 90 days (issue 10, item 5) on the time-skipping server, shipped policy: a P2
at L4 whose customer writes every 3 days, L4 missing the reply hour and re-alerted hourly until
it answers, then working on it for 40 h (status updates to the customer every 4 h), then waiting
25 h on the customer (no updates). About 250 history events every 3 days of ticket time.

The time-skipping server suggests continue-as-new at its default threshold (4,096 events, as a
production server does), so the ticket continues as new by itself about every 7 weeks; across each
boundary no clock and no delivery may be lost.

Every signal lands at least 30 min of ticket time away from any deadline: the time-skipping server
strands a run whose workflow task cancels a timer that fired while the task ran ("invalid history
builder state for action", temporalio/sdk-java#3088), which a signal landing on a deadline does."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from temporalio.api.history.v1 import History

from contract.status import TicketRecord, TimelineEntry
from starter.client.tickets import TicketHandle
from tests.conftest import Service, time_skipping_service
from tests.helpers import eventually, settled, start, status
from tests.test_continue_as_new import run_chain

CYCLES = 30  # of 3 days: 90 days
UNANSWERED = timedelta(hours=6, minutes=30)  # the customer's message waits this long for L4
WORKING = timedelta(hours=40, minutes=30)  # then L4 works on it, the customer updated every 4 h
WAITING = timedelta(hours=25)  # then L4 waits for the customer
GUARD = timedelta(minutes=10)  # no deadline this close to a signal (see the module's doc)
REALERTS_PER_CYCLE = 6  # reply due at 1 h, missed: re-alerts at 1, 2, ..., 6 h
UPDATES_PER_CYCLE = 11  # one before the answer at 6.5 h, then 10.5 h, 14.5 h, ..., 46.5 h
SUGGESTED_AT = 4_096  # events: the server's continue-as-new suggestion
SETTLING = 200  # events a run may add between the suggestion and continuing as new


async def send(
    service: Service, handle: TicketHandle, name: str, payload: dict[str, object]
) -> None:
    now = await service.env.get_current_time()
    due = [d for _name, d in (await status(handle)).deadlines if d is not None]
    assert all(abs(d - now) > GUARD for d in due), f"{name} at {now} lands on a deadline {due}"
    await handle.signal(name, payload)


async def ninety_days(service: Service) -> TicketHandle:
    handle = await start(
        service,
        priority="P2",
        category="system_architecture_problems",
        subject="Nightly export takes longer",  # no critical keyword: it stays a P2
        description="The export job takes a little longer every night.",
    )
    await eventually(handle, settled)
    for cycle in range(CYCLES):
        await send(service, handle, "customer_message", {"message": f"Day {3 * cycle}: slower"})
        await service.env.sleep(UNANSWERED)
        await send(service, handle, "acknowledge", {"agent": "eng"})
        await send(service, handle, "respond", {"agent": "eng", "message": "Profiling it"})
        await service.env.sleep(WORKING)
        waiting = {"agent": "eng", "message": "Please send the logs", "awaiting_customer": True}
        await send(service, handle, "respond", waiting)
        await service.env.sleep(WAITING)
    return handle


def gaps(timeline: list[TimelineEntry], event: str, restarted_by: set[str]) -> set[int]:
    """Minutes between consecutive `event` entries not separated by one that restarts its clock
    (to the minute: the server fires a timer a few milliseconds after its instant)."""
    found, previous = set(), None
    for entry in timeline:
        if entry.event in restarted_by:
            previous = None
        elif entry.event == event:
            if previous is not None:
                found.add(round((entry.at - previous) / timedelta(minutes=1)))
            previous = entry.at
    return found


def count(record: TicketRecord, event: str) -> int:
    return sum(entry.event == event for entry in record.timeline)


async def test_a_ticket_open_90_days_continues_as_new_and_loses_no_clock_or_delivery(
    tmp_path, sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]
):
    async with time_skipping_service(tmp_path, sqlite_engine) as service:
        handle = await ninety_days(service)
        record = await eventually(handle, settled)
        assert handle.first_execution_run_id is not None
        runs = await run_chain(service, handle.id, handle.first_execution_run_id)
        lived = await service.env.get_current_time() - record.opened_at
        outbox = sorted(str(line["id"]) for line in service.outbox.read("notifications"))
    sizes = [(len(run.events), History(events=run.events).ByteSize()) for _, run in runs]
    with capsys.disabled():
        print(
            f"\n90-day ticket: {len(runs)} runs, (events, bytes) per run: {sizes}; record "
            f"carried: {len(record.timeline)} timeline entries, {len(record.notifications)} "
            f"notifications, {len(record.model_dump_json()):,} bytes of JSON"
        )
    assert lived >= timedelta(days=3 * CYCLES)
    assert (record.priority, record.level, record.state) == ("P2", 4, "awaiting_customer")
    # Bounded: every run continued as new near the server's suggestion.
    assert len(runs) >= 2
    assert all(events <= SUGGESTED_AT + SETTLING for events, _ in sizes)
    # No clock lost at a boundary: each ran on time, every time.
    assert gaps(record.timeline, "status_update", {"responded", "paused", "resumed"}) == {240}
    assert gaps(record.timeline, "realerted", {"acknowledged"}) == {60}
    assert count(record, "realerted") == REALERTS_PER_CYCLE * CYCLES
    assert count(record, "status_update") == UPDATES_PER_CYCLE * CYCLES
    assert count(record, "paused") == CYCLES and count(record, "resumed") == CYCLES - 1
    # No delivery lost: each has its outcome, and every email reached the outbox.
    assert all(n.status != "pending" for n in record.notifications)
    assert outbox == sorted(n.notification_id for n in record.notifications if n.channel == "email")
