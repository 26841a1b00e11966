"""History cost of one lifecycle: events (by type) and bytes, as the server accounts them."""

from collections import Counter
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

LOCAL_ACTIVITY_MARKER = "core_local_activity"  # the SDK core's name for a local activity's marker
# What the baseline must match, per lifecycle; a drift here would make the ratio meaningless.
MATCHED_EVENTS = {
    "updates": "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
    "timers": "TIMER_STARTED",
    "activities": "ACTIVITY_TASK_SCHEDULED",
    "local_activities": "LOCAL_ACTIVITY_MARKER",
}


async def history_cost(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    history = await handle.fetch_history()
    by_type: Counter[str] = Counter()
    bytes_by_type: Counter[str] = Counter()
    for event in history.events:
        name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        by_type[name] += 1
        bytes_by_type[name] += event.ByteSize()  # where the bytes are: payloads, mostly
        if event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER:
            by_type["LOCAL_ACTIVITY_MARKER"] += 1  # not a patch's marker (workflow.patched)
    info = (await handle.describe()).raw_description.workflow_execution_info
    return {
        "events": len(history.events),
        "history_bytes": info.history_size_bytes,
        "workflow_tasks": by_type["WORKFLOW_TASK_COMPLETED"],
        **{name: by_type[event] for name, event in MATCHED_EVENTS.items()},
        "search_attribute_upserts": by_type["UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"],
        "activities_by_action": activities_per_action(history.events),
        "by_type": dict(sorted(by_type.items())),
        "bytes_by_type": dict(bytes_by_type.most_common()),
    }


def activities_per_action(events: Any) -> dict[str, int]:
    """Activities a lifecycle scheduled after each update (`open` before the first): what the
    baseline repeats, so that both run the same number."""
    counts: Counter[str] = Counter()
    action = "open"
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            accepted = event.workflow_execution_update_accepted_event_attributes
            action = accepted.accepted_request.input.name
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            counts[action] += 1
    return dict(counts)


def mismatches(ours: dict[str, Any], minimal: dict[str, Any]) -> list[str]:
    """Where the baseline's lifecycle does not have the ticket's counts."""
    return [
        f"{name}: ours {ours[name]}, minimal {minimal[name]}"
        for name in MATCHED_EVENTS
        if ours[name] != minimal[name]
    ]


def activity_input_bytes(events: Any) -> dict[str, int]:
    """Bytes of activity inputs by activity type: which effects carry the history's weight."""
    sizes: Counter[str] = Counter()
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            sizes[scheduled.activity_type.name] += scheduled.input.ByteSize()
    return dict(sizes.most_common())


async def _one_lifecycle() -> dict[str, Any]:
    # Imported here: the bench's lifecycle and processes need the cost functions above.
    import tempfile
    from pathlib import Path

    from bench.lifecycle import COST_STEPS, FOLLOW_UP_SECONDS, bench_ticket, run_lifecycle
    from bench.processes import worker_process
    from bench.server import dev_server, target_of
    from bench.worker_process import Tuning
    from contract import WORKFLOW_TYPE

    with tempfile.TemporaryDirectory(prefix="bench-cost-") as scratch:
        async with dev_server() as env:
            target = target_of(env)
            async with worker_process(
                target,
                "bench-cost",
                "ticket",
                Tuning(),
                Path(scratch),
                follow_up_seconds=FOLLOW_UP_SECONDS,
            ):
                handle = await run_lifecycle(
                    env.client,
                    WORKFLOW_TYPE,
                    bench_ticket("cost"),
                    "bench-cost",
                    COST_STEPS,
                    until_ended=True,
                )
                cost = await history_cost(handle)
                history = await handle.fetch_history()
    return cost | {"activity_input_bytes": activity_input_bytes(history.events)}


if __name__ == "__main__":
    # The cheapest look at a P3 lifecycle's history (about 15 s): `python -m bench.cost`.
    import asyncio
    import json

    print(json.dumps(asyncio.run(_one_lifecycle()), indent=2))
