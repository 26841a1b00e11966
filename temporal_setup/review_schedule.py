"""The weekly escalation review's Schedule: created by `starter init` and by the worker."""

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleSpec,
)

from contract import task_queue
from contract.review import REVIEW_CRON, REVIEW_SCHEDULE_ID, REVIEW_WORKFLOW_TYPE, ReviewRequest


async def ensure_review_schedule(client: Client) -> bool:
    """Create the weekly schedule unless it exists; True when this call created it."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            REVIEW_WORKFLOW_TYPE,
            ReviewRequest(),
            id="escalation-review",
            task_queue=task_queue(),
        ),
        spec=ScheduleSpec(cron_expressions=[REVIEW_CRON]),
    )
    try:
        await client.create_schedule(REVIEW_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
