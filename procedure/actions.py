"""What people do to a ticket: whether an action applies now, and the agents' own actions.

Actions that do not apply are recorded as rejected with the reason (`why_not`); an update gets
that reason as its rejection before anything is recorded."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from contract.status import Attempt, TicketRecord, TimelineEntry, TimelineEvent
from contract.tickets import TicketState
from policy.models import EscalationPolicy
from procedure import clocks, corrections, customer_care, escalation
from procedure import message_texts as texts
from procedure.customer_care import DETAILS_LIMIT
from procedure.effects import Reply
from procedure.events import (
    Acknowledge,
    Action,
    CustomerMessage,
    Escalate,
    ResolutionAttempt,
    Respond,
    SurveyResponse,
)
from procedure.handoff_templates import HandoffFacts
from procedure.notifications import notify_customer
from procedure.turn import DONE, Turn, log


def why_not(ticket: TicketRecord, policy: EscalationPolicy, action: Action) -> str | None:
    """Why an action does not apply to the ticket now, or None when it does."""
    state = ticket.state
    reopenable = action.kind in ("reopen", "customer_message") and ticket.deadlines.close
    if state == TicketState.CLOSED and not reopenable:
        return "ticket is closed"
    if action.kind == "reopen":
        if state in DONE:
            return None
        return f"only a resolved ticket can be reopened (state {state})"
    if action.kind == "survey_response":
        return None if state == TicketState.RESOLVED else f"no survey pending (state {state})"
    if action.kind == "customer_message":
        return None
    if state == TicketState.RESOLVED:
        return "ticket is resolved; reopen it first"
    if action.kind == "acknowledge" and state != TicketState.OPEN:
        return f"already acknowledged at L{ticket.level}"
    if isinstance(action, Escalate):
        return _why_not_escalate(ticket, policy, action)
    return corrections.why_not(ticket, policy, action)


def _why_not_escalate(
    ticket: TicketRecord, policy: EscalationPolicy, action: Escalate
) -> str | None:
    level, top = ticket.level, policy.top_level
    if action.to_level is None:
        return f"already at level {top}, the highest" if level >= top else None
    if not level < action.to_level <= top:
        return (
            f"to_level {action.to_level} out of range: "
            f"must be above the current level {level} and at most {top}"
        )
    return None


def actor(action: BaseModel) -> str:
    """Who an action (or a rejected one's input) came from."""
    for field in ("agent", "by"):
        value = getattr(action, field, None)
        if value:
            return str(value)
    return "customer" if isinstance(action, CustomerMessage | SurveyResponse) else "unknown"


def take(turn: Turn, action: Action) -> None:
    """Apply the action, or record why it does not apply; the caller gets the entry either way."""
    reason = why_not(turn.ticket, turn.policy, action)
    if reason:
        entry = log(turn, action.kind, actor(action), reason=reason, rejected=True)
    else:
        entry = APPLY[action.kind](turn, action)
    turn.effects.append(Reply(entry))


def acknowledge(turn: Turn, action: Acknowledge) -> TimelineEntry:
    """Acknowledgment stops the acknowledgment clock and the top level's re-alerts."""
    t = turn.ticket
    t.state = TicketState.ACKNOWLEDGED
    t.deadlines.acknowledgment = t.deadlines.realert = None
    t.first_acknowledged_at = t.first_acknowledged_at or turn.now
    return log(turn, TimelineEvent.ACKNOWLEDGED, action.agent, reason="acknowledgment_met")


def respond(turn: Turn, action: Respond) -> TimelineEntry:
    """A response meets the response deadline (and acknowledges) and is emailed to the customer
    unless it is an internal note; the customer-update cadence restarts; `awaiting_customer`
    pauses the clocks until the customer writes back."""
    t, now = turn.ticket, turn.now
    met = t.deadlines.response is not None
    t.deadlines.acknowledgment = t.deadlines.response = t.deadlines.realert = None
    t.deadlines.check_in = None
    t.first_acknowledged_at = t.first_acknowledged_at or now
    t.first_response_at = t.first_response_at or now
    entry = log(
        turn,
        TimelineEvent.RESPONDED,
        action.agent,
        reason="response_met" if met else None,
        details=action.message[:DETAILS_LIMIT],
    )
    if not action.internal:
        response = texts.customer_response(t, action.message)
        notify_customer(turn, "response", *response, seq=entry.seq)
    clocks.resume(turn)
    t.state = TicketState.ACKNOWLEDGED
    clocks.next_customer_update(turn, now)
    if action.awaiting_customer:
        clocks.pause(turn)
    return entry


def resolution_attempt(turn: Turn, action: ResolutionAttempt) -> TimelineEntry:
    t = turn.ticket
    t.attempts.append(
        Attempt(
            agent=action.agent,
            action=action.action,
            succeeded=action.succeeded,
            level=t.level,
            at=turn.now,
        )
    )
    entry = log(
        turn,
        TimelineEvent.RESOLUTION_ATTEMPT,
        action.agent,
        reason="succeeded" if action.succeeded else "failed",
        details=action.action,
    )
    if not action.succeeded:
        escalation.failed_attempt(turn)
    return entry


def escalate(turn: Turn, action: Escalate) -> TimelineEntry:
    """Manual escalation, with a reason; `to_level` may jump levels."""
    target = action.to_level or turn.ticket.level + 1
    facts = HandoffFacts.given(action)
    if facts.next_steps is None and action.note:
        facts = replace(facts, next_steps=action.note)  # a free-text note is the agent's advice
    escalation.escalate(
        turn, target, f"manual:{action.reason}", action.by, note=action.note, facts=facts
    )
    return turn.ticket.timeline[-1]


APPLY: dict[str, Callable[[Turn, Any], TimelineEntry]] = {
    "acknowledge": acknowledge,
    "respond": respond,
    "resolution_attempt": resolution_attempt,
    "customer_message": customer_care.customer_message,
    "escalate": escalate,
    "resolve": customer_care.resolve,
    "reopen": customer_care.reopen,
    "survey_response": customer_care.survey_response,
    "set_priority": corrections.set_priority,
    "recategorize": corrections.recategorize,
    "assign": corrections.assign,
}
