"""The ticket's SLA clocks: every deadline is computed here, and only here.

Deadlines are absolute instants in `TicketRecord.deadlines`; unrelated events never move them.
All arithmetic goes through `due_after` and `clock_time`, on the ticket's clock: the calendar the
policy's [clocks] section gives its level and priority (`policy.clock`, docs/calendars.md), a
BusinessClock that is plain elapsed time for "24x7". The follow-up window alone is plain time: it
is the customer's time to reply, not the team's time to work. The policy (holidays expanded)
travels with the ticket, so every replay computes the same instants."""

from datetime import datetime, timedelta
from typing import get_args

from calendars import BusinessClock, Span
from contract.status import PausedSpan, TicketRecord, TimelineEvent
from contract.tickets import TicketState
from policy.durations import format_duration
from policy.models import PRIORITY_ORDER, PriorityName
from procedure.events import DeadlineName
from procedure.turn import DONE, SYSTEM, Turn, log

# The order in which deadlines falling due at the same instant are handled: DeadlineName's.
DEADLINE_ORDER: tuple[DeadlineName, ...] = get_args(DeadlineName)


def ticket_clock(turn: Turn) -> BusinessClock:
    return turn.policy.clock(turn.ticket.level, turn.ticket.priority)


def due_after(turn: Turn, start: datetime, span: timedelta) -> datetime:
    """The instant `span` of the ticket's clock after `start`."""
    return ticket_clock(turn).add(start, span)


def clock_time(turn: Turn, start: datetime, end: datetime) -> timedelta:
    """How much of the ticket's clock runs between two instants."""
    return ticket_clock(turn).between(start, end)


def follow_up_ends(turn: Turn) -> datetime:
    """The follow-up window runs on plain time on every clock: a customer may reply at weekends."""
    return turn.now + turn.policy.follow_up_window


def next_deadline(record: TicketRecord) -> tuple[DeadlineName, datetime] | None:
    """The earliest running deadline: what the workflow's timer waits for."""
    running = [(due, name) for name, due in vars(record.deadlines).items() if due is not None]
    if not running:
        return None
    due, name = min(running)
    return name, due


def is_due(record: TicketRecord, deadline: DeadlineName, now: datetime) -> bool:
    due = getattr(record.deadlines, deadline)
    return due is not None and due <= now


def stop_all(record: TicketRecord) -> None:
    for name in DEADLINE_ORDER:
        setattr(record.deadlines, name, None)


def start_level_clocks(turn: Turn) -> datetime:
    """On arriving at a level: acknowledge within the level's window (L1 2 hours, L2 1 hour; an
    immediate or unstated window pages at once and runs no acknowledgment clock), respond within
    the stricter of the level's and the priority's response times. Returns the response's due."""
    t, policy, now = turn.ticket, turn.policy, turn.now
    level = policy.levels[t.level]
    window = level.acknowledge_within
    t.level_since = now
    t.failed_attempts_at_level = 0
    t.state = TicketState.OPEN
    t.deadlines.acknowledgment = (
        None if level.pages_at_once or window is None else due_after(turn, now, window)
    )
    response = due_after(turn, now, policy.response_window(t.level, t.priority))
    t.deadlines.response = response
    t.deadlines.realert = None
    refresh_priority_escalation(turn)
    return response


def tighten_response(turn: Turn) -> None:
    """A more urgent priority shortens the running response deadline, never lengthens it."""
    t = turn.ticket
    window = turn.policy.response_window(t.level, t.priority)
    if t.deadlines.response is not None:
        t.deadlines.response = min(t.deadlines.response, due_after(turn, t.level_since, window))


def refresh_priority_escalation(turn: Turn) -> None:
    """P2 reaches L3 within 2 hours, P3 L2 within 24 hours, of opening on the ticket's clock;
    paused spans are cut out of that clock (on business hours a paused total cannot simply be
    added: the pause may have covered a night).

    Runs while the ticket is below the priority's target level, open and not paused. Called on
    every change of level or priority, so it also names the clock the ticket now runs on."""
    t = turn.ticket
    t.clock = turn.policy.clocks.calendar_for(t.level, t.priority)
    rule = turn.policy.priorities[t.priority]
    waiting = rule.escalate_within > timedelta(0) and t.level < rule.escalate_to_level
    active = t.state not in DONE and t.paused_since is None
    pauses = [Span(span.start, span.end) for span in t.paused_spans]
    t.deadlines.escalation = (
        ticket_clock(turn).add(t.opened_at, rule.escalate_within, pauses)
        if waiting and active
        else None
    )


def next_customer_update(turn: Turn, start: datetime) -> None:
    """Customer updates every 4 hours (the policy's cadence, on the ticket's clock) from start."""
    turn.ticket.deadlines.customer_update = due_after(
        turn, start, turn.policy.customer_update_every
    )


def pause(turn: Turn) -> None:
    """Waiting on the customer stops the priority escalation clock and the customer updates;
    the update cadence keeps what it had left."""
    t = turn.ticket
    t.paused_since = turn.now
    t.state = TicketState.AWAITING_CUSTOMER
    if t.deadlines.customer_update is not None:
        t.update_remaining = clock_time(turn, turn.now, t.deadlines.customer_update)
        t.deadlines.customer_update = None
    refresh_priority_escalation(turn)
    start_waiting_on_customer(turn)
    log(turn, TimelineEvent.PAUSED, SYSTEM, reason="awaiting_customer")


def resume(turn: Turn) -> None:
    """The customer is back: paused time is added up and the paused clocks run again."""
    t, now = turn.ticket, turn.now
    if t.paused_since is None:
        return
    log(
        turn,
        TimelineEvent.RESUMED,
        SYSTEM,
        details=f"paused {format_duration(now - t.paused_since)}",
    )
    add_paused_span(t, t.paused_since, now)
    t.paused_since = None
    t.state = TicketState.ACKNOWLEDGED
    t.deadlines.customer_update = due_after(
        turn, now, t.update_remaining or turn.policy.customer_update_every
    )
    t.update_remaining = None
    t.deadlines.customer_reminder = t.deadlines.no_reply = None
    refresh_priority_escalation(turn)


def count_resolved_time_as_paused(turn: Turn) -> None:
    """Time spent resolved counts like time waiting on the customer: a reopened ticket must not
    escalate at once on a priority target that ran out meanwhile."""
    t = turn.ticket
    if t.resolved_at is not None:
        add_paused_span(t, t.resolved_at, turn.now)
    t.resolved_at = None


def add_paused_span(t: TicketRecord, start: datetime, end: datetime) -> None:
    t.paused_spans.append(PausedSpan(start=start, end=end))
    t.paused_total += end - start


def reprioritize(turn: Turn, old: PriorityName) -> None:
    """An agent changed the priority: the running windows are recomputed from the policy.

    A stricter priority's windows start at the change (nobody breached before it was known) and
    never end later than the deadline already running. A lower priority's never end earlier than
    before, so nothing breaches retroactively; its re-alerts stop, and a response window of the
    new priority runs from now instead. The priority's escalation target is set again either way
    (a raised one may be due already: the caller hands the ticket over at once)."""
    t, now = turn.ticket, turn.now
    d = t.deadlines
    window = turn.policy.response_window(t.level, t.priority)
    if PRIORITY_ORDER.index(t.priority) < PRIORITY_ORDER.index(old):
        if d.response is not None:
            d.response = min(d.response, due_after(turn, now, window))
        if d.realert is not None:
            d.realert = min(d.realert, due_after(turn, now, window))
        refresh_priority_escalation(turn)
        return
    if d.response is not None:
        d.response = max(d.response, due_after(turn, t.level_since, window))
    if d.realert is not None:
        d.realert = None
        d.response = due_after(turn, now, window)
    before = d.escalation
    refresh_priority_escalation(turn)
    if before is not None and d.escalation is not None:
        d.escalation = max(before, d.escalation)


def start_waiting_on_customer(turn: Turn) -> None:
    """A customer who does not reply is reminded after 2 days; the ticket is resolved as "no
    reply" 7 days after that (the policy's `waiting_on_customer`)."""
    t, waiting = turn.ticket, turn.policy.waiting_on_customer
    t.deadlines.customer_reminder = due_after(turn, turn.now, waiting.remind_after)
    t.deadlines.no_reply = due_after(
        turn, turn.now, waiting.remind_after + waiting.resolve_after_reminder
    )


def next_slot(turn: Turn, due: datetime, every: timedelta) -> datetime:
    """The first instant of a cadence from `due` that is still ahead: slots that passed while no
    worker ran are skipped, so a late timer sends one message, not a burst."""
    slot = due_after(turn, due, every)
    while slot <= turn.now:
        slot = due_after(turn, slot, every)
    return slot
