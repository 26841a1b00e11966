"""The ticket's record: what the `status` query returns and what continue-as-new carries."""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from contract.kb import KbMatch
from contract.tickets import Customer, TicketState
from policy.models import Channel, PriorityName

Audience = Literal["customer", "team"]
# delivered: the provider reported it reached the recipient (its status callback or event).
DeliveryStatus = Literal["pending", "outbox", "sent", "delivered", "unknown", "failed", "throttled"]
BreachMetric = Literal["acknowledgment", "response"]


class Deadlines(BaseModel):
    """Absolute instants of the running clocks; None when a clock is not running."""

    acknowledgment: datetime | None = None
    response: datetime | None = None
    customer_update: datetime | None = None
    escalation: datetime | None = Field(
        default=None, description="When the priority demands a higher level (P2 to L3, P3 to L2)."
    )
    realert: datetime | None = Field(default=None, description="Next L4 re-alert after a breach.")
    check_in: datetime | None = Field(
        default=None, description="Follow-up check-in after a handoff."
    )
    close: datetime | None = Field(default=None, description="End of the follow-up window.")
    customer_reminder: datetime | None = Field(
        default=None, description="Remind a customer who has not replied to a question."
    )
    no_reply: datetime | None = Field(
        default=None, description="Resolve as 'no reply' if the customer still has not written."
    )
    call_retry: datetime | None = Field(
        default=None, description="Call again an on-call who did not answer a page."
    )


class TimelineEvent(StrEnum):
    """What a timeline entry records; the reports query the system of record by these names.

    A rejected action's entry is named after the action instead (`escalate`, `reopen`, ...)."""

    OPENED = "opened"
    PRIORITY_RAISED = "priority_raised"
    ROUTED = "routed"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    PAUSED = "paused"
    RESUMED = "resumed"
    RESOLUTION_ATTEMPT = "resolution_attempt"
    CUSTOMER_MESSAGE = "customer_message"
    BREACHED = "breached"
    ESCALATED = "escalated"
    REALERTED = "realerted"
    ESCALATION_AT_TOP = "escalation_at_top"
    STATUS_UPDATE = "status_update"
    CUSTOMER_REMINDED = "customer_reminded"
    CHECK_IN = "check_in"
    DELIVERY_FAILED = "delivery_failed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    SURVEY_ANSWERED = "survey_answered"
    LOW_SATISFACTION = "low_satisfaction"
    CLOSED = "closed"
    # Agents correcting triage (reason: what the agent wrote; details: old -> new).
    PRIORITY_CHANGED = "priority_changed"
    RECATEGORIZED = "recategorized"
    ASSIGNED = "assigned"


class TimelineEntry(BaseModel):
    seq: int
    at: datetime
    event: str  # a TimelineEvent, or the name of the action a rejected entry refused
    actor: str
    level: int
    priority: PriorityName
    reason: str | None = None
    details: str | None = None
    rejected: bool = False


SLA_MISSED = "_sla_missed"


def breach_reason(metric: BreachMetric) -> str:
    """The reason a breach's timeline entry and the escalation it triggers carry."""
    return f"{metric}{SLA_MISSED}"


def breached_metric(reason: str) -> str:
    return reason.removesuffix(SLA_MISSED)


class EvidenceItem(BaseModel):
    """A phrase of the customer's that decided (docs/triage.md): the triage list it matched, the
    words as written, the priority it suggests, and the timeline entry that read it."""

    signal: str
    text: str
    suggests: PriorityName | None = None
    seq: int

    def __str__(self) -> str:
        return f'{self.signal} "{self.text}"'


class Breach(BaseModel):
    metric: BreachMetric
    level: int
    due: datetime
    at: datetime


class Handoff(BaseModel):
    from_level: int
    to_level: int
    reason: str
    by: str
    triggered_at: datetime
    at: datetime
    subject: str
    template: str


class NotificationEntry(BaseModel):
    notification_id: str
    channel: Channel
    audience: Audience
    recipient: str
    kind: str
    level: int
    at: datetime
    status: DeliveryStatus = "pending"
    provider_id: str | None = None
    error: str | None = None
    fallback_for: str | None = Field(
        default=None, description="The notification whose permanent failure this replaces."
    )
    call: int = Field(default=1, description="Which call of a page: 2 and up call again.")
    retry_at: datetime | None = Field(
        default=None, description="When an unanswered call is made again (call_retry)."
    )


class Attempt(BaseModel):
    agent: str
    action: str
    succeeded: bool
    level: int
    at: datetime


class Survey(BaseModel):
    score: int
    comment: str | None = None
    at: datetime


class PausedSpan(BaseModel):
    """A stretch the priority escalation target did not run: waiting on the customer, or resolved
    before a reopening."""

    start: datetime
    end: datetime


class TicketRecord(BaseModel):
    """Every fact about one ticket; append-only lists, current values and running deadlines."""

    ticket_id: str
    customer: Customer
    subject: str
    description: str
    category: str | None
    priority: PriorityName
    priority_source: Literal["caller", "assessed"]
    level: int
    state: TicketState
    opened_at: datetime
    level_since: datetime
    deadlines: Deadlines = Field(default_factory=Deadlines)
    sla_breached: bool = False
    breaches: list[Breach] = Field(default_factory=list)
    handoffs: list[Handoff] = Field(default_factory=list)
    notifications: list[NotificationEntry] = Field(default_factory=list)
    dashboard_alerts: list[str] = Field(
        default_factory=list, description="Kinds of the dashboard alerts raised, in order."
    )
    attempts: list[Attempt] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    failed_attempts_at_level: int = 0
    seen_keywords: list[str] = Field(default_factory=list)
    first_acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    paused_since: datetime | None = None
    paused_total: timedelta = Field(
        default=timedelta(0), description="Wall-clock time paused (the sum of paused_spans)."
    )
    paused_spans: list[PausedSpan] = Field(default_factory=list)
    team_zone: str = Field(
        default="UTC", description="The team's time zone (IANA), for times shown to people."
    )
    clock: str = Field(
        default="24x7",
        description="The calendar the ticket's SLA clocks run on (policy [clocks]); 24x7 is plain "
        "elapsed time. The follow-up window always runs on plain time.",
    )
    update_remaining: timedelta | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    survey: Survey | None = None
    kb_matches: list[KbMatch] = Field(
        default_factory=list, description="Knowledge-base articles found at intake, best first."
    )
    assignee: str | None = Field(default=None, description="The agent who owns the ticket.")
    related_to: str | None = Field(
        default=None, description="The earlier ticket this one follows up, if any."
    )
    evidence: list[EvidenceItem] = Field(
        default_factory=list,
        description="The phrases that decided: routed at intake, then added by customer messages.",
    )

    @computed_field(description="Per running deadline, the calendar it runs on (24x7: plain time).")
    @property
    def deadline_clocks(self) -> dict[str, str]:
        return {
            name: "24x7" if name == "close" else self.clock
            for name, due in self.deadlines
            if due is not None
        }


class ActionOutcome(BaseModel):
    """What an update returns: the ticket after the action, and the timeline entry it wrote."""

    ticket_id: str
    action: str
    state: TicketState
    level: int
    priority: PriorityName
    entry: TimelineEntry
