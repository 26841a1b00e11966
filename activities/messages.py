"""Inputs and results of the activities, shared by the workflow and the workers."""

from datetime import datetime

from pydantic import BaseModel

from contract.status import Audience, DeliveryStatus
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


class DeliveryReceipt(BaseModel):
    status: DeliveryStatus
    provider_id: str | None = None
    detail: str | None = None


class HandoffRecord(BaseModel):
    handoff_id: str
    ticket_id: str
    from_level: int
    to_level: int
    reason: str
    by: str
    priority: PriorityName
    triggered_at: datetime
    at: datetime
    subject: str
    template: str
