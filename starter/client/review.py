"""`review --now`: run the weekly escalation review at once (the Schedule is temporal_setup's)."""

from datetime import UTC, datetime

from temporalio.client import Client

from activities.review import Review
from contract import task_queue
from contract.review import REVIEW_WORKFLOW_TYPE, ReviewRequest


async def review_now(client: Client, days: int) -> Review:
    review_id = f"escalation-review-now-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    return await client.execute_workflow(
        REVIEW_WORKFLOW_TYPE,
        ReviewRequest(days=days),
        id=review_id,
        task_queue=task_queue(),
        result_type=Review,
    )
