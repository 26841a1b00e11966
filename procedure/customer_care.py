"""Customer communication: acknowledge at once, update regularly, resolve, survey, follow up.

"Always acknowledge receipt immediately" (`acknowledge_customer`, with the knowledge base's
self-service links), "provide status updates every 4 hours" (`status_update_due`), "send
satisfaction surveys after resolution" (`resolve`), and the follow-up window in which a customer
reply reopens the ticket (`customer_message`, `reopen`) before it closes (`close`)."""

from datetime import datetime

from contract.status import Survey, TimelineEntry, TimelineEvent
from contract.tickets import TicketState
from policy.durations import format_duration
from procedure import clocks, escalation
from procedure import message_texts as texts
from procedure.events import CustomerMessage, KnowledgeBaseSearched, Reopen, Resolve, SurveyResponse
from procedure.notifications import alert_dashboard, notify_customer, notify_level, send
from procedure.turn import DONE, SYSTEM, Turn, log

# What one timeline entry keeps of a message or a resolution.
DETAILS_LIMIT = 500


def acknowledge_customer(turn: Turn, event: KnowledgeBaseSearched) -> None:
    """The knowledge base was checked: acknowledge with the expected response time and the
    articles written for this kind of issue (agents see every match in the status). A ticket
    resolved before the search answered has told the customer already: "we received it, expect a
    reply within..." after the resolution email would contradict it."""
    turn.ticket.kb_matches = list(event.matches)
    if turn.ticket.state in DONE:
        return
    notify_customer(
        turn, "acknowledgment", *texts.customer_acknowledgment(turn.ticket), seq=event.seq
    )


def status_update_due(turn: Turn, due_at: datetime) -> None:
    """Customer updates every 4 hours while unresolved, anchored on the due instant rather than
    on when the timer fired, so they never drift."""
    if turn.ticket.state in DONE:
        return
    turn.ticket.deadlines.customer_update = clocks.next_slot(
        turn, due_at, turn.policy.customer_update_every
    )
    entry = log(turn, TimelineEvent.STATUS_UPDATE, SYSTEM, reason="customer_update_cadence")
    notify_customer(
        turn, "status_update", *texts.customer_status_update(turn.ticket, turn.policy), entry.seq
    )


def customer_message(turn: Turn, event: CustomerMessage) -> TimelineEntry:
    """A message reopens a resolved ticket, ends a wait on the customer, may trigger an
    escalation, and otherwise starts a "next reply" response deadline."""
    t = turn.ticket
    entry = log(
        turn, TimelineEvent.CUSTOMER_MESSAGE, "customer", details=event.message[:DETAILS_LIMIT]
    )
    if t.state in DONE:
        reactivate(turn, "customer", "customer_replied_within_follow_up_window")
    clocks.resume(turn)
    escalated = escalation.message_triggers(turn, event.message, event.requests_escalation)
    if not escalated and t.deadlines.response is None:
        window = turn.policy.response_window(t.level, t.priority)
        t.deadlines.response = clocks.due_after(turn, turn.now, window)
    return entry


def resolve(turn: Turn, event: Resolve, reason: str | None = None) -> TimelineEntry:
    """Resolution stops every clock, tells the customer, sends the satisfaction survey and
    starts the follow-up window."""
    t = turn.ticket
    clocks.resume(turn)
    t.state = TicketState.RESOLVED
    t.resolved_at = turn.now
    clocks.stop_all(t)
    t.deadlines.close = clocks.follow_up_ends(turn)
    entry = log(
        turn,
        TimelineEvent.RESOLVED,
        event.by,
        reason=reason,
        details=event.resolution[:DETAILS_LIMIT],
        article=event.article,
    )
    notify_customer(turn, "resolution", *texts.customer_resolution(t, event.resolution), entry.seq)
    survey = texts.customer_survey(t)
    notify_customer(turn, "survey", *survey, seq=entry.seq, link_expires_at=t.deadlines.close)
    return entry


def remind_customer(turn: Turn) -> None:
    """The customer has not answered the agent's question: remind them once."""
    entry = log(turn, TimelineEvent.CUSTOMER_REMINDED, SYSTEM, reason="awaiting_customer")
    notify_customer(
        turn, "reply_reminder", *texts.customer_reply_reminder(turn.ticket), seq=entry.seq
    )


def no_reply(turn: Turn) -> None:
    """Still no word after the reminder: resolved as "no reply"; a reply within the follow-up
    window reopens it as any resolved ticket."""
    waiting = turn.policy.waiting_on_customer
    silent = format_duration(waiting.remind_after + waiting.resolve_after_reminder)
    resolution = f"No reply from the customer for {silent}."
    resolve(turn, Resolve(by=SYSTEM, resolution=resolution), reason="no_reply")


def reactivate(turn: Turn, by: str, reason: str) -> None:
    """Back to work at the same level, with the level's clocks and the update cadence restarted."""
    t = turn.ticket
    clocks.count_resolved_time_as_paused(turn)
    t.deadlines.close = t.closed_at = None
    clocks.start_level_clocks(turn)
    clocks.next_customer_update(turn, turn.now)
    entry = log(turn, TimelineEvent.REOPENED, by, reason=reason)
    notify_level(turn, "reopened", *texts.team_reopened(t, reason), seq=entry.seq)


def reopen(turn: Turn, event: Reopen) -> TimelineEntry:
    reactivate(turn, event.by, event.reason)
    return turn.ticket.timeline[-1]


def survey_response(turn: Turn, event: SurveyResponse) -> TimelineEntry:
    """The customer's score closes the ticket."""
    turn.ticket.survey = Survey(score=event.score, comment=event.comment, at=turn.now)
    entry = log(
        turn,
        TimelineEvent.SURVEY_ANSWERED,
        "customer",
        reason=f"score {event.score}",
        details=event.comment,
        score=event.score,
    )
    if event.score <= turn.policy.low_satisfaction_score:
        low_satisfaction(turn, event)
    close(turn, "survey_answered", "customer")
    return entry


def low_satisfaction(turn: Turn, event: SurveyResponse) -> None:
    """A low score is acted on: a dashboard alert, and the level's manager (else its team)
    emailed with the customer's comment; the reports list these tickets."""
    t, policy = turn.ticket, turn.policy
    limit = policy.low_satisfaction_score
    entry = log(
        turn,
        TimelineEvent.LOW_SATISFACTION,
        SYSTEM,
        reason=f"score {event.score} <= {limit}",
        details=event.comment,
        score=event.score,
    )
    message = texts.team_low_satisfaction(t, event.score, event.comment)
    alert_dashboard(turn, "low_satisfaction", *message, seq=entry.seq)
    level = policy.levels[t.level]
    manager = (level.manager or level.contacts).email
    send(turn, "email", "team", manager, "low_satisfaction_manager", *message, entry.seq)


def close(turn: Turn, reason: str, by: str) -> None:
    """Closed by the survey's answer or the end of the follow-up window. Until that window has
    passed a reply or `reopen` still reopens the ticket under its id (`follow_up_window_ended`)."""
    t = turn.ticket
    t.state = TicketState.CLOSED
    t.closed_at = turn.now
    reopenable_until = t.deadlines.close
    clocks.stop_all(t)
    t.deadlines.close = reopenable_until
    log(turn, TimelineEvent.CLOSED, by, reason=reason)


def follow_up_window_ended(turn: Turn) -> None:
    """The end of the follow-up window closes a ticket nobody closed; a closed ticket simply
    cannot be reopened any more (its workflow ends)."""
    if turn.ticket.state != TicketState.CLOSED:
        close(turn, "follow_up_window_ended", SYSTEM)
