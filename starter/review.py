"""The weekly review's Schedule (created by `init`) and on-demand runs (`review --now`)."""

from datetime import UTC, datetime

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleSpec,
)

from activities.review import Review
from contract import task_queue
from contract.review import (
    REVIEW_CRON,
    REVIEW_SCHEDULE_ID,
    REVIEW_WORKFLOW_TYPE,
    ReviewRequest,
)


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


async def review_now(client: Client, days: int) -> Review:
    review_id = f"escalation-review-now-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    return await client.execute_workflow(
        REVIEW_WORKFLOW_TYPE,
        ReviewRequest(days=days),
        id=review_id,
        task_queue=task_queue(),
        result_type=Review,
    )
