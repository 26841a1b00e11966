"""What can happen to a ticket: it opens, someone acts, a deadline falls due, an effect returns.

Events are pydantic models tagged by `kind`, so a ticket's events can be stored as JSON and fed to
`decide` again (`EVENT.validate_json`). Actions are the contract's signal inputs plus their kind:
their JSON is what a caller sends, with `"kind": "<signal name>"`."""

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from activities.messages import DeliveryReceipt, DigestRequest, OutgoingMessage
from contract.kb import KbMatch
from contract.signals import (
    AcknowledgeInput,
    AssignInput,
    CustomerMessageInput,
    DeliveryReportInput,
    EscalateInput,
    RecategorizeInput,
    ReopenInput,
    ResolutionAttemptInput,
    ResolveInput,
    RespondInput,
    SetPriorityInput,
    SurveyResponseInput,
)
from contract.ticket_input import TicketSubmission

# The fields of contract.status.Deadlines, in the order deadlines due together are handled.
DeadlineName = Literal[
    "acknowledgment",
    "response",
    "escalation",
    "realert",
    "customer_update",
    "check_in",
    "close",
    "customer_reminder",
    "no_reply",
    "call_retry",
]


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True)


class Opened(_Fact):
    """A caller submitted the ticket (its workflow's input)."""

    kind: Literal["opened"] = "opened"
    ticket: TicketSubmission


class Acknowledge(AcknowledgeInput):
    kind: Literal["acknowledge"] = "acknowledge"


class Respond(RespondInput):
    kind: Literal["respond"] = "respond"


class ResolutionAttempt(ResolutionAttemptInput):
    kind: Literal["resolution_attempt"] = "resolution_attempt"


class CustomerMessage(CustomerMessageInput):
    kind: Literal["customer_message"] = "customer_message"


class Escalate(EscalateInput):
    kind: Literal["escalate"] = "escalate"


class Resolve(ResolveInput):
    kind: Literal["resolve"] = "resolve"


class Reopen(ReopenInput):
    kind: Literal["reopen"] = "reopen"


class SurveyResponse(SurveyResponseInput):
    kind: Literal["survey_response"] = "survey_response"


class SetPriority(SetPriorityInput):
    kind: Literal["set_priority"] = "set_priority"


class Recategorize(RecategorizeInput):
    kind: Literal["recategorize"] = "recategorize"


class Assign(AssignInput):
    kind: Literal["assign"] = "assign"


Action = (
    Acknowledge
    | Respond
    | ResolutionAttempt
    | CustomerMessage
    | Escalate
    | Resolve
    | Reopen
    | SurveyResponse
    | SetPriority
    | Recategorize
    | Assign
)
ACTIONS: dict[str, type[Action]] = {
    action.model_fields["kind"].default: action for action in get_args(Action)
}


def action_event(name: str, payload: BaseModel) -> Action:
    """The event of a decoded signal or update input (one of contract.signals.SIGNAL_INPUTS)."""
    return ACTIONS[name].model_validate(payload.model_dump())


class UnreadableAction(_Fact):
    """A signal whose name or payload is no action: recorded as rejected, saying why."""

    kind: Literal["unreadable_action"] = "unreadable_action"
    name: str
    reason: str


class DeadlineDue(_Fact):
    """The timer of one running deadline fired; a deadline not yet due (moved since) is ignored."""

    kind: Literal["deadline_due"] = "deadline_due"
    deadline: DeadlineName


class KnowledgeBaseSearched(_Fact):
    """The intake search's result (no matches when the search failed)."""

    kind: Literal["knowledge_base_searched"] = "knowledge_base_searched"
    seq: int
    matches: list[KbMatch]


class Delivered(_Fact):
    """A notification's delivery ended: sent, in the outbox, throttled or of unknown outcome."""

    kind: Literal["delivered"] = "delivered"
    message: OutgoingMessage
    receipt: DeliveryReceipt


class DeliveryFailed(_Fact):
    """A notification failed for good (the provider refused it); other channels take over."""

    kind: Literal["delivery_failed"] = "delivery_failed"
    message: OutgoingMessage
    error: str


class DeliveryReported(DeliveryReportInput):
    """The provider's later word on a notification: delivered, or failed after all (a bounce,
    an unanswered call); the latter takes over as a permanent failure would."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["delivery_reported"] = "delivery_reported"


class DigestSent(_Fact):
    """A storm digest's delivery ended; no receipt when another digest had taken the messages."""

    kind: Literal["digest_sent"] = "digest_sent"
    request: DigestRequest
    receipt: DeliveryReceipt | None


# Receipts settle a notification's status and decide nothing that hangs on time: they do not
# move the clocks (procedure.decision) and a simulation does not replay them.
RECEIPTS = (Delivered, DigestSent)

Event = Annotated[
    Opened
    | Action
    | UnreadableAction
    | DeadlineDue
    | KnowledgeBaseSearched
    | Delivered
    | DeliveryFailed
    | DeliveryReported
    | DigestSent,
    Field(discriminator="kind"),
]
EVENT: TypeAdapter[Event] = TypeAdapter(Event)
