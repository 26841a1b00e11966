"""EscalationReviewWorkflow: the procedure's weekly review of escalation patterns."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.review import Review, ReviewActivities, ReviewPeriod
    from contract.review import REVIEW_WORKFLOW_TYPE, ReviewRequest

RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5))


@workflow.defn(name=REVIEW_WORKFLOW_TYPE)
class EscalationReviewWorkflow:
    @workflow.run
    async def run(self, request: ReviewRequest) -> Review:
        until = workflow.now()
        period = ReviewPeriod(
            # Unique per scheduled or on-demand run, and the same on every retry of it.
            review_id=workflow.info().workflow_id,
            since=until - timedelta(days=request.days),
            until=until,
        )
        review = await workflow.execute_activity_method(
            ReviewActivities.record_review,
            period,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
            summary=f"Report of the last {request.days} days",
        )
        await workflow.execute_activity_method(
            ReviewActivities.email_review,
            review,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=RETRY,
            summary="Email the managers",
        )
        return review
