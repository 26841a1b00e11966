"""History cost of one lifecycle: events (by type) and bytes, as the server accounts them."""

from collections import Counter
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

# What the baseline must match, per lifecycle; a drift here would make the ratio meaningless.
MATCHED_EVENTS = {
    "updates": "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
    "timers": "TIMER_STARTED",
    "activities": "ACTIVITY_TASK_SCHEDULED",
    "local_activities": "MARKER_RECORDED",
}


async def history_cost(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    history = await handle.fetch_history()
    by_type: Counter[str] = Counter()
    bytes_by_type: Counter[str] = Counter()
    for event in history.events:
        name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        by_type[name] += 1
        bytes_by_type[name] += event.ByteSize()  # where the bytes are: payloads, mostly
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
