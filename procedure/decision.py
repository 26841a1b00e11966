"""The one entry point: what an event does to a ticket, as its new state and the effects to run.

`decide` is deterministic in (state, policy, event, now) and leaves the state it was given as it
was. The workflow (workflows/ticket.py) feeds it the ticket's events as they happen and runs the
effects; anything else (a test, a simulation of another policy) can feed it recorded events."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from contract.status import TicketRecord
from policy.models import EscalationPolicy
from procedure import actions, call_retries, clocks, customer_care, escalation, notifications
from procedure.effects import Effect
from procedure.events import (
    ACTIONS,
    RECEIPTS,
    DeadlineDue,
    DeadlineName,
    Event,
    Opened,
    UnreadableAction,
)
from procedure.intake import open_ticket
from procedure.turn import Turn, log, working_copy

Decision = tuple[TicketRecord, list[Effect]]


def decide(
    state: TicketRecord | None, policy: EscalationPolicy, event: Event, now: datetime
) -> Decision:
    """The ticket after the event at `now`, and the effects the event calls for.

    `state` is None only before the ticket exists, and the event is then `Opened`."""
    if isinstance(event, Opened):
        if state is not None:
            raise ValueError(f"ticket {state.ticket_id} is already open")
        turn = open_ticket(policy, event.ticket, now)
        return turn.ticket, turn.effects
    if state is None:
        raise ValueError(f"{event.kind}: the ticket has not been opened")
    earlier: list[Effect] = []
    if not isinstance(event, (DeadlineDue, *RECEIPTS)):
        # An event is judged at its instant: a deadline due by then has already passed, even
        # when its timer fires in the same workflow task (acknowledging at the due instant is
        # late, a moment before it in time). A receipt hangs on no deadline: those due are left
        # to the timer, whose firing is recorded, so a simulation handles them as the workflow
        # did (a receipt is not recorded: simulation/recording.py).
        state, earlier = advance(state, policy, now)
    turn = Turn(working_copy(state), policy, now)
    RULES[event.kind](turn, event)
    return turn.ticket, earlier + turn.effects


def _deadline_due(turn: Turn, event: DeadlineDue) -> None:
    """A deadline falls due once: it stops running, then its rule applies. A deadline that has
    stopped or moved since its timer was set is no longer due, and nothing happens."""
    if not clocks.is_due(turn.ticket, event.deadline, turn.now):
        return
    due = getattr(turn.ticket.deadlines, event.deadline)
    setattr(turn.ticket.deadlines, event.deadline, None)
    turn.due = due
    DEADLINES[event.deadline](turn, due)


DEADLINES: dict[DeadlineName, Callable[[Turn, datetime], None]] = {
    "acknowledgment": lambda turn, due: escalation.deadline_missed(turn, "acknowledgment", due),
    "response": lambda turn, due: escalation.deadline_missed(turn, "response", due),
    "escalation": escalation.priority_escalation_due,
    "realert": escalation.realert,
    "customer_update": customer_care.status_update_due,
    "check_in": lambda turn, _due: escalation.check_in_due(turn),
    "close": lambda turn, _due: customer_care.follow_up_window_ended(turn),
    "customer_reminder": lambda turn, _due: customer_care.remind_customer(turn),
    "no_reply": lambda turn, _due: customer_care.no_reply(turn),
    "call_retry": call_retries.call_again,
}


def _unreadable(turn: Turn, event: UnreadableAction) -> None:
    log(turn, event.name, "unknown", reason=event.reason, rejected=True)


RULES: dict[str, Callable[[Turn, Any], None]] = {
    **dict.fromkeys(ACTIONS, actions.take),
    "unreadable_action": _unreadable,
    "deadline_due": _deadline_due,
    "knowledge_base_searched": customer_care.acknowledge_customer,
    "delivered": notifications.delivered,
    "delivery_failed": notifications.delivery_failed,
    "delivery_reported": call_retries.delivery_reported,
    "digest_sent": notifications.digest_sent,
}


def advance(state: TicketRecord, policy: EscalationPolicy, until: datetime) -> Decision:
    """Let time run to `until`: each deadline falls due at its instant, in order, as the
    workflow's timers would fire them."""
    effects: list[Effect] = []
    while (upcoming := clocks.next_deadline(state)) is not None and upcoming[1] <= until:
        due_at = upcoming[1]
        for deadline in clocks.DEADLINE_ORDER:
            if clocks.is_due(state, deadline, due_at):
                state, more = decide(state, policy, DeadlineDue(deadline=deadline), due_at)
                effects += more
    return state, effects
