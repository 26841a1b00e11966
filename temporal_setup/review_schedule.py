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


async def ensure_review_schedule(client: Client, time_zone: str) -> bool:
    """Create the weekly schedule unless it exists; True when this call created it.

    Monday 08:00 in time_zone (the team's, `policy.team_zone`): Temporal reads the cron in that
    zone, so the review keeps its local hour across daylight saving time. An existing schedule
    is left as it is (delete it to move it to another zone)."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            REVIEW_WORKFLOW_TYPE,
            ReviewRequest(),
            id="escalation-review",
            task_queue=task_queue(),
        ),
        spec=ScheduleSpec(cron_expressions=[REVIEW_CRON], time_zone_name=time_zone),
    )
    try:
        await client.create_schedule(REVIEW_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
