"""Inputs and results of the activities, shared by the workflow and the workers."""

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


class HandoffRecord(Handoff):
    """A handoff as the system of record keeps it: the status entry plus its ids."""

    handoff_id: str
    ticket_id: str
    priority: PriorityName
