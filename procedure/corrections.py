"""Agents correct triage: set the priority, recategorize, assign an owner.

A priority or category change recomputes the clocks from the policy (clocks.reprioritize) and
may hand the ticket to the level the new priority or category demands at once, in one handoff;
levels never drop. Each change is a timeline entry with the agent's reason."""

from contract.status import TicketRecord, TimelineEntry, TimelineEvent
from policy.models import EscalationPolicy
from procedure import clocks, escalation, routing
from procedure.events import Action, Assign, Recategorize, SetPriority
from procedure.intake import category_problem
from procedure.turn import Turn, log


def input_problem(policy: EscalationPolicy, action: Action) -> str | None:
    """What no ticket could take, naming the field: a category the policy lacks."""
    if isinstance(action, Recategorize):
        return category_problem(policy, action.category)
    return None


def why_not(ticket: TicketRecord, policy: EscalationPolicy, action: Action) -> str | None:
    """Why a correction does not apply, naming the field; None for any other action."""
    problem = input_problem(policy, action)
    if problem:
        return problem
    if isinstance(action, SetPriority) and action.priority == ticket.priority:
        return f"priority: the ticket is already {ticket.priority}"
    if isinstance(action, Recategorize) and action.category == ticket.category:
        return f"category: the ticket is already {ticket.category}"
    if isinstance(action, Assign) and action.agent == ticket.assignee:
        return f"agent: the ticket is already assigned to {ticket.assignee}"
    return None


def set_priority(turn: Turn, action: SetPriority) -> TimelineEntry:
    """Up or down: the windows follow the new priority from now on; a raised priority whose level
    is due (at once, or its escalation target already past) gets it in one handoff."""
    t = turn.ticket
    old, t.priority = t.priority, action.priority
    entry = log(
        turn, TimelineEvent.PRIORITY_CHANGED, action.by, action.reason, f"{old} -> {t.priority}"
    )
    clocks.reprioritize(turn, old)
    target = routing.immediate_level(turn.policy, t.priority)
    if clocks.is_due(t, "escalation", turn.now):
        target = max(target, turn.policy.priorities[t.priority].escalate_to_level)
    escalation.escalate(turn, target, f"priority_changed:{old}->{t.priority}", action.by)
    return entry


def recategorize(turn: Turn, action: Recategorize) -> TimelineEntry:
    """A category routed to a higher level hands the ticket there at once; a lower one keeps
    the ticket where it is."""
    t = turn.ticket
    old, t.category = t.category, action.category
    entry = log(
        turn,
        TimelineEvent.RECATEGORIZED,
        action.by,
        action.reason,
        f"{old or 'uncategorized'} -> {action.category}",
    )
    target = turn.policy.category_level(action.category)
    escalation.escalate(turn, target, f"recategorized:{action.category}", action.by)
    return entry


def assign(turn: Turn, action: Assign) -> TimelineEntry:
    t = turn.ticket
    old, t.assignee = t.assignee, action.agent
    details = f"{old} -> {action.agent}" if old else action.agent
    return log(turn, TimelineEvent.ASSIGNED, action.by, details=details)
