"""Input of TicketWorkflow: the ticket as another system submits it."""

from pydantic import BaseModel, Field

from contract.status import TicketRecord
from contract.tickets import TICKET_ID_PATTERN, ContractModel, Customer
from policy.models import EscalationPolicy, PriorityName


class Continuation(BaseModel):
    """Everything a ticket carries into its next run when it continues as new."""

    record: TicketRecord
    policy: EscalationPolicy


class TicketSubmission(ContractModel):
    """What a caller submits (the HTTP API's body); workflow id `ticket-<ticket_id>`."""

    ticket_id: str = Field(pattern=TICKET_ID_PATTERN)
    customer: Customer
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=20_000)
    priority: PriorityName | None = None
    category: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    related_to: str | None = Field(
        default=None,
        pattern=TICKET_ID_PATTERN,
        description="An earlier ticket this one follows up: a reply or reopen that came after "
        "that ticket's reopen window opens a new ticket related to it.",
    )


class TicketInput(TicketSubmission):
    """The workflow's input: the submission, plus what continue-as-new carries."""

    continued: Continuation | None = Field(
        default=None, description="Internal: state carried across continue-as-new."
    )
