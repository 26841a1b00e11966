"""What operators read in the Temporal UI and filter on: timer and activity summaries in the
history, and the NextDeadline search attribute following the earliest running deadline."""

import asyncio
from datetime import datetime

from temporalio.api.history.v1 import HistoryEvent

from contract import search_attributes as sa
from contract.status import TicketRecord
from starter.client.tickets import TicketHandle, act
from tests.conftest import Service
from tests.helpers import eventually, start, status


def summaries(service: Service, events: list[HistoryEvent], kind: str) -> list[str]:
    converter = service.client.data_converter.payload_converter
    return [
        converter.from_payload(event.user_metadata.summary, str)
        for event in events
        if event.HasField(kind) and event.user_metadata.HasField("summary")
    ]


def earliest(record: TicketRecord) -> datetime | None:
    running = [due for _, due in record.deadlines if due is not None]
    return min(running) if running else None


async def indexed_next_deadline(handle: TicketHandle, expected: datetime | None) -> datetime | None:
    """NextDeadline as visibility reports it, once it matches (visibility lags a little)."""
    value = None
    for _ in range(100):
        description = await handle.describe()
        value = description.typed_search_attributes.get(sa.NEXT_DEADLINE)
        if value == expected:
            break
        await asyncio.sleep(0.05)
    return value


async def test_timers_and_activities_are_named_for_operators(dev_service: Service) -> None:
    handle = await start(dev_service, priority="P1", category="system_outages")
    await eventually(handle, lambda r: all(n.status != "pending" for n in r.notifications))
    events = [event async for event in handle.fetch_history_events()]

    timers = summaries(dev_service, events, "timer_started_event_attributes")
    scheduled = summaries(dev_service, events, "activity_task_scheduled_event_attributes")
    # A workflow task's messages share one activity, whose summary names each of them.
    activities = [part for summary in scheduled for part in summary.split("; ")]
    assert "L4 response SLA" in timers, timers
    assert "Phone call to L4 on-call: new_ticket" in activities, activities
    assert "Email to customer: acknowledgment" in activities, activities


async def test_next_deadline_follows_the_earliest_running_deadline(dev_service: Service) -> None:
    handle = await start(dev_service, priority="P4", category="password_resets")
    record = await status(handle)
    assert record.deadlines.acknowledgment == earliest(record)  # L1: 2h to acknowledge
    assert await indexed_next_deadline(handle, earliest(record)) == earliest(record)

    ticket_id = record.ticket_id
    await act(dev_service.client, ticket_id, "resolve", {"by": "sam", "resolution": "done"})
    record = await status(handle)
    assert record.deadlines.close == earliest(record)  # only the follow-up window runs
    assert await indexed_next_deadline(handle, earliest(record)) == earliest(record)

    await act(dev_service.client, ticket_id, "survey_response", {"score": 5})
    record = await status(handle)
    # closed by the survey: only the end of the window in which a reply still reopens it is due
    assert record.deadlines.close == earliest(record)
    assert await indexed_next_deadline(handle, earliest(record)) == earliest(record)
