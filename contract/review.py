"""The weekly escalation review: a Temporal Schedule starts EscalationReviewWorkflow."""

from pydantic import BaseModel, Field

REVIEW_WORKFLOW_TYPE = "EscalationReviewWorkflow"
REVIEW_SCHEDULE_ID = "weekly-escalation-review"
# Mondays 08:00 UTC: the past week is complete and the managers' week is starting.
REVIEW_CRON = "0 8 * * 1"


class ReviewRequest(BaseModel):
    days: int = Field(default=7, ge=1, le=366, description="The period reviewed, back from now.")
