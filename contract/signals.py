"""Inputs of the ticket's signals and updates (same names, same JSON objects)."""

from enum import StrEnum
from typing import Literal

from pydantic import Field

from contract.tickets import ContractModel
from policy.models import PriorityName

Actor = str


class EscalationReason(StrEnum):
    BEYOND_EXPERTISE = "beyond_expertise"
    CUSTOMER_DISSATISFIED = "customer_dissatisfied"
    MULTIPLE_CUSTOMERS_AFFECTED = "multiple_customers_affected"
    SIGNIFICANT_BUSINESS_IMPACT = "significant_business_impact"
    LEGAL_OR_COMPLIANCE = "legal_or_compliance"
    CUSTOMER_REQUEST = "customer_request"
    OTHER = "other"


def _actor() -> object:
    return Field(min_length=1, max_length=120)


class AcknowledgeInput(ContractModel):
    agent: str = _actor()


class RespondInput(ContractModel):
    agent: str = _actor()
    message: str = Field(min_length=1, max_length=20_000)
    awaiting_customer: bool = False
    internal: bool = Field(
        default=False,
        description="An agent note: recorded on the timeline, not emailed to the customer.",
    )


class ResolutionAttemptInput(ContractModel):
    agent: str = _actor()
    action: str = Field(min_length=1, max_length=2_000)
    succeeded: bool


class CustomerMessageInput(ContractModel):
    message: str = Field(min_length=1, max_length=20_000)
    requests_escalation: bool = False


class EscalateInput(ContractModel):
    by: str = _actor()
    reason: EscalationReason
    note: str | None = Field(default=None, max_length=5_000)
    # Deliberately unbounded here: the workflow names an out-of-range level in its rejection.
    to_level: int | None = None
    # The handoff template's facts, so the receiving level does not have to ask.
    customer_impact: str | None = Field(
        default=None, max_length=5_000, description="Who is affected and how."
    )
    root_cause: str | None = Field(
        default=None, max_length=5_000, description="Findings so far: what causes it."
    )
    next_steps: str | None = Field(
        default=None, max_length=5_000, description="What the receiving level should do next."
    )
    proposed_solution: str | None = Field(
        default=None, max_length=5_000, description="The fix the escalating agent proposes."
    )
    expected_resolution: str | None = Field(
        default=None,
        max_length=500,
        description="When the fix is expected; default: the priority's resolution target.",
    )


class ResolveInput(ContractModel):
    by: str = _actor()
    resolution: str = Field(min_length=1, max_length=20_000)
    article: str | None = Field(
        default=None,
        max_length=120,
        description="Slug of the knowledge-base article that solved it.",
    )


class ReopenInput(ContractModel):
    by: str = _actor()
    reason: str = Field(min_length=1, max_length=2_000)


class SurveyResponseInput(ContractModel):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=5_000)


class SetPriorityInput(ContractModel):
    """An agent corrects the priority, up or down; the clocks follow the policy from now on."""

    by: str = _actor()
    priority: PriorityName
    reason: str = Field(min_length=1, max_length=2_000)


class RecategorizeInput(ContractModel):
    """An agent corrects the category (one of the policy's; the workflow names a wrong one)."""

    by: str = _actor()
    category: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2_000)


class AssignInput(ContractModel):
    """Names the ticket's owner: shown in the status, the UI and the TicketAssignee attribute."""

    by: str = _actor()
    agent: str = _actor()


# What a provider reports after accepting a message (SendGrid events, Twilio status callbacks);
# the rest (processed, queued, ringing, open, ...) changes nothing.
DeliveryOutcome = Literal[
    "delivered", "bounce", "dropped", "failed", "undelivered", "busy", "no-answer"
]
DELIVERY_REPORT = "delivery_report"  # the signal; sent by the API's delivery webhooks only


class DeliveryReportInput(ContractModel):
    """A provider's report on one notification, signalled to its ticket (not an action)."""

    notification_id: str = Field(min_length=1, max_length=255)
    outcome: DeliveryOutcome
    detail: str | None = Field(default=None, max_length=2_000)


SIGNAL_INPUTS: dict[str, type[ContractModel]] = {
    "acknowledge": AcknowledgeInput,
    "respond": RespondInput,
    "resolution_attempt": ResolutionAttemptInput,
    "customer_message": CustomerMessageInput,
    "escalate": EscalateInput,
    "resolve": ResolveInput,
    "reopen": ReopenInput,
    "survey_response": SurveyResponseInput,
    "set_priority": SetPriorityInput,
    "recategorize": RecategorizeInput,
    "assign": AssignInput,
}
