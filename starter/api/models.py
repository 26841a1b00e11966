"""Response bodies of the HTTP API that the contract does not already define."""

from datetime import datetime

from pydantic import BaseModel

from contract.tickets import TicketState


class TicketOpened(BaseModel):
    ticket_id: str
    workflow_id: str
    created: bool  # false: a ticket with this id existed; this request's input was not used


class TicketSummary(BaseModel):
    """One row of `GET /tickets`, from search attributes (no personal data)."""

    ticket_id: str
    workflow_id: str
    execution_status: str
    priority: str | None
    level: int | None
    state: TicketState | None
    sla_breached: bool | None
    category: str | None
    assignee: str | None = None
    next_deadline: datetime | None
    started_at: datetime | None


class Alert(BaseModel):
    """A dashboard alert of a breached ticket (its `dashboard` notifications)."""

    ticket_id: str
    notification_id: str
    kind: str
    level: int
    at: datetime
    ticket_priority: str
    ticket_level: int


class Alerts(BaseModel):
    alerts: list[Alert]
    # Breached tickets whose status did not answer in time; listed rather than silently lost.
    unavailable: list[str]


class Health(BaseModel):
    status: str
    temporal: str


class Problem(BaseModel):
    detail: str
