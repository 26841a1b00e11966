"""Why a ticket has no record to show: its workflow ended abnormally (failed, terminated...).

A failed ticket (e.g. a category the policy does not know) never finished intake, so its
`status` query would keep answering "still opening"; the close event says what happened."""

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowExecutionStatus, WorkflowHistoryEventFilterType

from starter.client.tickets import TicketHandle

ABNORMAL = (
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.CANCELED,
    WorkflowExecutionStatus.TIMED_OUT,
)


async def abnormal_end(handle: TicketHandle) -> str | None:
    """'failed: <message>' for a ticket that ended without a record, else None."""
    description = await handle.describe()
    if description.status not in ABNORMAL:
        return None
    status = description.status.name.lower()
    async for event in handle.fetch_history_events(
        event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT
    ):
        reason = close_reason(event)
        if reason:
            return f"{status}: {reason}"
    return status


def close_reason(event: HistoryEvent) -> str | None:
    if event.HasField("workflow_execution_failed_event_attributes"):
        return event.workflow_execution_failed_event_attributes.failure.message
    if event.HasField("workflow_execution_terminated_event_attributes"):
        return event.workflow_execution_terminated_event_attributes.reason or None
    return None
