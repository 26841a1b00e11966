"""Where breach -> page went, read from a sample of ticket histories (no worker needed)."""

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

SPLIT_SAMPLE = 100  # histories read per run
Gather = Callable[[list[Any]], Awaitable[list[Any]]]


def _seconds(stamp: Any) -> float:
    return stamp.seconds + stamp.nanos / 1e9


async def timer_split(
    client: Client, deadlines: dict[str, float], gather: Gather
) -> dict[str, list[float]]:
    """From a sample of histories (no worker needed), where the time between deadline and page
    went: the timer is a duration computed at workflow.now() (the task's start) but started
    when the task completes, so a slow intake task sets it late; then the server fires it;
    then the workflow task waits for the worker. The rest, to the page, is the worker's."""

    async def one(ticket_id: str) -> tuple[float, ...] | None:
        events = (await client.get_workflow_handle(f"ticket-{ticket_id}").fetch_history()).events
        fired = next((e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED), None)
        if fired is None:
            return None
        by_id = {e.event_id: e for e in events}
        timer = by_id[fired.timer_fired_event_attributes.started_event_id]
        set_for = _seconds(timer.event_time) + _seconds(
            timer.timer_started_event_attributes.start_to_fire_timeout
        )
        picked = next(
            e
            for e in events
            if e.event_id > fired.event_id
            and e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
        )
        # The breach's first activity is its dashboard page (the alert precedes the handoff).
        scheduled = next(
            e
            for e in events
            if e.event_id > picked.event_id
            and e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        )
        began = next(
            e
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
            and e.activity_task_started_event_attributes.scheduled_event_id == scheduled.event_id
        )
        fired_at, picked_at = _seconds(fired.event_time), _seconds(picked.event_time)
        scheduled_at = _seconds(scheduled.event_time)
        return (
            set_for - deadlines[ticket_id],
            fired_at - set_for,
            picked_at - fired_at,
            scheduled_at - picked_at,
            _seconds(began.event_time) - scheduled_at,
        )

    sample = list(deadlines)[:: max(1, len(deadlines) // SPLIT_SAMPLE)]
    found = [split for split in await gather([one(t) for t in sample]) if split]
    names = (
        "timer_set_late_seconds",
        "timer_fired_after_set_seconds",
        "task_queued_for_worker_seconds",
        "workflow_task_seconds",  # the worker ran the breach's workflow task
        "activity_queued_seconds",  # the page's activity waited for an activity slot
    )
    return {name: [split[index] for split in found] for index, name in enumerate(names)}
