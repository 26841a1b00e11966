"""Inputs and results of the activities, shared by the workflow and the workers.

No Temporal import: the procedure's effects carry them (procedure/effects.py)."""

from datetime import datetime

from pydantic import BaseModel, Field

from contract.status import Audience, DeliveryStatus, Handoff
from policy.models import Channel, PriorityName


class OutgoingMessage(BaseModel):
    """One notification; notification_id comes from business facts, so retries can dedupe."""

    notification_id: str
    ticket_id: str
    channel: Channel
    audience: Audience
    recipient: str
    kind: str
    level: int
    priority: PriorityName
    subject: str
    body: str
    summary: str = Field(default="", description="The ticket's subject, read out on calls.")
    email: str | None = Field(
        default=None, description="The recipient's email, for fallbacks and throttle digests."
    )
    link_expires_at: datetime | None = Field(
        default=None, description="When the survey link this email carries stops working."
    )
    due: datetime | None = Field(
        default=None,
        description="The deadline whose passing sent this message; the worker measures from it.",
        # Left out when unset (most messages), so that it costs the history nothing.
        exclude_if=lambda due: due is None,
    )
    reply_to: str | None = Field(
        default=None,
        description="Set by the activity only (a credential): the ticket's reply address.",
    )


class DigestRequest(BaseModel):
    """Send what the storm limit held back for one address, once (digest_id is the ledger id)."""

    digest_id: str
    email: str
    level: int
    priority: PriorityName


class DeliveryReceipt(BaseModel):
    status: DeliveryStatus
    provider_id: str | None = None
    detail: str | None = None


class BatchDelivery(BaseModel):
    """One message's end in a batch: a receipt, a permanent failure, or a wait (the message then
    goes on alone, after `retry_after_seconds`, with Temporal's retries)."""

    receipt: DeliveryReceipt | None = None
    failure: str | None = None
    retry_after_seconds: float | None = None


class HandoffRecord(Handoff):
    """A handoff as the system of record keeps it: the status entry plus its ids."""

    handoff_id: str
    ticket_id: str
    priority: PriorityName


class EventRecord(BaseModel):
    """One timeline entry for the system of record; event_id is `<ticket_id>:<seq>`."""

    event_id: str
    ticket_id: str
    seq: int
    event: str
    at: datetime
    actor: str
    level: int
    priority: PriorityName
    category: str | None
    reason: str | None = None
    details: str | None = None
    rejected: bool = False
    score: int | None = None
    article: str | None = None


class InputRecord(BaseModel):
    """One event a ticket's decisions took in, as procedure.decide received it, kept so that
    `starter simulate` can replay the ticket (simulation/recording.py says which and why).

    input_id is `<ticket_id>:<position>`; positions order a ticket's inputs."""

    input_id: str
    ticket_id: str
    position: int
    at: datetime
    kind: str
    event: str = Field(description="The event's JSON, tagged by kind (procedure.events.EVENT).")
    due: datetime | None = Field(
        default=None, description="A deadline's: the instant its timer was set for."
    )
    policy_id: str | None = Field(
        default=None,
        description="At the opening: the digest of the policy the ticket runs under (its row "
        "in `policies`).",
    )


class DecisionBatch(BaseModel):
    """What one workflow task decided, for one activity: the entries, handoffs and inputs it
    wrote (one transaction), then the messages it sent."""

    events: list[EventRecord] = []
    handoffs: list[HandoffRecord] = []
    inputs: list[InputRecord] = []
    messages: list[OutgoingMessage] = []

    def records(self) -> int:
        return len(self.events) + len(self.handoffs)


class KbQuery(BaseModel):
    text: str
    category: str | None = None
